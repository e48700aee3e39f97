package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Config is what the three steps need to know about the container.
type Config struct {
	// Spec is the full config; this package reads Spec.Mounts,
	// Spec.Linux.{Devices,MaskedPaths,ReadonlyPaths,RootfsPropagation,
	// MountLabel} and Spec.Root.Readonly.
	Spec *specs.Spec
	// Rootfs is the absolute, symlink-resolved host path of the rootfs.
	Rootfs string
	// Bundle is the absolute bundle directory; relative bind sources are
	// relative to it.
	Bundle string
	// NoPivot replaces pivot_root by MS_MOVE of the rootfs onto "/" and
	// chroot (for a rootfs on a ramdisk, where pivot_root fails).
	NoPivot bool
	// UserNS is set when the container has its own user namespace: device
	// nodes are then bind-mounted from the host instead of mknod'ed, and
	// sysfs may fall back to an rbind of the host's /sys.
	UserNS bool
	// CgroupNS is set when the container has its own cgroup namespace (and
	// the init already entered it): a `cgroup` mount then mounts each
	// hierarchy afresh instead of bind-mounting the container's cgroup dirs.
	CgroupNS bool
	// WaitCgroup, when set, is called once, before the first cgroup mount
	// or at the end of Prepare: where the init waits until it is in its
	// cgroups and makes its cgroup namespace (see initproto, message 5a).
	WaitCgroup func() error
	// HostMountNS is set when the container shares the runtime's mount
	// namespace (see hostns.go): mounts go on a private self-bind of the
	// rootfs and Enter uses chroot.
	HostMountNS bool
}

// ErrConfig is wrapped by the errors about an unusable Config.
var ErrConfig = errors.New("invalid rootfs config")

func (c *Config) check() error {
	switch {
	case c == nil || c.Spec == nil:
		return fmt.Errorf("%w: no spec", ErrConfig)
	case !filepath.IsAbs(c.Rootfs) || filepath.Clean(c.Rootfs) != c.Rootfs:
		return fmt.Errorf("%w: rootfs %q is not a clean absolute path", ErrConfig, c.Rootfs)
	case c.Rootfs == "/":
		return fmt.Errorf("%w: rootfs is the host's /", ErrConfig)
	case c.Bundle != "" && !filepath.IsAbs(c.Bundle):
		return fmt.Errorf("%w: bundle %q is not absolute", ErrConfig, c.Bundle)
	}
	if _, ok := rootPropagation(c.propagation()); !ok {
		return fmt.Errorf("%w: unknown linux.rootfsPropagation %q", ErrConfig, c.propagation())
	}
	return nil
}

func (c *Config) propagation() string {
	if c.Spec.Linux == nil {
		return ""
	}
	return c.Spec.Linux.RootfsPropagation
}

func (c *Config) mountLabel() string {
	if c.Spec.Linux == nil {
		return ""
	}
	return c.Spec.Linux.MountLabel
}

// Prepare runs in the container's new mount namespace, still on the host's
// root: it makes "/" rslave (or applies linux.rootfsPropagation when that is
// shared, rshared or rprivate), makes the rootfs's parent mount private,
// bind-mounts the rootfs onto itself, performs every mount of the config in order, then creates the
// devices and symlinks of /dev unless /dev is a bind mount of the config.
//
// It needs CAP_SYS_ADMIN (and CAP_MKNOD unless UserNS) in the mount
// namespace's owning user namespace. It does not depend on the working
// directory and leaves it unchanged; it runs with umask 0 and restores the
// caller's umask before returning.
func Prepare(c *Config) error {
	if err := c.check(); err != nil {
		return err
	}
	if !c.HostMountNS && inInitMountNS() {
		return fmt.Errorf("%w: the process is in the mount namespace of pid 1; Prepare needs a mount namespace of its own", ErrConfig)
	}
	oldMask := unix.Umask(0)
	defer unix.Umask(oldMask)

	prepare := prepareRoot
	if c.HostMountNS {
		prepare = func(c *Config) error { return prepareHostRoot(c.Rootfs) }
	}
	if err := prepare(c); err != nil {
		return err
	}
	m, err := newMounter(c)
	if err != nil {
		return err
	}
	defer m.close()
	wait := c.WaitCgroup
	for _, sm := range c.Spec.Mounts {
		if wait != nil && (sm.Type == "cgroup" || sm.Type == "cgroup2") {
			if err := wait(); err != nil {
				return err
			}
			wait = nil
		}
		if err := m.mount(sm); err != nil {
			return err
		}
	}
	if needsDevSetup(c.Spec) {
		if err := m.setupDev(); err != nil {
			return err
		}
	}
	if wait != nil {
		return wait()
	}
	return nil
}

// Enter switches the calling process's root to the rootfs: pivot_root and
// detach the old root, or with NoPivot move the rootfs onto "/" and chroot.
// It leaves the working directory at the new "/". When Prepare set up /dev,
// standard streams that are the host's /dev/null are re-opened on the
// container's.
func Enter(c *Config) error {
	if err := c.check(); err != nil {
		return err
	}
	var err error
	switch {
	case c.HostMountNS:
		err = chrootInto(c.Rootfs)
	case c.NoPivot:
		err = moveRoot(c.Rootfs)
	default:
		err = pivotRoot(c.Rootfs)
	}
	if err != nil {
		return err
	}
	if needsDevSetup(c.Spec) {
		return reopenDevNull()
	}
	return nil
}

// Finish runs inside the new root, after Enter: it makes linux.readonlyPaths
// read-only, masks linux.maskedPaths, remounts read-only the tmpfs, /dev and
// cgroup mounts of the config that asked for "ro" (they were mounted
// writable so that Prepare and the hooks could fill them), makes "/"
// read-only when root.readonly is set, and finally applies
// linux.rootfsPropagation to "/".
func Finish(c *Config) error {
	if err := c.check(); err != nil {
		return err
	}
	label := formatMountLabel("", c.mountLabel(), selinuxEnabled())
	if l := c.Spec.Linux; l != nil {
		for _, p := range l.ReadonlyPaths {
			if err := readonlyPath(p); err != nil {
				return err
			}
		}
		for _, p := range l.MaskedPaths {
			if err := maskPath(p, label); err != nil {
				return err
			}
		}
	}
	if err := remountReadonlyMounts(c.Spec.Mounts); err != nil {
		return err
	}
	if c.Spec.Root != nil && c.Spec.Root.Readonly {
		if err := setReadonly("/", false); err != nil {
			return err
		}
	}
	return applyRootPropagation(c.propagation())
}

// inInitMountNS reports whether the calling process shares the mount
// namespace of pid 1 of the /proc it sees (before the switch, the host's).
// Prepare there would change the host's propagation and mount on the host;
// a guard against a caller that forgot to unshare. False when it cannot
// tell (pid 1 not inspectable, e.g. from a user namespace).
func inInitMountNS() bool {
	self, err1 := os.Readlink("/proc/self/ns/mnt")
	init, err2 := os.Readlink("/proc/1/ns/mnt")
	return err1 == nil && err2 == nil && self == init
}
