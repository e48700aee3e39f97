// Package v1 is rt's cgroup v1 driver: the container gets a directory in
// every mounted hierarchy (one per controller, or per group of controllers
// mounted together). On a hybrid host, where a cgroup2 hierarchy is mounted
// beside them (this VM's /sys/fs/cgroup/unified), the container is placed
// there too, and the controllers that live only there (hugetlb here) and
// cgroup.kill are used from it through the v2 package's helpers. It writes
// only under the hierarchies' mount points.
package v1

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"rt/libcontainer/cgroups/fscommon"
	v2 "rt/libcontainer/cgroups/v2"
)

// Unified is the key of the hybrid host's cgroup2 hierarchy in Paths.
const Unified = "unified"

// Manager drives one container's cgroup v1 directories.
type Manager struct {
	// Path is the container's cgroup path in every hierarchy (/rt/c1).
	Path string `json:"path,omitempty"`
	// Paths maps each controller ("memory", "name=systemd"; Unified for
	// cgroup2) to the container's directory in its hierarchy. Controllers
	// mounted together share a directory.
	Paths map[string]string `json:"paths"`
	// HugePageDir lists the host's huge page sizes (tests point it elsewhere).
	HugePageDir string `json:"-"`
}

// known are the v1 controllers; other words of a cgroup mount's super
// options are mount options.
var known = map[string]bool{
	"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "devices": true, "freezer": true,
	"net_cls": true, "net_prio": true, "blkio": true, "perf_event": true, "hugetlb": true,
	"pids": true, "rdma": true, "misc": true,
}

// New maps every hierarchy mounted under root (/sys/fs/cgroup) to the
// container's directory for cgroup path p, from /proc/self/mountinfo.
func New(root, p string) (*Manager, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	defer f.Close()
	return FromMountinfo(f, root, p)
}

// FromMountinfo is New reading mountinfo from r.
func FromMountinfo(r io.Reader, root, p string) (*Manager, error) {
	m := &Manager{Path: p, Paths: map[string]string{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+3 >= len(fields) {
			continue
		}
		mnt, fstype, super := fields[4], fields[sep+1], fields[sep+3]
		if filepath.Dir(mnt) != root {
			continue
		}
		var keys []string
		switch fstype {
		case "cgroup2":
			keys = []string{Unified}
		case "cgroup":
			for _, o := range strings.Split(super, ",") {
				if known[o] || strings.HasPrefix(o, "name=") {
					keys = append(keys, o)
				}
			}
		}
		for _, k := range keys {
			if _, dup := m.Paths[k]; !dup {
				m.Paths[k] = filepath.Join(mnt, p)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	if len(m.Paths) == 0 {
		return nil, errors.New("no cgroup hierarchy mounted under " + root)
	}
	return m, nil
}

// dirs are the distinct directories, sorted.
func (m *Manager) dirs() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range m.Paths {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// mountOf is the mount point of the hierarchy dir is in.
func (m *Manager) mountOf(dir string) string {
	if m.Path != "" && strings.HasSuffix(dir, m.Path) {
		return strings.TrimSuffix(dir, m.Path)
	}
	parts := strings.SplitN(dir, "/", 6) // "", sys, fs, cgroup, <hierarchy>, rest
	return strings.Join(parts[:min(5, len(parts))], "/")
}

// Apply creates the container's directory in every hierarchy and moves
// pid into each.
func (m *Manager) Apply(pid int) error {
	for _, dir := range m.dirs() {
		var err error
		switch dir {
		case m.Paths["cpuset"]:
			err = mkdirCpuset(m.mountOf(dir), dir)
		case m.Paths[Unified]:
			err = v2.Create(m.mountOf(dir), dir)
		default:
			err = fscommon.MkdirAll(dir)
		}
		if err != nil {
			return err
		}
		if err := fscommon.Write(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// mkdirCpuset creates dir and its parents in the cpuset hierarchy. A new
// cpuset has no cpus or mems, and a process cannot join it until it has:
// each level gets its parent's.
func mkdirCpuset(mount, dir string) error {
	rel, err := filepath.Rel(mount, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cgroup %s is not below %s", dir, mount)
	}
	cur := mount
	for _, part := range strings.Split(rel, "/") {
		parent := cur
		cur = filepath.Join(cur, part)
		if err := fscommon.MkdirAll(cur); err != nil {
			return err
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, _ := fscommon.Read(cur, f); v != "" {
				continue
			}
			v, err := fscommon.Read(parent, f)
			if err != nil {
				return fmt.Errorf("read %s/%s: %w", parent, f, err)
			}
			if err := fscommon.Write(cur, f, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// CloneFD returns nil: a process cannot be cloned into several v1
// hierarchies at once, so v1 always migrates (Apply).
func (m *Manager) CloneFD() (*os.File, error) { return nil, nil }

// Set checks r, then writes a new container's resources, device rules
// included (the config's, then DefaultRules, even when r is nil). If a write
// fails, the files written so far get their old values back.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		r = &specs.LinuxResources{}
	}
	return m.apply(r, true)
}

// Update is Set for a running container: device rules stay as they are.
func (m *Manager) Update(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	return m.apply(r, false)
}

func (m *Manager) apply(r *specs.LinuxResources, withDevices bool) error {
	w, err := m.plan(r, withDevices)
	if err != nil {
		return err
	}
	tx := &fscommon.Tx{}
	if err := w.run(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			logrus.Warnf("cgroup %s: %v", m.Path, rerr)
		}
		return err
	}
	return nil
}

// Pids lists every process of the container (and of its sub-cgroups).
func (m *Manager) Pids() ([]int, error) {
	for _, c := range []string{"pids", "memory", "freezer", "devices", "cpu", Unified} {
		if d := m.Paths[c]; d != "" {
			return fscommon.Pids(d)
		}
	}
	for _, d := range m.dirs() {
		return fscommon.Pids(d)
	}
	return nil, nil
}

// Kill SIGKILLs every process at once through the hybrid host's cgroup2
// cgroup.kill; pure v1 has none (errors.ErrUnsupported).
func (m *Manager) Kill() error {
	if d := m.Paths[Unified]; d != "" && fscommon.Exists(d, "cgroup.kill") {
		return v2.Kill(d)
	}
	return errors.ErrUnsupported
}

// Destroy removes the container's directory (and sub-cgroups) in every
// hierarchy, and rt's parents that are left empty.
func (m *Manager) Destroy() error {
	var errs []error
	for _, d := range m.dirs() {
		if err := fscommon.RemoveTree(d); err != nil {
			errs = append(errs, err)
			continue
		}
		fscommon.RemoveEmptyParents(d, m.mountOf(d))
	}
	return fscommon.Join(errs...)
}

// Marshal returns the record kept in the container's state.
func (m *Manager) Marshal() (json.RawMessage, error) { return json.Marshal(m) }
