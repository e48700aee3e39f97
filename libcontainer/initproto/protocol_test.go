package initproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestSendRecv(t *testing.T) {
	var b bytes.Buffer
	if err := Send(&b, Config, []byte(`{"id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := Send(&b, Ready, nil); err != nil {
		t.Fatal(err)
	}
	p, err := Recv(&b, Config)
	if err != nil || string(p) != `{"id":"x"}` {
		t.Fatalf("Recv = %q, %v", p, err)
	}
	if err := Expect(&b, Ready); err != nil {
		t.Fatal(err)
	}
}

func TestRecvErrors(t *testing.T) {
	cases := []struct {
		name string
		in   func(*bytes.Buffer)
		want string
	}{
		{"eof", func(*bytes.Buffer) {}, "waiting for ready: peer closed the sync socket"},
		{"wrong kind", func(b *bytes.Buffer) { _ = Send(b, RunHooks, nil) }, "waiting for ready: got run-hooks"},
		{"peer error", func(b *bytes.Buffer) { _ = Send(b, Error, []byte("mount /proc: EPERM")) }, "init failed: mount /proc: EPERM"},
		{"short payload", func(b *bytes.Buffer) {
			_ = Send(b, Ready, []byte("abcdef"))
			b.Truncate(b.Len() - 3)
		}, "short ready message"},
		{"too large", func(b *bytes.Buffer) {
			var h [8]byte
			binary.NativeEndian.PutUint32(h[0:], uint32(Ready))
			binary.NativeEndian.PutUint32(h[4:], MaxPayload+1)
			b.Write(h[:])
		}, "too large"},
		{"unexpected payload", func(b *bytes.Buffer) { _ = Send(b, Ready, []byte("x")) }, "unexpected 1-byte payload"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		c.in(&b)
		err := Expect(&b, Ready)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if c.name == "peer error" && !errors.Is(err, ErrPeer) {
			t.Errorf("peer error does not wrap ErrPeer")
		}
	}
}

func TestKindNames(t *testing.T) {
	for k := Bootstrap; k <= CgroupReady; k++ {
		if strings.HasPrefix(k.String(), "unknown") {
			t.Errorf("kind %d has no name", k)
		}
	}
	if Kind(99).String() != "unknown(99)" {
		t.Errorf("Kind(99) = %s", Kind(99))
	}
}

func TestBootstrapEncode(t *testing.T) {
	adj := -5
	b := (&BootstrapData{
		CloneFlags:  0x20000,
		NsPaths:     []NsPath{{Flag: 0x40000000, Path: "/proc/1/ns/net"}},
		TimeOffsets: "monotonic 1 0\n",
		OOMScoreAdj: &adj,
	}).Encode()
	type attr struct {
		t uint32
		v string
	}
	var got []attr
	for len(b) > 0 {
		typ, n := binary.NativeEndian.Uint32(b[0:]), binary.NativeEndian.Uint32(b[4:])
		got = append(got, attr{typ, string(b[8 : 8+n])})
		b = b[8+n:]
	}
	want := []attr{
		{AttrCloneFlags, "\x00\x00\x02\x00"},
		{AttrNsPath, "\x00\x00\x00\x40/proc/1/ns/net\x00"},
		{AttrTimeOffsets, "monotonic 1 0\n"},
		{AttrOOMScoreAdj, "-5"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d attributes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attribute %d = %d %q, want %d %q", i, got[i].t, got[i].v, want[i].t, want[i].v)
		}
	}
}
