// Package bundle loads an OCI bundle: config.json, parsed and validated, and
// the absolute path of its rootfs. It reports bad input as one clear error
// before anything is created; it never changes the bundle.
package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Bundle is a loaded bundle.
type Bundle struct {
	Dir    string // absolute
	Rootfs string // absolute, symlinks resolved
	Spec   *specs.Spec
}

// Load reads and validates dir/config.json.
func Load(dir string) (*Bundle, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(abs, "config.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("bundle %s: config.json not found", abs)
		}
		return nil, fmt.Errorf("bundle %s: %w", abs, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("bundle %s: parse config.json: %w", abs, err)
	}
	if err := Validate(&spec); err != nil {
		return nil, fmt.Errorf("bundle %s: config.json: %w", abs, err)
	}
	root := spec.Root.Path
	if !filepath.IsAbs(root) {
		root = filepath.Join(abs, root)
	}
	rootfs, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: rootfs %s: %w", abs, root, err)
	}
	if fi, err := os.Stat(rootfs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("bundle %s: rootfs %s is not a directory", abs, root)
	}
	return &Bundle{Dir: abs, Rootfs: rootfs, Spec: &spec}, nil
}

var nsTypes = map[specs.LinuxNamespaceType]bool{
	specs.PIDNamespace: true, specs.NetworkNamespace: true, specs.MountNamespace: true,
	specs.IPCNamespace: true, specs.UTSNamespace: true, specs.UserNamespace: true,
	specs.CgroupNamespace: true, specs.TimeNamespace: true,
}

// Validate checks what rt needs of a config before it creates anything.
// The process is checked at start, as the spec says (a config without one
// can be created).
func Validate(s *specs.Spec) error {
	if s.Version == "" {
		return errors.New("ociVersion is missing")
	}
	if !strings.HasPrefix(s.Version, "1.") {
		return fmt.Errorf("ociVersion %q is not supported (want 1.x)", s.Version)
	}
	if s.Root == nil || s.Root.Path == "" {
		return errors.New("root.path is missing")
	}
	if s.Linux == nil {
		return errors.New("linux section is missing")
	}
	seen := map[specs.LinuxNamespaceType]bool{}
	userns := false
	for _, ns := range s.Linux.Namespaces {
		if !nsTypes[ns.Type] {
			return fmt.Errorf("unknown namespace type %q", ns.Type)
		}
		if seen[ns.Type] {
			return fmt.Errorf("namespace %q listed twice", ns.Type)
		}
		seen[ns.Type] = true
		if ns.Type == specs.UserNamespace {
			userns = true
		}
	}
	if (len(s.Linux.UIDMappings) > 0 || len(s.Linux.GIDMappings) > 0) && !userns {
		return errors.New("uidMappings/gidMappings need a user namespace")
	}
	if len(s.Linux.TimeOffsets) > 0 && !seen[specs.TimeNamespace] {
		return errors.New("timeOffsets need a time namespace")
	}
	for i, m := range s.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return fmt.Errorf("mount #%d: destination %q is not absolute", i, m.Destination)
		}
	}
	for _, h := range allHooks(s.Hooks) {
		if !filepath.IsAbs(h.Path) {
			return fmt.Errorf("hook path %q is not absolute", h.Path)
		}
	}
	return nil
}

func allHooks(h *specs.Hooks) []specs.Hook {
	if h == nil {
		return nil
	}
	var all []specs.Hook
	//lint:ignore SA1019 Prestart is deprecated but still honoured.
	for _, l := range [][]specs.Hook{h.Prestart, h.CreateRuntime, h.CreateContainer, h.StartContainer, h.Poststart, h.Poststop} {
		all = append(all, l...)
	}
	return all
}

// Namespace returns the config's entry for namespace type t, if listed.
func Namespace(s *specs.Spec, t specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	for _, n := range s.Linux.Namespaces {
		if n.Type == t {
			return n, true
		}
	}
	return specs.LinuxNamespace{}, false
}
