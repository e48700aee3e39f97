// Package v2 is rt's cgroup v2 (unified hierarchy) driver: one directory per
// container, limits in its interface files, devices as an eBPF filter. Its
// exported helpers also serve the v1 driver on a hybrid host, where hugetlb
// may live on the cgroup2 mount. It writes only under its mount point.
package v2

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups/devices"
	"rt/libcontainer/cgroups/fscommon"
)

// DefaultMount is where a unified host mounts cgroup2.
const DefaultMount = "/sys/fs/cgroup"

// Manager drives one container's cgroup v2 directory.
type Manager struct {
	Dir string `json:"dir"`
	// Mount is the cgroup2 mount point Dir is under (DefaultMount if empty).
	Mount string `json:"mount,omitempty"`
	// HugePageDir lists the host's huge page sizes (tests point it elsewhere).
	HugePageDir string `json:"-"`
}

// New returns the manager of cgroup path p (e.g. /rt/c1) under mount.
func New(mount, p string) *Manager {
	return &Manager{Dir: filepath.Join(mount, p), Mount: mount}
}

func (m *Manager) mount() string {
	if m.Mount == "" {
		return DefaultMount
	}
	return m.Mount
}

// Apply creates the cgroup and moves pid into it.
func (m *Manager) Apply(pid int) error {
	if err := Create(m.mount(), m.Dir); err != nil {
		return err
	}
	return fscommon.Write(m.Dir, "cgroup.procs", strconv.Itoa(pid))
}

// CloneFD creates the cgroup and opens its directory, for a clone
// straight into it (clone3 CLONE_INTO_CGROUP, Go's SysProcAttr.CgroupFD):
// the child starts in the cgroup, with no migration and no wait for it.
func (m *Manager) CloneFD() (*os.File, error) {
	if err := Create(m.mount(), m.Dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(m.Dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", m.Dir, err)
	}
	return f, nil
}

// Create makes dir and its missing parents under mount, enabling in each
// ancestor's cgroup.subtree_control every controller the mount offers, as
// runc does, so that the container's cgroup has them all. A controller an
// ancestor cannot enable (an ancestor with processes of its own) is left
// off; writing its files then fails, naming the file.
func Create(mount, dir string) error {
	rel, err := filepath.Rel(mount, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cgroup %s is not below the cgroup2 mount %s", dir, mount)
	}
	avail, _ := fscommon.Read(mount, "cgroup.controllers")
	ctrls := strings.Fields(avail)
	cur := mount
	for _, part := range strings.Split(rel, "/") {
		enableControllers(cur, ctrls)
		cur = filepath.Join(cur, part)
		if err := fscommon.MkdirAll(cur); err != nil {
			return err
		}
	}
	return nil
}

func enableControllers(dir string, ctrls []string) {
	if len(ctrls) == 0 {
		return
	}
	have, _ := fscommon.Read(dir, "cgroup.subtree_control")
	missing := ""
	for _, c := range ctrls {
		if !hasField(have, c) {
			missing += " +" + c
		}
	}
	if missing == "" {
		return
	}
	if fscommon.Write(dir, "cgroup.subtree_control", strings.TrimSpace(missing)) != nil {
		for _, c := range strings.Fields(missing) { // one by one: enable what can be
			_ = fscommon.Write(dir, "cgroup.subtree_control", c)
		}
	}
}

func hasField(s, f string) bool {
	for _, x := range strings.Fields(s) {
		if x == f {
			return true
		}
	}
	return false
}

// Controllers returns the controllers enabled for dir (its cgroup.controllers).
func Controllers(dir string) map[string]bool {
	s, _ := fscommon.Read(dir, "cgroup.controllers")
	out := map[string]bool{}
	for _, c := range strings.Fields(s) {
		out[c] = true
	}
	return out
}

// Set checks r, then writes a new container's resources, device rules
// included (the config's, then devices.DefaultRules, even when r is nil).
// If a write fails, every file written so far gets its old value back and
// the error names the file and the value.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		r = &specs.LinuxResources{}
	}
	return m.apply(r, true)
}

// Update is Set for a running container: the device filter stays as it is.
func (m *Manager) Update(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	return m.apply(r, false)
}

func (m *Manager) apply(r *specs.LinuxResources, withDevices bool) error {
	dev, err := m.validate(r, withDevices)
	if err != nil {
		return err
	}
	tx := &fscommon.Tx{}
	if err := m.set(tx, r, dev); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			logrus.Warnf("cgroup %s: %v", m.Dir, rerr)
		}
		return err
	}
	return nil
}

func (m *Manager) validate(r *specs.LinuxResources, withDevices bool) (*devices.Set, error) {
	if err := fscommon.Validate(r); err != nil {
		return nil, err
	}
	if r.Memory != nil {
		if _, err := SwapMax(val(r.Memory.Swap), val(r.Memory.Limit)); err != nil {
			return nil, err
		}
	}
	if err := checkHugePages(m.HugePageDir, r.HugepageLimits); err != nil {
		return nil, err
	}
	if err := CheckUnified(m.Dir, r.Unified); err != nil {
		return nil, err
	}
	if !withDevices {
		return nil, nil
	}
	rules, err := devices.FromSpec(r.Devices)
	if err != nil {
		return nil, err
	}
	return devices.Emulate(rules)
}

func (m *Manager) set(tx *fscommon.Tx, r *specs.LinuxResources, dev *devices.Set) error {
	if r.Pids != nil && r.Pids.Limit != nil {
		if err := tx.Write(m.Dir, "pids.max", PidsMax(*r.Pids.Limit)); err != nil {
			return err
		}
	}
	for _, step := range []func(*fscommon.Tx, string, *specs.LinuxResources) error{
		setMemory, setIO, setCPU, setCpuset,
	} {
		if err := step(tx, m.Dir, r); err != nil {
			return err
		}
	}
	if err := SetHugetlb(tx, m.Dir, r.HugepageLimits); err != nil {
		return err
	}
	if err := SetRdma(tx, m.Dir, r.Rdma); err != nil {
		return err
	}
	if err := SetUnified(tx, m.Dir, r.Unified); err != nil {
		return err
	}
	if r.Network != nil && (r.Network.ClassID != nil || len(r.Network.Priorities) > 0) {
		logrus.Debug("cgroup v2 has no net_cls/net_prio: linux.resources.network ignored")
	}
	if dev != nil {
		return devices.Attach(m.Dir, dev)
	}
	return nil
}

// PidsMax renders pids.max as runc does: negative is unlimited, and 0
// becomes 1 (what systemd does with TasksMax=0, so both drivers agree).
func PidsMax(limit int64) string {
	switch {
	case limit < 0:
		return "max"
	case limit == 0:
		return "1"
	}
	return strconv.FormatInt(limit, 10)
}

// Pids lists every process of the cgroup and its sub-cgroups.
func (m *Manager) Pids() ([]int, error) { return fscommon.Pids(m.Dir) }

// Freeze freezes (or thaws) the cgroup and waits until cgroup.events says
// every process is (or none is) frozen.
func (m *Manager) Freeze(frozen bool) error {
	want := "0"
	if frozen {
		want = "1"
	}
	if err := fscommon.Write(m.Dir, "cgroup.freeze", want); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for delay := 100 * time.Microsecond; ; {
		ev, err := fscommon.ReadKeyValues(m.Dir, "cgroup.events")
		if err != nil {
			return fmt.Errorf("read %s/cgroup.events: %w", m.Dir, err)
		}
		if strconv.FormatUint(ev["frozen"], 10) == want {
			return nil
		}
		if time.Now().After(deadline) {
			if frozen {
				_ = fscommon.Write(m.Dir, "cgroup.freeze", "0") // do not leave it half frozen
			}
			return fmt.Errorf("cgroup %s: freezer did not reach frozen=%s", m.Dir, want)
		}
		time.Sleep(delay)
		if delay < 10*time.Millisecond {
			delay *= 2
		}
	}
}

// Frozen tells whether the cgroup was frozen (cgroup.freeze is 1).
func (m *Manager) Frozen() (bool, error) {
	s, err := fscommon.Read(m.Dir, "cgroup.freeze")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return s == "1", err
}

// Kill SIGKILLs every process of the cgroup tree at once.
func (m *Manager) Kill() error { return Kill(m.Dir) }

// Kill writes cgroup.kill (Linux 5.14): the kernel SIGKILLs every process
// of dir and below, including ones forking meanwhile. Without the file it
// returns errors.ErrUnsupported.
func Kill(dir string) error {
	err := fscommon.Write(dir, "cgroup.kill", "1")
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); serr == nil {
			return errors.ErrUnsupported
		}
		return nil // no cgroup, no process
	}
	return err
}

// Destroy removes the cgroup, its sub-cgroups and rt's empty parents.
func (m *Manager) Destroy() error {
	if err := fscommon.RemoveTree(m.Dir); err != nil {
		return err
	}
	fscommon.RemoveEmptyParents(m.Dir, m.mount())
	return nil
}

// Marshal returns the record kept in the container's state.
func (m *Manager) Marshal() (json.RawMessage, error) { return json.Marshal(m) }

func val[T int64 | uint64 | uint16](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}
