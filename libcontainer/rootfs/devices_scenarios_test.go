package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func init() {
	register("devices", scenario{
		setup: func(dir string) error {
			if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "src/custom"), []byte("custom"), 0o644)
		},
		config: configDevices,
		check:  checkDevices,
	})
	register("userns-devices", scenario{
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
	})
}

func TestDevices(t *testing.T) { runScenario(t, "devices") }

func TestUserNSDevices(t *testing.T) { runScenario(t, "userns-devices") }

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
