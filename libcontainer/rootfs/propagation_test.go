package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func init() {
	register("shared-host", sharedHostScenario(""))
	register("shared-host-rshared", sharedHostScenario("rshared"))
	for _, v := range []string{"shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable"} {
		register("propagation-"+v, propagationScenario(v))
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
