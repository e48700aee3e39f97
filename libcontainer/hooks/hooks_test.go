package hooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRunPassesStateArgsEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	h := []specs.Hook{{
		Path: "/bin/sh",
		Args: []string{"sh", "-c", `read -r s; printf '%s|%s|%s' "$s" "$0" "$FOO" > ` + out, "argzero"},
		Env:  []string{"FOO=bar"},
	}}
	if err := Run("createRuntime", h, []byte(`{"id":"c"}`)); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if string(got) != `{"id":"c"}|argzero|bar` {
		t.Errorf("hook saw %q", got)
	}
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "second")
	h := []specs.Hook{
		{Path: "/bin/sh", Args: []string{"sh", "-c", "echo broken >&2; exit 3"}},
		{Path: "/bin/touch", Args: []string{"touch", marker}},
	}
	err := Run("prestart", h, nil)
	if err == nil || !strings.Contains(err.Error(), "prestart hook #0") || !strings.Contains(err.Error(), "broken") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the hook after a failing one ran")
	}
}

func TestRunWarnRunsAll(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "second")
	RunWarn("poststop", []specs.Hook{
		{Path: "/bin/false"},
		{Path: "/bin/touch", Args: []string{"touch", marker}},
	}, nil)
	if _, err := os.Stat(marker); err != nil {
		t.Error("a failing poststop hook stopped the others")
	}
}

func TestTimeout(t *testing.T) {
	one := 1
	start := time.Now()
	err := Run("createRuntime", []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "30"}, Timeout: &one}}, nil)
	if err == nil || !strings.Contains(err.Error(), "timed out after 1s") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %s", d)
	}
	zero := 0
	if err := Run("x", []specs.Hook{{Path: "/bin/true", Timeout: &zero}}, nil); err == nil {
		t.Error("a zero timeout was accepted")
	}
}
