package rootfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// scenarios are run by the tests below, in child processes (scenario_test.go).
var scenarios = map[string]scenario{
	"runc-default": {
		cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET,
		config: func(dir string) *Config {
			c := config(dir, runcMounts()...)
			c.Spec.Linux.MaskedPaths = runcMaskedPaths
			c.Spec.Linux.ReadonlyPaths = runcReadonlyPaths
			return c
		},
		check: checkRuncDefault,
	},
	"binds": {
		cloneflags: syscall.CLONE_NEWPID,
		setup:      setupBinds,
		config:     configBinds,
		check:      checkBinds,
	},
	"userns": {
		userns:     true,
		cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		setup:      setupLocked,
		config: func(dir string) *Config {
			c := config(dir, append(runcMounts(),
				specs.Mount{Destination: "/mnt/locked", Type: "bind", Source: "src/locked", Options: []string{"bind", "ro"}},
				specs.Mount{Destination: "/mnt/locked-rw", Source: "src/locked", Options: []string{"rbind", "nosuid"}},
			)...)
			c.UserNS = true
			c.Spec.Linux.MaskedPaths = runcMaskedPaths
			c.Spec.Linux.ReadonlyPaths = runcReadonlyPaths
			return c
		},
		check: checkUserNS,
	},
	"userns-locked-clear": {
		userns:     true,
		cloneflags: syscall.CLONE_NEWPID,
		setup:      setupLocked,
		config: func(dir string) *Config {
			c := config(dir, specs.Mount{Destination: "/mnt/locked", Source: "src/locked", Options: []string{"bind", "dev"}})
			c.UserNS = true
			return c
		},
		wantErr: func(err error) error {
			if !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "locked") {
				return errors.New("want EPERM about locked flags")
			}
			return nil
		},
	},
	"cgroupns": {
		cloneflags: syscall.CLONE_NEWCGROUP | syscall.CLONE_NEWPID,
		config: func(dir string) *Config {
			c := config(dir, runcMounts()[0], runcMounts()[6])
			c.CgroupNS = true
			return c
		},
		check: checkCgroupNS,
	},
	"nopivot": {
		cloneflags: syscall.CLONE_NEWPID,
		config: func(dir string) *Config {
			c := config(dir, runcMounts()[:3]...)
			c.NoPivot = true
			c.Spec.Root.Readonly = true
			c.Spec.Linux.MaskedPaths = []string{"/proc/keys", "/proc/acpi"}
			return c
		},
		check: checkNoPivot,
	},
	"devices": {
		setup: func(dir string) error {
			if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "src/custom"), []byte("custom"), 0o644)
		},
		config: configDevices,
		check:  checkDevices,
	},
	"userns-devices": {
		userns:     true,
		cloneflags: syscall.CLONE_NEWPID,
		config: func(dir string) *Config {
			c := configDevices(dir)
			c.Spec.Mounts = []specs.Mount{runcMounts()[0], c.Spec.Mounts[0]} // proc, tmpfs /dev
			c.Spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}
			c.UserNS = true
			return c
		},
		check: checkUserNSDevices,
	},
	"shared-host":         sharedHostScenario(""),
	"shared-host-rshared": sharedHostScenario("rshared"),
	"err-proc-subdir": errScenario(ErrProcMount,
		specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"},
		specs.Mount{Destination: "/proc/sys/kernel", Type: "tmpfs", Source: "tmpfs"}),
	"err-proc-via-symlink": {
		setup: func(dir string) error { return os.Symlink("/proc/self", filepath.Join(dir, "rootfs/evil")) },
		config: func(dir string) *Config {
			return config(dir, specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"},
				specs.Mount{Destination: "/evil/attr", Type: "tmpfs", Source: "tmpfs"})
		},
		wantErr: isErr(ErrProcMount),
	},
	"err-proc-not-proc": errScenario(ErrProcMount, specs.Mount{Destination: "/proc", Type: "tmpfs", Source: "tmpfs"}),
	"err-loop": {
		setup: func(dir string) error {
			return errors.Join(os.Symlink("b", filepath.Join(dir, "rootfs/a")), os.Symlink("a", filepath.Join(dir, "rootfs/b")))
		},
		config: func(dir string) *Config {
			return config(dir, specs.Mount{Destination: "/a/x", Type: "tmpfs", Source: "tmpfs"})
		},
		wantErr: isErr(unix.ELOOP),
	},
	"err-over-root":      errScenario(errMountOverRoot, specs.Mount{Destination: "/tmp/../..", Type: "tmpfs", Source: "tmpfs"}),
	"err-missing-source": errScenario(os.ErrNotExist, specs.Mount{Destination: "/mnt/x", Source: "/rt-no-such-source", Options: []string{"bind"}}),
}

func errScenario(want error, mounts ...specs.Mount) scenario {
	return scenario{
		config:  func(dir string) *Config { return config(dir, mounts...) },
		wantErr: isErr(want),
	}
}

func isErr(want error) func(error) error {
	return func(err error) error {
		if !errors.Is(err, want) {
			return fmt.Errorf("want %v", want)
		}
		return nil
	}
}

func init() {
	for _, v := range []string{"shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable"} {
		scenarios["propagation-"+v] = propagationScenario(v)
	}
}

func TestRuncDefault(t *testing.T)       { runScenario(t, "runc-default") }
func TestUserNS(t *testing.T)            { runScenario(t, "userns") }
func TestUserNSLockedClear(t *testing.T) { runScenario(t, "userns-locked-clear") }
func TestCgroupNS(t *testing.T)          { runScenario(t, "cgroupns") }
func TestNoPivot(t *testing.T)           { runScenario(t, "nopivot") }
func TestDevices(t *testing.T)           { runScenario(t, "devices") }
func TestUserNSDevices(t *testing.T)     { runScenario(t, "userns-devices") }

func TestBinds(t *testing.T) {
	for _, p := range escapeTargets {
		if _, err := os.Lstat(p); err == nil {
			t.Skipf("%s exists on the host; remove it to run this test", p)
		}
	}
	dir := runScenario(t, "binds")
	// The mounts behind symlinks pointing out of the rootfs landed inside it,
	// and nothing was created on the host.
	for _, p := range escapeTargets {
		if _, err := os.Lstat(p); err == nil {
			os.RemoveAll(p)
			t.Errorf("%s was created on the host", p)
		}
		if _, err := os.Stat(filepath.Join(dir, "rootfs", p)); err != nil {
			t.Errorf("mount point %s not created inside the rootfs: %v", p, err)
		}
	}
}

// TestSharedHost runs on mounts that are peers of the outer namespace's, as
// on a host whose / is shared: pivot_root must work and no mount may reach
// the outer namespace.
func TestSharedHost(t *testing.T) {
	t.Run("default", func(t *testing.T) { runScenario(t, "shared-host") })
	t.Run("rshared", func(t *testing.T) { runScenario(t, "shared-host-rshared") })
}

func sharedHostScenario(propagation string) scenario {
	return scenario{
		sharedHost: true,
		cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNET,
		setup:      setupBinds,
		config: func(dir string) *Config {
			c := config(dir, runcMounts()...)
			c.Spec.Mounts = append(c.Spec.Mounts, configBinds(dir).Spec.Mounts[1:]...)
			c.Spec.Linux.RootfsPropagation = propagation
			c.Spec.Linux.MaskedPaths = runcMaskedPaths
			c.Spec.Linux.ReadonlyPaths = runcReadonlyPaths
			return c
		},
		check: func() error {
			ms, err := topMounts()
			if err != nil {
				return err
			}
			return all(
				func() error { return wantMount(ms, "/dev/pts", "devpts") },
				func() error { return wantReadonlyDir("/mnt/rro/sub") },
				func() error { return checkMasked(ms) },
			)
		},
	}
}

func TestPropagation(t *testing.T) {
	for _, v := range []string{"shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable"} {
		t.Run(v, func(t *testing.T) { runScenario(t, "propagation-"+v) })
	}
}

func TestErrors(t *testing.T) {
	for _, name := range []string{"err-proc-subdir", "err-proc-via-symlink", "err-proc-not-proc", "err-loop", "err-over-root", "err-missing-source"} {
		t.Run(name, func(t *testing.T) { runScenario(t, name) })
	}
}

// ownCgroupLines reads /proc/self/cgroup inside the container.
func ownCgroupLines() ([]ownCgroup, error) { return readProcCgroup("/proc/self/cgroup") }

// checkCgroupMounts checks the hierarchies under /sys/fs/cgroup: one per
// line of /proc/self/cgroup (the cgroup2 one only if mounted), read-only,
// each showing the container's own cgroup as its root.
func checkCgroupMounts(ms map[string]mountInfo, wantRoot func(ownCgroup) string) error {
	if err := wantMount(ms, "/sys/fs/cgroup", "tmpfs", "ro", "mode=755"); err != nil {
		return err
	}
	own, err := ownCgroupLines()
	if err != nil {
		return err
	}
	found := 0
	for _, o := range own {
		var hit *mountInfo
		for _, mi := range ms {
			if !strings.HasPrefix(mi.Mountpoint, "/sys/fs/cgroup/") {
				continue
			}
			if m, ok := matchOwnCgroup(mi, []ownCgroup{o}); ok && m.Path == o.Path {
				hit = &mi
				break
			}
		}
		if hit == nil {
			if o.v2() {
				continue
			}
			return fmt.Errorf("no cgroup mount for %v", o.Controllers)
		}
		found++
		if hit.Root != wantRoot(o) {
			return fmt.Errorf("%s: root %s, want %s", hit.Mountpoint, hit.Root, wantRoot(o))
		}
		if err := wantMount(ms, hit.Mountpoint, "", "ro", "nosuid", "nodev", "noexec"); err != nil {
			return err
		}
	}
	if found == 0 {
		return errors.New("no cgroup hierarchy mounted")
	}
	return nil
}

func checkRuncDefault() error {
	ms, err := topMounts()
	if err != nil {
		return err
	}
	return all(
		func() error { return wantFile("/etc/marker", "rt-rootfs\n") },
		func() error { return checkOnlyContainerMounts() },
		func() error { return wantMount(ms, "/proc", "proc") },
		func() error { return wantMount(ms, "/dev", "tmpfs", "rw", "nosuid", "mode=755", "size=65536k") },
		func() error {
			return wantMount(ms, "/dev/pts", "devpts", "nosuid", "noexec", "ptmxmode=666", "mode=620", "gid=5")
		},
		func() error { return wantMount(ms, "/dev/shm", "tmpfs", "nosuid", "noexec", "nodev", "size=65536k") },
		func() error { return wantMount(ms, "/dev/mqueue", "mqueue", "nosuid", "noexec", "nodev") },
		func() error { return wantMount(ms, "/sys", "sysfs", "ro", "nosuid", "noexec", "nodev") },
		func() error {
			if isUnifiedHost() {
				return wantMount(ms, "/sys/fs/cgroup", "cgroup2", "ro")
			}
			return checkCgroupMounts(ms, func(o ownCgroup) string { return o.Path })
		},
		func() error {
			for _, d := range defaultDevices {
				if err := wantNode(d.Path, unix.S_IFCHR, uint32(d.Major), uint32(d.Minor), 0o666, 0, 0); err != nil {
					return err
				}
			}
			return nil
		},
		func() error { return wantSymlink("/dev/fd", "/proc/self/fd") },
		func() error { return wantSymlink("/dev/stdin", "/proc/self/fd/0") },
		func() error { return wantSymlink("/dev/stdout", "/proc/self/fd/1") },
		func() error { return wantSymlink("/dev/stderr", "/proc/self/fd/2") },
		func() error { return wantSymlink("/dev/ptmx", "pts/ptmx") },
		func() error {
			_, kcore := os.Stat("/proc/kcore")
			_, core := os.Lstat("/dev/core")
			if (kcore == nil) != (core == nil) {
				return fmt.Errorf("/proc/kcore: %v, /dev/core: %v", kcore, core)
			}
			return nil
		},
		func() error {
			// The devpts instance is the container's and usable.
			f, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
			if err != nil {
				return err
			}
			return f.Close()
		},
		func() error {
			// stdin was the host's /dev/null; it is now the container's.
			var in, null unix.Stat_t
			if err := unix.Fstat(0, &in); err != nil {
				return err
			}
			if err := unix.Stat("/dev/null", &null); err != nil {
				return err
			}
			if in.Dev != null.Dev || in.Ino != null.Ino {
				return errors.New("stdin is not the container's /dev/null")
			}
			return nil
		},
		func() error { return checkMasked(ms) },
		func() error { return checkReadonlyPaths(ms) },
		func() error { return wantWritableDir("/tmp") },
		func() error { return wantWritableDir("/dev/shm") },
		func() error {
			out, err := exec.Command("/bin/busybox", "cat", "/etc/marker").CombinedOutput()
			if err != nil || string(out) != "rt-rootfs\n" {
				return fmt.Errorf("busybox in the container: %q, %v", out, err)
			}
			return nil
		},
	)
}

// escapeTargets are host paths that symlinks of the binds rootfs point to;
// the mounts must land below the rootfs instead.
var escapeTargets = []string{"/rt-rootfs-test-escape-abs", "/rt-rootfs-test-escape-rel"}

func setupBinds(dir string) error {
	src := filepath.Join(dir, "src")
	for _, d := range []string{"ro", "tree/sub"} {
		if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
			return err
		}
	}
	if err := unix.Mount("tmpfs", filepath.Join(src, "tree/sub"), "tmpfs", 0, "size=1m"); err != nil {
		return err
	}
	root := filepath.Join(dir, "rootfs")
	return errors.Join(
		os.WriteFile(filepath.Join(src, "ro/file"), []byte("ro"), 0o644),
		os.WriteFile(filepath.Join(src, "file.txt"), []byte("bound file"), 0o644),
		os.WriteFile(filepath.Join(src, "tree/file"), []byte("tree"), 0o644),
		os.WriteFile(filepath.Join(src, "tree/sub/file"), []byte("sub"), 0o644),
		os.WriteFile(filepath.Join(src, "uptime"), []byte("42.00 42.00\n"), 0o644),
		os.Symlink(escapeTargets[0]+"/x", filepath.Join(root, "mnt/abs")),
		os.Symlink("../../../../../../../../../.."+escapeTargets[1], filepath.Join(root, "mnt/rel")),
		os.Symlink("/etc", filepath.Join(root, "etc-link")),
	)
}

func configBinds(dir string) *Config {
	c := config(dir,
		specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"},
		specs.Mount{Destination: "/mnt/ro", Type: "bind", Source: "src/ro", Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/etc-link/bound.txt", Source: filepath.Join(dir, "src/file.txt"), Options: []string{"bind"}},
		specs.Mount{Destination: "/mnt/norec", Source: "src/tree", Options: []string{"bind"}},
		specs.Mount{Destination: "/mnt/rec", Source: "src/tree", Options: []string{"rbind", "nosuid", "nodev", "noexec"}},
		specs.Mount{Destination: "/mnt/rro", Source: "src/tree", Options: []string{"rbind", "rro"}},
		specs.Mount{Destination: "/mnt/shared", Source: "src/ro", Options: []string{"bind", "rshared"}},
		specs.Mount{Destination: "/mnt/tmpfs", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "noexec", "mode=700", "size=1m", "uid=1000", "gid=1000"}},
		specs.Mount{Destination: "/mnt/tmpfs-ro", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "mode=755"}},
		specs.Mount{Destination: "/proc/uptime", Source: "src/uptime", Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/mnt/abs", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/mnt/rel/sub", Type: "tmpfs", Source: "tmpfs"},
	)
	c.Spec.Root.Readonly = true
	return c
}

func checkBinds() error {
	ms, err := topMounts()
	if err != nil {
		return err
	}
	return all(
		func() error { return checkOnlyContainerMounts("/mnt", "/etc", escapeTargets[0], escapeTargets[1]) },
		func() error { return wantReadonlyDir("/") },
		func() error { return wantReadonlyDir("/etc") },
		func() error { return wantFile("/mnt/ro/file", "ro") },
		func() error { return wantReadonlyDir("/mnt/ro") },
		func() error { return wantFile("/etc/bound.txt", "bound file") },
		func() error { return wantMount(ms, "/etc/bound.txt", "") },
		// bind is not recursive: the tmpfs below the source is not there.
		func() error { return wantFile("/mnt/norec/file", "tree") },
		func() error { return wantNoMount(ms, "/mnt/norec/sub") },
		func() error {
			if _, err := os.Stat("/mnt/norec/sub/file"); err == nil {
				return errors.New("bind (not rbind) brought the submount")
			}
			return nil
		},
		func() error { return wantWritableDir("/mnt/norec") },
		// rbind: the submount comes along; flags apply to the top only.
		func() error { return wantFile("/mnt/rec/sub/file", "sub") },
		func() error { return wantMount(ms, "/mnt/rec", "", "rw", "nosuid", "nodev", "noexec") },
		func() error { return wantWritableDir("/mnt/rec") },
		func() error { return wantWritableDir("/mnt/rec/sub") },
		// rro: read-only all the way down.
		func() error { return wantFile("/mnt/rro/sub/file", "sub") },
		func() error { return wantReadonlyDir("/mnt/rro") },
		func() error { return wantReadonlyDir("/mnt/rro/sub") },
		func() error {
			if p := propagationOf(ms["/mnt/shared"]); p != "shared" {
				return fmt.Errorf("/mnt/shared is %s", p)
			}
			return nil
		},
		func() error {
			return wantMount(ms, "/mnt/tmpfs", "tmpfs", "nosuid", "noexec", "mode=700", "size=1024k", "uid=1000", "gid=1000")
		},
		func() error { return wantNode("/mnt/tmpfs", unix.S_IFDIR, 0, 0, 0o700, 1000, 1000) },
		func() error { return wantMount(ms, "/mnt/tmpfs-ro", "tmpfs", "ro") },
		func() error { return wantReadonlyDir("/mnt/tmpfs-ro") },
		func() error { return wantFile("/proc/uptime", "42.00 42.00\n") },
		func() error { return wantMount(ms, escapeTargets[0]+"/x", "tmpfs") },
		func() error { return wantMount(ms, escapeTargets[1]+"/sub", "tmpfs") },
	)
}

// setupLocked mounts, before the user namespace exists, a tmpfs whose
// nosuid, nodev and noexec the user namespace cannot clear.
func setupLocked(dir string) error {
	p := filepath.Join(dir, "src/locked")
	if err := os.MkdirAll(p, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=1m"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(p, "file"), []byte("locked"), 0o644)
}

func checkUserNS() error {
	ms, err := topMounts()
	if err != nil {
		return err
	}
	return all(
		func() error { return checkOnlyContainerMounts("/mnt") },
		func() error { return wantMount(ms, "/proc", "proc") },
		func() error { return wantMount(ms, "/dev/pts", "devpts", "gid=5", "mode=620", "ptmxmode=666") },
		func() error { return wantMount(ms, "/dev/mqueue", "mqueue") },
		// No network namespace of its own: /sys is the host's, bound.
		func() error { return wantMount(ms, "/sys", "sysfs", "ro", "nosuid", "nodev", "noexec") },
		func() error { return checkCgroupMounts(ms, func(o ownCgroup) string { return o.Path }) },
		// Devices are bind mounts of the host's nodes.
		func() error {
			for _, d := range defaultDevices {
				if err := wantMount(ms, d.Path, ""); err != nil {
					return err
				}
				if err := wantCharDev(d.Path, uint32(d.Major), uint32(d.Minor)); err != nil {
					return err
				}
			}
			return os.WriteFile("/dev/null", []byte("x"), 0)
		},
		// The remount kept the locked flags and added ro.
		func() error { return wantFile("/mnt/locked/file", "locked") },
		func() error { return wantMount(ms, "/mnt/locked", "tmpfs", "ro", "nosuid", "nodev", "noexec") },
		func() error { return wantReadonlyDir("/mnt/locked") },
		func() error { return wantMount(ms, "/mnt/locked-rw", "tmpfs", "rw", "nosuid", "nodev", "noexec") },
		func() error { return wantWritableDir("/mnt/locked-rw") },
		func() error { return checkMasked(ms) },
		func() error { return checkReadonlyPaths(ms) },
	)
}

func checkCgroupNS() error {
	ms, err := topMounts()
	if err != nil {
		return err
	}
	if isUnifiedHost() {
		return wantMount(ms, "/sys/fs/cgroup", "cgroup2", "ro")
	}
	err = checkCgroupMounts(ms, func(ownCgroup) string { return "/" })
	if err != nil {
		return err
	}
	for _, mi := range ms {
		if strings.HasPrefix(mi.Mountpoint, "/sys/fs/cgroup/") && mi.Root != "/" {
			return fmt.Errorf("%s shows %s, not the namespace's root", mi.Mountpoint, mi.Root)
		}
	}
	return nil
}

func checkNoPivot() error {
	ms, err := topMounts()
	if err != nil {
		return err
	}
	return all(
		func() error { return wantFile("/etc/marker", "rt-rootfs\n") },
		func() error { return wantReadonlyDir("/") },
		func() error { return wantReadonlyDir("/tmp") },
		func() error { return wantWritableDir("/dev") },
		func() error { return wantCharDev("/dev/null", 1, 3) },
		func() error { return wantCharDev("/proc/keys", 1, 3) },
		func() error { return wantMount(ms, "/proc/acpi", "tmpfs", "ro") },
		func() error { return wantMount(ms, "/", "", "ro") },
		func() error {
			out, err := exec.Command("/bin/busybox", "cat", "/etc/marker").CombinedOutput()
			if err != nil || string(out) != "rt-rootfs\n" {
				return fmt.Errorf("busybox in the container: %q, %v", out, err)
			}
			return nil
		},
	)
}

func configDevices(dir string) *Config {
	mode := func(m os.FileMode) *os.FileMode { return &m }
	id := func(i uint32) *uint32 { return &i }
	c := config(dir,
		specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "mode=755"}},
		specs.Mount{Destination: "/dev/custom", Source: "src/custom", Options: []string{"bind"}},
	)
	c.Spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/mynull", Type: "c", Major: 1, Minor: 3, FileMode: mode(0o600), UID: id(1000), GID: id(1001)},
		{Path: "/dev/sub/dir/myzero", Type: "u", Major: 1, Minor: 5},
		{Path: "/dev/myloop", Type: "b", Major: 7, Minor: 0, FileMode: mode(0o660), GID: id(6)},
		{Path: "/dev/myfifo", Type: "p", FileMode: mode(0o644)},
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: mode(0o620)},
		{Path: "/dev/custom", Type: "c", Major: 1, Minor: 5},
	}
	return c
}

func checkDevices() error {
	return all(
		func() error { return wantNode("/dev/mynull", unix.S_IFCHR, 1, 3, 0o600, 1000, 1001) },
		func() error { return wantNode("/dev/sub/dir/myzero", unix.S_IFCHR, 1, 5, 0o666, 0, 0) },
		func() error { return wantNode("/dev/sub/dir", unix.S_IFDIR, 0, 0, 0o755, 0, 0) },
		func() error { return wantNode("/dev/myloop", unix.S_IFBLK, 7, 0, 0o660, 0, 6) },
		func() error { return wantNode("/dev/myfifo", unix.S_IFIFO, 0, 0, 0o644, 0, 0) },
		func() error { return wantNode("/dev/null", unix.S_IFCHR, 1, 3, 0o620, 0, 0) },
		func() error { return wantNode("/dev/zero", unix.S_IFCHR, 1, 5, 0o666, 0, 0) },
		func() error { return wantNode("/dev/tty", unix.S_IFCHR, 5, 0, 0o666, 0, 0) },
		// A config mount's file is kept, not replaced by the device.
		func() error { return wantFile("/dev/custom", "custom") },
		func() error { return wantSymlink("/dev/ptmx", "pts/ptmx") },
		func() error { return wantSymlink("/dev/fd", "/proc/self/fd") },
	)
}

func checkUserNSDevices() error {
	return all(
		func() error { return wantCharDev("/dev/fuse", 10, 229) },
		func() error { return wantCharDev("/dev/null", 1, 3) },
		func() error {
			f, err := os.OpenFile("/dev/zero", os.O_RDONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			b := make([]byte, 4)
			if _, err := f.Read(b); err != nil || b[0] != 0 {
				return fmt.Errorf("read /dev/zero: %v %v", b, err)
			}
			return nil
		},
		func() error {
			// Without mknod, a device mount point is an empty file below the node.
			mounts, err := readMountInfo()
			if err != nil {
				return err
			}
			n := 0
			for _, mi := range mounts {
				if mi.Mountpoint == "/dev/fuse" || mi.Mountpoint == "/dev/null" {
					n++
				}
			}
			if n != 2 {
				return fmt.Errorf("%d device bind mounts, want 2", n)
			}
			return nil
		},
	)
}

// propagationScenario checks what linux.rootfsPropagation gives "/": the
// propagation in /proc/self/mountinfo and, as the OCI validation's
// runtimetest does, whether a mount made after an rbind of "/" shows in it.
func propagationScenario(value string) scenario {
	return scenario{
		cloneflags: syscall.CLONE_NEWPID,
		config: func(dir string) *Config {
			c := config(dir, specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"})
			c.Spec.Linux.RootfsPropagation = value
			return c
		},
		check: func() error {
			mounts, err := readMountInfo()
			if err != nil {
				return err
			}
			var root mountInfo
			for _, mi := range mounts {
				if mi.Mountpoint == "/" {
					root = mi
				}
			}
			got := propagationOf(root)
			base := strings.TrimPrefix(value, "r")
			switch {
			case base == "slave" && (got == "slave" || got == "private"):
				// A slave needs a master outside the container; on a
				// host whose / is private there is none and the kernel
				// leaves it private, which behaves alike.
			case got != base:
				return fmt.Errorf("/ is %s (%v), want %s", got, root.Optional, base)
			}
			return runtimetestPropagation(base)
		},
	}
}

// runtimetestPropagation repeats the OCI runtimetest check of
// validateRootfsPropagation.
func runtimetestPropagation(value string) error {
	target, err := os.MkdirTemp("/", "target")
	if err != nil {
		return err
	}
	defer os.RemoveAll(target)
	if value == "unbindable" {
		err := unix.Mount("/", target, "", unix.MS_BIND|unix.MS_REC, "")
		if err == nil {
			unix.Unmount(target, unix.MNT_DETACH)
			return errors.New("/ could be bind-mounted")
		}
		if !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("bind of /: %v, want EINVAL", err)
		}
		return nil
	}
	mountDir, err := os.MkdirTemp("/", "mount")
	if err != nil {
		return err
	}
	defer os.RemoveAll(mountDir)
	testDir, err := os.MkdirTemp("/", "test")
	if err != nil {
		return err
	}
	defer os.RemoveAll(testDir)
	if err := os.WriteFile(filepath.Join(testDir, "example"), nil, 0o644); err != nil {
		return err
	}
	if err := unix.Mount("/", target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	defer unix.Unmount(target, unix.MNT_DETACH)
	if err := unix.Mount(testDir, mountDir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	defer unix.Unmount(mountDir, unix.MNT_DETACH)
	_, err = os.Stat(filepath.Join(target, mountDir, "example"))
	exposed := err == nil
	if exposed != (value == "shared") {
		return fmt.Errorf("%s root propagation: mount exposed in the rbind copy: %v", value, exposed)
	}
	return nil
}
