package rootfs

// Helpers the scenarios use from inside the container.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// topMounts maps each mount point to the mount on top of it.
func topMounts() (map[string]mountInfo, error) {
	mounts, err := readMountInfo()
	if err != nil {
		return nil, err
	}
	out := map[string]mountInfo{}
	for _, mi := range mounts {
		out[mi.Mountpoint] = mi
	}
	return out, nil
}

// wantMount checks that point is a mount of fstype whose per-mount or
// superblock options include opts.
func wantMount(ms map[string]mountInfo, point, fstype string, opts ...string) error {
	mi, ok := ms[point]
	if !ok {
		return fmt.Errorf("no mount on %s", point)
	}
	if fstype != "" && mi.FSType != fstype {
		return fmt.Errorf("%s: type %s, want %s", point, mi.FSType, fstype)
	}
	have := map[string]bool{}
	for _, o := range strings.Split(mi.Options+","+mi.SuperOpts, ",") {
		have[o] = true
	}
	for _, o := range opts {
		if !have[o] {
			return fmt.Errorf("%s: option %s missing from %s / %s", point, o, mi.Options, mi.SuperOpts)
		}
	}
	return nil
}

// wantNoMount checks that nothing is mounted on point.
func wantNoMount(ms map[string]mountInfo, point string) error {
	if mi, ok := ms[point]; ok {
		return fmt.Errorf("unexpected %s mount on %s", mi.FSType, point)
	}
	return nil
}

// wantReadonlyDir checks that creating a file in dir fails with EROFS.
func wantReadonlyDir(dir string) error {
	p := filepath.Join(dir, ".rt-rootfs-test")
	fd, err := unix.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err == nil {
		unix.Close(fd)
		os.Remove(p)
		return fmt.Errorf("%s is writable", dir)
	}
	if !errors.Is(err, unix.EROFS) {
		return fmt.Errorf("create in %s: %v, want EROFS", dir, err)
	}
	return nil
}

// wantReadonlyFile checks that opening p for writing fails with EROFS.
// Nothing is ever written.
func wantReadonlyFile(p string) error {
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
		return fmt.Errorf("%s opens for writing", p)
	}
	if !errors.Is(err, unix.EROFS) {
		return fmt.Errorf("open %s for writing: %v, want EROFS", p, err)
	}
	return nil
}

func wantWritableDir(dir string) error {
	p := filepath.Join(dir, ".rt-rootfs-test")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		return fmt.Errorf("%s not writable: %w", dir, err)
	}
	return os.Remove(p)
}

// wantNode checks type, device numbers, permissions and owner of a node.
func wantNode(p string, typ, major, minor, perm uint32, uid, gid uint32) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	if st.Mode&unix.S_IFMT != typ {
		return fmt.Errorf("%s: type %#o, want %#o", p, st.Mode&unix.S_IFMT, typ)
	}
	if typ != unix.S_IFIFO && (unix.Major(st.Rdev) != major || unix.Minor(st.Rdev) != minor) {
		return fmt.Errorf("%s: device %d:%d, want %d:%d", p, unix.Major(st.Rdev), unix.Minor(st.Rdev), major, minor)
	}
	if st.Mode&0o7777 != perm {
		return fmt.Errorf("%s: mode %#o, want %#o", p, st.Mode&0o7777, perm)
	}
	if st.Uid != uid || st.Gid != gid {
		return fmt.Errorf("%s: owner %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
	}
	return nil
}

// wantCharDev checks a character device's numbers, following symlinks and
// mounts (a bind-mounted node shows its source).
func wantCharDev(p string, major, minor uint32) error {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != major || unix.Minor(st.Rdev) != minor {
		return fmt.Errorf("%s: mode %#o device %d:%d, want char %d:%d", p, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), major, minor)
	}
	return nil
}

func wantSymlink(p, target string) error {
	got, err := os.Readlink(p)
	if err != nil {
		return err
	}
	if got != target {
		return fmt.Errorf("%s -> %s, want -> %s", p, got, target)
	}
	return nil
}

func wantFile(p, content string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if string(b) != content {
		return fmt.Errorf("%s holds %q, want %q", p, b, content)
	}
	return nil
}

// all runs checks in order and returns the first failure.
func all(checks ...func() error) error {
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

// config builds a Config with the given mounts.
func config(dir string, mounts ...specs.Mount) *Config {
	return &Config{
		Spec:   &specs.Spec{Root: &specs.Root{Path: "rootfs"}, Mounts: mounts, Linux: &specs.Linux{}},
		Rootfs: filepath.Join(dir, "rootfs"),
		Bundle: dir,
	}
}

// runcMounts are the mounts of `runc spec`.
func runcMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
	}
}

var (
	runcMaskedPaths = []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
		"/proc/rt-does-not-exist", "/proc/rt-does-not-exist-dir/x"}
	runcReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
		"/proc/rt-does-not-exist"}
)

// checkMasked checks the masked paths that exist on this kernel.
func checkMasked(ms map[string]mountInfo) error {
	for _, p := range runcMaskedPaths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			if err := wantMount(ms, p, "tmpfs", "ro"); err != nil {
				return err
			}
			entries, err := os.ReadDir(p)
			if err != nil || len(entries) != 0 {
				return fmt.Errorf("masked %s: %d entries, %v", p, len(entries), err)
			}
			continue
		}
		if err := wantCharDev(p, 1, 3); err != nil {
			return fmt.Errorf("masked %s: %w", p, err)
		}
	}
	return nil
}

// checkReadonlyPaths checks the read-only paths of runcReadonlyPaths.
func checkReadonlyPaths(ms map[string]mountInfo) error {
	for _, p := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := wantMount(ms, p, "proc", "ro"); err != nil {
			return err
		}
	}
	for _, p := range []string{"/proc/sys/kernel/hostname", "/proc/sysrq-trigger"} {
		if _, err := os.Stat(p); err != nil {
			continue // not on this kernel
		}
		if err := wantReadonlyFile(p); err != nil {
			return err
		}
	}
	return nil
}

// checkOnlyContainerMounts fails when a mount outside the container's usual
// places is visible (the host's mounts must be gone with the old root).
func checkOnlyContainerMounts(extra ...string) error {
	mounts, err := readMountInfo()
	if err != nil {
		return err
	}
	roots := 0
	for _, mi := range mounts {
		p := mi.Mountpoint
		if p == "/" {
			roots++
			continue
		}
		ok := false
		for _, prefix := range append([]string{"/proc", "/dev", "/sys"}, extra...) {
			if p == prefix || strings.HasPrefix(p, prefix+"/") {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("unexpected mount %s (%s) visible in the container", p, mi.FSType)
		}
	}
	if roots != 1 {
		return fmt.Errorf("%d mounts on /", roots)
	}
	return nil
}
