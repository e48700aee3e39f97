package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func writeBundle(t *testing.T, s *specs.Spec) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadDefault(t *testing.T) {
	dir := writeBundle(t, Default(false))
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Rootfs != filepath.Join(dir, "rootfs") || b.Spec.Hostname != "rt" {
		t.Errorf("Load = %+v", b)
	}
}

func TestLoadErrors(t *testing.T) {
	mod := func(f func(*specs.Spec)) *specs.Spec { s := Default(false); f(s); return s }
	cases := map[string]*specs.Spec{
		"ociVersion is missing":  mod(func(s *specs.Spec) { s.Version = "" }),
		"not supported":          mod(func(s *specs.Spec) { s.Version = "2.0.0" }),
		"root.path is missing":   mod(func(s *specs.Spec) { s.Root = nil }),
		"unknown namespace type": mod(func(s *specs.Spec) { s.Linux.Namespaces[0].Type = "bogus" }),
		"listed twice":           mod(func(s *specs.Spec) { s.Linux.Namespaces[1].Type = "pid" }),
		"need a user namespace": mod(func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{Size: 1}}
		}),
		"is not absolute": mod(func(s *specs.Spec) { s.Mounts[0].Destination = "proc" }),
		"rootfs":          mod(func(s *specs.Spec) { s.Root.Path = "missing" }),
	}
	for want, s := range cases {
		_, err := Load(writeBundle(t, s))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "config.json not found") {
		t.Errorf("missing config: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{bad"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "parse config.json") {
		t.Errorf("broken config: %v", err)
	}
}

func TestDefaultRootless(t *testing.T) {
	s := Default(true)
	hasUser := false
	for _, ns := range s.Linux.Namespaces {
		hasUser = hasUser || ns.Type == specs.UserNamespace
	}
	if !hasUser || len(s.Linux.UIDMappings) != 1 || s.Linux.Resources != nil {
		t.Errorf("rootless spec: %+v", s.Linux)
	}
	if err := Validate(s); err != nil {
		t.Error(err)
	}
}
