package rootfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// A config mount of type "cgroup" gives the container its cgroup
// filesystem(s):
//
//   - on a unified (pure v2) host: cgroup2 mounted at the destination, as runc
//     does; where the kernel refuses (a user namespace without a cgroup
//     namespace), a bind of the container's own cgroup directory instead;
//   - on a v1 or hybrid host: a tmpfs at the destination and one directory per
//     hierarchy of the host (each v1 hierarchy, and the hybrid cgroup2 one,
//     e.g. "unified"), named as on the host. With a cgroup namespace each
//     hierarchy is mounted afresh (-t cgroup -o <controllers>, or -t cgroup2),
//     showing the namespace's root; without one, the container's own cgroup
//     directory of each hierarchy (from /proc/self/cgroup) is bind-mounted,
//     so the container never sees its siblings. Co-mounted controllers
//     ("cpu,cpuacct") also get a symlink per controller.
//
// The "ro" of the config applies to each hierarchy and, in Finish, to the
// tmpfs.

// cgroupDefaultFlags are the flags of the tmpfs and of fresh hierarchy
// mounts, as runc's.
const cgroupDefaultFlags = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV

const unifiedMountpoint = "/sys/fs/cgroup"

// isUnifiedHost reports whether the host's /sys/fs/cgroup is cgroup2.
func isUnifiedHost() bool {
	var st unix.Statfs_t
	return unix.Statfs(unifiedMountpoint, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

func (m *mounter) mountCgroup(e *entry) error {
	own, err := readProcCgroup("/proc/self/cgroup")
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", e.source, e.dest, err)
	}
	if isUnifiedHost() {
		return m.mountCgroup2(e, own)
	}
	return m.mountCgroupV1(e, own)
}

func (m *mounter) mountCgroup2(e *entry, own []ownCgroup) error {
	rel, err := m.prepareTarget(e, true)
	if err != nil {
		return err
	}
	err = m.withTarget(rel, func(_ int, target string) error {
		return unix.Mount("cgroup2", target, "cgroup2", e.opts.flags, e.opts.data)
	})
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBUSY) {
		// A user namespace without its own cgroup namespace may not
		// mount cgroup2: bind the container's own cgroup instead.
		logrus.Debugf("rootfs: mount cgroup2 on %s: %v, bind-mounting the container's cgroup instead", m.host(rel), err)
		src := unifiedMountpoint
		for _, o := range own {
			if o.v2() {
				src = filepath.Join(unifiedMountpoint, o.Path)
			}
		}
		o := e.opts
		o.flags |= unix.MS_BIND | unix.MS_REC
		return m.bindAt(rel, src, o)
	}
	if err != nil {
		return fmt.Errorf("mount cgroup2 on %s: %w", m.host(rel), err)
	}
	return m.finishMount(rel, "cgroup2", e.opts)
}

func (m *mounter) mountCgroupV1(e *entry, own []ownCgroup) error {
	mounts, err := readMountInfo()
	if err != nil {
		return err
	}
	hier := cgroupHierarchies(mounts, own, m.root)
	tmpfs := &entry{
		dest:   e.dest,
		source: "tmpfs",
		typ:    "tmpfs",
		opts:   mountOptions{flags: cgroupDefaultFlags, data: "mode=755", propagation: e.opts.propagation},
	}
	base, err := m.mountFS(tmpfs)
	if err != nil {
		return err
	}
	for _, h := range hier {
		rel := joinRel(base, h.name)
		if err := mkdirAllIn(m.root, rel, 0o755); err != nil {
			return fmt.Errorf("mount %s on %s: %w", h.mountpoint, m.host(rel), err)
		}
		if !m.c.CgroupNS {
			if h.ownDir == "" {
				return fmt.Errorf("mount %s on %s: the process's cgroup is not below the mount's root", h.mountpoint, m.host(rel))
			}
			o := mountOptions{
				flags:       e.opts.flags | unix.MS_BIND | unix.MS_REC,
				cleared:     e.opts.cleared,
				propagation: e.opts.propagation,
			}
			if err := m.bindAt(rel, h.ownDir, o); err != nil {
				return err
			}
			continue
		}
		flags := uintptr(cgroupDefaultFlags) | e.opts.flags&unix.MS_RDONLY
		err := m.withTarget(rel, func(_ int, target string) error {
			return unix.Mount(h.fsType, target, h.fsType, flags, strings.Join(h.options, ","))
		})
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", h.fsType, m.host(rel), err)
		}
	}
	for _, h := range hier {
		if !strings.Contains(h.name, ",") {
			continue
		}
		for _, ctrl := range strings.Split(h.name, ",") {
			link := m.host(joinRel(base, ctrl))
			if err := os.Symlink(h.name, link); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("symlink %s to %s: %w", link, h.name, err)
			}
		}
	}
	if e.opts.hasAttrs() {
		return m.finishMount(base, "tmpfs", mountOptions{attrSet: e.opts.attrSet, attrClr: e.opts.attrClr})
	}
	return nil
}

// ownCgroup is one line of /proc/<pid>/cgroup: "ID:controllers:path".
type ownCgroup struct {
	Controllers []string // e.g. ["cpu","cpuacct"] or ["name=systemd"]; none for v2
	Path        string
}

func (o ownCgroup) v2() bool { return len(o.Controllers) == 0 }

func readProcCgroup(file string) ([]ownCgroup, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []ownCgroup
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var ctrls []string
		if parts[1] != "" {
			ctrls = strings.Split(parts[1], ",")
		}
		out = append(out, ownCgroup{Controllers: ctrls, Path: parts[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return out, nil
}

// cgroupHierarchy is one host hierarchy to give the container.
type cgroupHierarchy struct {
	name       string   // directory name under the destination: basename of the host mount point
	fsType     string   // "cgroup" or "cgroup2"
	options    []string // for a fresh v1 mount: the controllers and name=
	mountpoint string   // host mount point
	ownDir     string   // host path of the container's own cgroup in this hierarchy, "" if unknown
}

// cgroupHierarchies matches the cgroup mounts of the mount table with the
// process's cgroups: every v1 hierarchy of /proc/self/cgroup found mounted,
// plus the cgroup2 hierarchy when it is mounted (hybrid hosts). Mounts below
// skipBelow (the rootfs) and second mounts of a hierarchy are ignored.
func cgroupHierarchies(mounts []mountInfo, own []ownCgroup, skipBelow string) []cgroupHierarchy {
	var out []cgroupHierarchy
	seen := map[string]bool{}
	for _, mi := range mounts {
		if mi.FSType != "cgroup" && mi.FSType != "cgroup2" {
			continue
		}
		if mi.Mountpoint == skipBelow || strings.HasPrefix(mi.Mountpoint, skipBelow+"/") {
			continue
		}
		name := path.Base(mi.Mountpoint)
		o, ok := matchOwnCgroup(mi, own)
		if !ok || seen[name] || seen[strings.Join(o.Controllers, ",")+"|"+mi.FSType] {
			continue
		}
		seen[name] = true
		seen[strings.Join(o.Controllers, ",")+"|"+mi.FSType] = true
		h := cgroupHierarchy{name: name, fsType: mi.FSType, options: o.Controllers, mountpoint: mi.Mountpoint}
		// In a cgroup namespace both paths are relative to its root and
		// may not compose; ownDir is needed only without one.
		if rel, err := filepath.Rel(mi.Root, o.Path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			h.ownDir = filepath.Join(mi.Mountpoint, rel)
		}
		out = append(out, h)
	}
	return out
}

// matchOwnCgroup finds the /proc/self/cgroup line of a cgroup mount: for v1,
// the line whose controllers all appear in the mount's superblock options;
// for cgroup2, the "0::" line.
func matchOwnCgroup(mi mountInfo, own []ownCgroup) (ownCgroup, bool) {
	opts := map[string]bool{}
	for _, o := range strings.Split(mi.SuperOpts, ",") {
		opts[o] = true
	}
	for _, o := range own {
		if o.v2() != (mi.FSType == "cgroup2") {
			continue
		}
		if o.v2() {
			return o, true
		}
		all := true
		for _, c := range o.Controllers {
			all = all && opts[c]
		}
		if all {
			return o, true
		}
	}
	return ownCgroup{}, false
}
