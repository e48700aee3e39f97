package cgroups

import (
	"strings"
	"testing"
)

func TestPath(t *testing.T) {
	good := map[[2]string]string{
		{"", "c1"}:              "/rt/c1",
		{"sub/x", "c1"}:         "/rt/sub/x",
		{"/abs/x", "c1"}:        "/abs/x",
		{"/a/../b", "c1"}:       "/b",
		{"/process_apix", "c1"}: "/process_apix",
	}
	for in, want := range good {
		got, err := Path(in[0], in[1])
		if err != nil || got != want {
			t.Errorf("Path(%q, %q) = %q, %v; want %q", in[0], in[1], got, err, want)
		}
	}
	for _, bad := range []string{"/", "/process_api", "/process_api/x", "/x/../process_api/y"} {
		if _, err := Path(bad, "c"); err == nil {
			t.Errorf("Path(%q) accepted", bad)
		} else if bad != "/" && !strings.Contains(err.Error(), "belongs to the machine") {
			t.Errorf("Path(%q): %v", bad, err)
		}
	}
}
