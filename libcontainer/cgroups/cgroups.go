// Package cgroups owns rt's cgroups: the Manager interface every driver
// implements, detection of the host's mode (v1, v2 or hybrid) and where a
// container's cgroup goes. It writes only under the hierarchies' mount
// points, and never into the machine's own /memory/process_api.
package cgroups

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Manager is what the lifecycle needs of a cgroup driver.
type Manager interface {
	// Apply creates the cgroup and moves pid into it.
	Apply(pid int) error
	// Set writes resource limits (the cgroup must exist).
	Set(r *specs.LinuxResources) error
	// Pids lists every process in the cgroup.
	Pids() ([]int, error)
	// Freeze freezes (true) or thaws (false) every process.
	Freeze(frozen bool) error
	// Frozen tells whether the cgroup is frozen.
	Frozen() (bool, error)
	// Destroy removes the cgroup; it must be empty of processes.
	Destroy() error
	// Marshal returns the driver's record, kept in the container state.
	Marshal() (json.RawMessage, error)
}

// Root is where the hierarchies are mounted.
const Root = "/sys/fs/cgroup"

// DefaultParent holds containers whose cgroupsPath is empty or relative.
const DefaultParent = "/rt"

// forbidden is the machine's own cgroup: rt must never write under it.
const forbidden = "/process_api"

// Mode is how the host mounts cgroups.
type Mode int

// The host modes.
const (
	Legacy  Mode = iota // v1 hierarchies only
	Hybrid              // v1 hierarchies plus a cgroup2 mount at Root/unified
	Unified             // cgroup2 at Root
)

// DetectMode reads the file system types at Root.
func DetectMode() Mode {
	var st unix.Statfs_t
	if unix.Statfs(Root, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return Unified
	}
	if unix.Statfs(Root+"/unified", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return Hybrid
	}
	return Legacy
}

// Path resolves a config's cgroupsPath: absolute as given, relative under
// DefaultParent, empty as DefaultParent/<id>.
func Path(cgroupsPath, id string) (string, error) {
	p := cgroupsPath
	switch {
	case p == "":
		p = path.Join(DefaultParent, id)
	case !path.IsAbs(p):
		p = path.Join(DefaultParent, p)
	default:
		p = path.Clean(p)
	}
	if p == "/" {
		return "", errors.New("cgroupsPath must not be the root cgroup")
	}
	if p == forbidden || strings.HasPrefix(p, forbidden+"/") {
		return "", fmt.Errorf("cgroupsPath %s: %s belongs to the machine", p, forbidden)
	}
	return p, nil
}

// New returns the driver for this host for a container's cgroup path.
func New(cgroupsPath, id string) (Manager, error) {
	p, err := Path(cgroupsPath, id)
	if err != nil {
		return nil, err
	}
	if DetectMode() == Unified {
		return &v2{Dir: path.Join(Root, p)}, nil
	}
	return newV1(p)
}

// Load rebuilds a driver from its record.
func Load(raw json.RawMessage) (Manager, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var probe struct {
		Dir   string            `json:"dir"`
		Paths map[string]string `json:"paths"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("cgroup state: %w", err)
	}
	if probe.Paths != nil {
		return &v1{Paths: probe.Paths}, nil
	}
	return &v2{Dir: probe.Dir}, nil
}
