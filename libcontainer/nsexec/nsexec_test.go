package nsexec

import (
	"testing"

	"rt/libcontainer/initproto"
)

// The C stage mirrors initproto's numbers; they must agree.
func TestProtocolNumbersAgree(t *testing.T) {
	want := map[string]uint32{
		"bootstrap": uint32(initproto.Bootstrap), "usermap-request": uint32(initproto.UsermapReq),
		"usermap-ack": uint32(initproto.UsermapAck), "init-pid": uint32(initproto.InitPid),
		"error":            uint32(initproto.Error),
		"attr-clone-flags": initproto.AttrCloneFlags, "attr-ns-path": initproto.AttrNsPath,
		"attr-time-offsets": initproto.AttrTimeOffsets, "attr-oom-score-adj": initproto.AttrOOMScoreAdj,
	}
	got := cNumbers()
	if len(got) != len(want) {
		t.Fatalf("C exposes %d numbers, Go %d", len(got), len(want))
	}
	for name, g := range want {
		if got[name] != g {
			t.Errorf("%s: C has %d, Go has %d", name, got[name], g)
		}
	}
	if s, l := cEnvNames(); s != initproto.EnvSyncFd || l != initproto.EnvLogFd {
		t.Errorf("environment names differ: C %s %s", s, l)
	}
}
