// Package cgroups owns rt's cgroups: the Manager interface the lifecycle
// uses, detection of the host's mode (v1, v2 or hybrid), where a
// container's cgroup goes, and how `rt update` merges new resources into
// the old ones. The drivers live below it:
//
//	v1        cgroup v1 (and hybrid: v1 plus a cgroup2 mount) - one directory per hierarchy
//	v2        cgroup v2, the unified hierarchy - one directory
//	devices   device rules: v1 devices.allow/deny lines, the v2 eBPF filter
//	fscommon  file writes that name file and value, the rollback journal, parsing, checks
//	stats     the JSON shape of `rt events` (runc's)
//
// It writes only under the hierarchies' mount points, never into the
// machine's own /memory/process_api, and keeps no state of its own: a
// driver's record goes into the container's state (Marshal, Load).
package cgroups

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups/stats"
	v1 "rt/libcontainer/cgroups/v1"
	v2 "rt/libcontainer/cgroups/v2"
)

// Stats is a container's cgroup statistics (runc's `events` data).
type Stats = stats.Stats

// Manager is what the lifecycle needs of a cgroup driver.
type Manager interface {
	// Apply creates the cgroup if needed and moves pid into it.
	Apply(pid int) error
	// CloneFD creates the cgroup and returns its directory, open, for a
	// clone straight into it (SysProcAttr.UseCgroupFD); nil when the driver
	// cannot place a process with one clone (v1), then use Apply.
	CloneFD() (*os.File, error)
	// Set checks and writes a new container's resources, device rules
	// included (the config's, then runc's defaults, also for nil). A failed
	// write restores what was written before it; the error names the file
	// and the value.
	Set(r *specs.LinuxResources) error
	// Update is Set for a running container, leaving device rules alone.
	Update(r *specs.LinuxResources) error
	// Pids lists every process of the cgroup and of its sub-cgroups.
	Pids() ([]int, error)
	// Freeze freezes (true) or thaws (false) every process, and waits.
	Freeze(frozen bool) error
	// Frozen tells whether the cgroup is frozen.
	Frozen() (bool, error)
	// Kill SIGKILLs every process at once with cgroup.kill; it returns
	// errors.ErrUnsupported where there is none (pure v1, old kernels).
	Kill() error
	// Stats reads the usage counters.
	Stats() (*Stats, error)
	// OOM sends a value on each out-of-memory event; the channel is closed
	// when the cgroup goes away or stop is closed.
	OOM(stop <-chan struct{}) (<-chan struct{}, error)
	// Destroy removes the cgroup and its sub-cgroups; no process may be left.
	Destroy() error
	// Marshal returns the driver's record, kept in the container state.
	Marshal() (json.RawMessage, error)
}

var (
	_ Manager = (*v1.Manager)(nil)
	_ Manager = (*v2.Manager)(nil)
)

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
		return v2.New(Root, p), nil
	}
	return v1.New(Root, p)
}

// Load rebuilds a driver from its record (nil for an empty record).
func Load(raw json.RawMessage) (Manager, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var probe struct {
		Paths map[string]string `json:"paths"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("cgroup state: %w", err)
	}
	var m Manager = &v2.Manager{}
	if probe.Paths != nil {
		m = &v1.Manager{}
	}
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("cgroup state: %w", err)
	}
	return m, nil
}
