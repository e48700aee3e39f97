package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// prepareRoot sets the propagation of "/" and turns the rootfs into a mount
// of its own that pivot_root accepts.
//
// Propagation first, on the namespace's copy of the host's mounts:
// MS_SLAVE|MS_REC, so that no mount made in the container propagates back to
// the host, unless linux.rootfsPropagation asks for shared, rshared or
// rprivate, which are applied as given (as runc does; shared is how a
// container asks to share mounts with the host). The other values only
// concern the container's "/", which Finish sets after the switch:
//   - unbindable applied here would make the self-bind of the rootfs below
//     fail with EINVAL (runc's failure on `unbindable`);
//   - slave and private are not recursive: applied here as runc does, they
//     would leave the other mounts as shared as the host's.
func prepareRoot(c *Config) error {
	flags, _ := rootPropagation(c.propagation())
	if flags&unix.MS_SHARED == 0 && flags != unix.MS_PRIVATE|unix.MS_REC {
		flags = unix.MS_SLAVE | unix.MS_REC
	}
	if err := unix.Mount("", "/", "", flags, ""); err != nil {
		return fmt.Errorf("set propagation of / to %#x: %w", flags, err)
	}
	if err := makeParentPrivate(c.Rootfs); err != nil {
		return err
	}
	if err := unix.Mount(c.Rootfs, c.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("mount %s on %s (bind): %w", c.Rootfs, c.Rootfs, err)
	}
	return nil
}

// makeParentPrivate makes the mount holding path private: pivot_root refuses a
// new root whose parent mount is shared, and a private parent keeps the
// rootfs self-bind from propagating anywhere. MS_PRIVATE on a path that is not
// a mount point fails with EINVAL, so walk up until one is found.
func makeParentPrivate(path string) error {
	for {
		err := unix.Mount("", path, "", unix.MS_PRIVATE, "")
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) || path == "/" {
			return fmt.Errorf("make mount of %s private: %w", path, err)
		}
		path = filepath.Dir(path)
	}
}

// pivotRoot makes rootfs the root with pivot_root(".", "."), which stacks the
// old root on top of the new one without needing a directory for it, then
// detaches the old root. The old root is made rslave first so that the
// unmount does not propagate to the host (rprivate is avoided: it races with
// host processes that expect to see a mount go away, as runc notes).
func pivotRoot(rootfs string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	defer unix.Close(oldRoot)
	newRoot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", rootfs, err)
	}
	defer unix.Close(newRoot)

	if err := unix.Fchdir(newRoot); err != nil {
		return fmt.Errorf("chdir %s: %w", rootfs, err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", rootfs, err)
	}
	// The kernel leaves "." on the old root, but that is not promised:
	// go there explicitly.
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("chdir to old root: %w", err)
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make old root rslave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// moveRoot is the NoPivot switch: MS_MOVE the rootfs onto "/" and chroot into
// it. The host's mounts stay in the namespace below the chroot, so first
// detach every full procfs and sysfs outside the rootfs: the kernel allows a
// new proc or sysfs mount in a user namespace only when no such mount in the
// namespace is partly hidden, and an escape from the chroot must not find
// them.
func moveRoot(rootfs string) error {
	mounts, err := readMountInfo()
	if err != nil {
		return err
	}
	for _, mi := range mounts {
		if mi.Root != "/" || (mi.FSType != "proc" && mi.FSType != "sysfs") ||
			mi.Mountpoint == rootfs || strings.HasPrefix(mi.Mountpoint, rootfs+"/") {
			continue
		}
		p := mi.Mountpoint
		if err := unix.Mount("", p, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // a parent was detached already
			}
			return fmt.Errorf("make %s rslave: %w", p, err)
		}
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
			if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) {
				return fmt.Errorf("unmount %s: %w", p, err)
			}
			// Locked in a user namespace: cover it instead.
			logrus.Debugf("rootfs: cannot unmount %s (%v), covering it with a tmpfs", p, err)
			if err := unix.Mount("tmpfs", p, "tmpfs", 0, ""); err != nil {
				return fmt.Errorf("mount tmpfs on %s: %w", p, err)
			}
		}
	}
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir %s: %w", rootfs, err)
	}
	if err := unix.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("mount %s on / (move): %w", rootfs, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot %s: %w", rootfs, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// applyRootPropagation gives the container's "/" the propagation the config
// asks for, so that /proc/self/mountinfo inside shows it. It runs after the
// switch: applied to the rootfs before it became "/", it could reach the
// host's mounts. "slave" can only show as such when the rootfs had a master
// in the host's namespace; otherwise the kernel leaves it private, which
// behaves the same from inside.
func applyRootPropagation(value string) error {
	flags, _ := rootPropagation(value)
	if flags == 0 {
		return nil
	}
	if err := unix.Mount("", "/", "", flags, ""); err != nil {
		return fmt.Errorf("set propagation of / to %s: %w", value, err)
	}
	return nil
}
