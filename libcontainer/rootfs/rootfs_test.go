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
	"nopivot-userns": {
		userns:     true,
		cloneflags: syscall.CLONE_NEWPID,
		config: func(dir string) *Config {
			c := config(dir, runcMounts()[:3]...)
			c.NoPivot, c.UserNS = true, true
			c.Spec.Root.Readonly = true
			c.Spec.Linux.MaskedPaths = []string{"/proc/keys", "/proc/acpi"}
			return c
		},
		check: checkNoPivot,
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
	"err-bind-no-source": errScenario(ErrConfig, specs.Mount{Destination: "/mnt/x", Options: []string{"rbind"}}),
	// The inner child is pid 1 of a new pid namespace with its own /proc:
	// it looks like the host's init, and Prepare refuses to run.
	"err-init-mntns": {
		cloneflags: syscall.CLONE_NEWPID,
		before:     func() error { return unix.Mount("proc", "/proc", "proc", 0, "") },
		config:     func(dir string) *Config { return config(dir) },
		wantErr:    isErr(ErrConfig),
	},
	"err-missing-source": errScenario(os.ErrNotExist, specs.Mount{Destination: "/mnt/x", Source: "/rt-no-such-source", Options: []string{"bind"}}),
}

// register adds a scenario defined next to its test.
func register(name string, sc scenario) {
	if _, dup := scenarios[name]; dup {
		panic("scenario " + name + " registered twice")
	}
	scenarios[name] = sc
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

func TestRuncDefault(t *testing.T)       { runScenario(t, "runc-default") }
func TestUserNS(t *testing.T)            { runScenario(t, "userns") }
func TestUserNSLockedClear(t *testing.T) { runScenario(t, "userns-locked-clear") }
func TestNoPivot(t *testing.T)           { runScenario(t, "nopivot") }
func TestNoPivotUserNS(t *testing.T)     { runScenario(t, "nopivot-userns") }

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

func TestErrors(t *testing.T) {
	for _, name := range []string{"err-proc-subdir", "err-proc-via-symlink", "err-proc-not-proc", "err-loop", "err-over-root", "err-missing-source", "err-bind-no-source", "err-init-mntns"} {
		t.Run(name, func(t *testing.T) { runScenario(t, name) })
	}
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
		// No network namespace of its own: /sys is the host's, bound
		// with its submounts, so the config's cgroup tmpfs covers the
		// host's.
		func() error { return wantMount(ms, "/sys", "sysfs", "ro", "nosuid", "nodev", "noexec") },
		func() error {
			mounts, err := readMountInfo()
			if err != nil {
				return err
			}
			n := 0
			for _, mi := range mounts {
				if mi.Mountpoint == "/sys/fs/cgroup" {
					n++
				}
			}
			if n < 2 {
				return fmt.Errorf("%d mounts on /sys/fs/cgroup: /sys is not the rbind fallback", n)
			}
			return nil
		},
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
