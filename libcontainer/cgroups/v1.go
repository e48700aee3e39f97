package cgroups

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1 drives cgroup v1 (and the cgroup2 mount of a hybrid host): one
// directory per hierarchy, keyed by its mount point's base name.
type v1 struct {
	Paths map[string]string `json:"paths"`
}

// newV1 maps every mounted hierarchy to the container's directory in it.
func newV1(p string) (*v1, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	defer f.Close()
	paths := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		i := indexOf(fields, "-")
		if i < 0 || i+1 >= len(fields) {
			continue
		}
		mnt, fstype := fields[4], fields[i+1]
		if filepath.Dir(mnt) != Root || (fstype != "cgroup" && fstype != "cgroup2") {
			continue
		}
		paths[filepath.Base(mnt)] = filepath.Join(mnt, p)
	}
	if len(paths) == 0 {
		return nil, errors.New("no cgroup hierarchy mounted under " + Root)
	}
	return &v1{Paths: paths}, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func (m *v1) names() []string {
	n := make([]string, 0, len(m.Paths))
	for k := range m.Paths {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func (m *v1) Apply(pid int) error {
	for _, name := range m.names() {
		dir := m.Paths[name]
		if err := mkdirCgroup(name, dir); err != nil {
			return err
		}
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// mkdirCgroup creates dir and its parents; a new cpuset starts with no cpus
// or mems, so those are copied down from the parent first.
func mkdirCgroup(name, dir string) error {
	if name != "cpuset" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		return nil
	}
	root := filepath.Join(Root, name)
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return err
	}
	cur := root
	for _, part := range strings.Split(rel, "/") {
		parent := cur
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return fmt.Errorf("create cgroup %s: %w", cur, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := readFile(parent, f)
			if err != nil {
				return fmt.Errorf("read %s/%s: %w", parent, f, err)
			}
			if err := writeFile(cur, f, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *v1) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	// Resource classes arrive with the cgroup issue; pids is the one the
	// core lifecycle relies on.
	if r.Pids != nil && m.Paths["pids"] != "" {
		limit := pidsLimit(r.Pids)
		return writeFile(m.Paths["pids"], "pids.max", limit)
	}
	return nil
}

// anyDir is a hierarchy every process is in, for listing pids.
func (m *v1) anyDir() string {
	for _, n := range []string{"pids", "memory", "devices", "freezer", "cpu"} {
		if p := m.Paths[n]; p != "" {
			return p
		}
	}
	for _, n := range m.names() {
		return m.Paths[n]
	}
	return ""
}

func (m *v1) Pids() ([]int, error) {
	pids, err := readPids(m.anyDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return pids, err
}

func (m *v1) Freeze(frozen bool) error {
	dir := m.Paths["freezer"]
	if dir == "" {
		return errors.New("freezer cgroup not mounted")
	}
	want := "THAWED"
	if frozen {
		want = "FROZEN"
	}
	if err := writeFile(dir, "freezer.state", want); err != nil {
		return err
	}
	// FREEZING may take a moment; wait until the kernel reports the state.
	for i := 0; i < 1000; i++ {
		if s, err := readFile(dir, "freezer.state"); err != nil || s == want {
			return err
		}
		if err := writeFile(dir, "freezer.state", want); err != nil {
			return err
		}
	}
	return fmt.Errorf("freezer %s: did not reach %s", dir, want)
}

func (m *v1) Frozen() (bool, error) {
	dir := m.Paths["freezer"]
	if dir == "" {
		return false, nil
	}
	s, err := readFile(dir, "freezer.state")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return s == "FROZEN", err
}

func (m *v1) Destroy() error {
	var errs []error
	for _, name := range m.names() {
		dir := m.Paths[name]
		if err := removeDir(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		removeParents(dir, filepath.Join(Root, name))
	}
	return errors.Join(errs...)
}

func (m *v1) Marshal() (json.RawMessage, error) { return json.Marshal(m) }
