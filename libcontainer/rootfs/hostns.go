package rootfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// A container without a mount namespace of its own (linux.namespaces lists
// no "mount") mounts in the runtime's namespace, as the spec says. rt keeps
// that contained: every mount goes on a private self-bind of the rootfs,
// the root is entered with chroot, and Release detaches the whole tree at
// once when the container is deleted (runc leaves such mounts behind).

// prepareHostRoot makes the rootfs a private mount of its own in the
// runtime's mount namespace, leaving every other mount's propagation as it
// is.
func prepareHostRoot(rootfs string) error {
	if err := unix.Mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("mount %s on %s (bind): %w", rootfs, rootfs, err)
	}
	if err := unix.Mount("", rootfs, "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		_ = unix.Unmount(rootfs, unix.MNT_DETACH)
		return fmt.Errorf("make %s private: %w", rootfs, err)
	}
	return nil
}

// chrootInto enters the rootfs without pivot_root, which needs a mount
// namespace of our own.
func chrootInto(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir %s: %w", rootfs, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot %s: %w", rootfs, err)
	}
	return unix.Chdir("/")
}

// Release removes the mounts of a container that had no mount namespace of
// its own: the self-bind Prepare stacked on the rootfs, with everything
// mounted below it. It detaches only a mount it can tell is that bind
// (one whose root is a subdirectory, or stacked on another mount at the
// same place), never a rootfs mount the caller made (an overlay of
// containerd's). It runs in the runtime's mount namespace.
func Release(rootfs string) error {
	mounts, err := readMountInfo()
	if err != nil {
		return err
	}
	var top *mountInfo
	count := 0
	for i := range mounts {
		if mounts[i].Mountpoint == rootfs {
			top = &mounts[i] // mountinfo lists a stack bottom to top
			count++
		}
	}
	if top == nil || (top.Root == "/" && count < 2) {
		return nil
	}
	if err := unix.Unmount(rootfs, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unmount %s: %w", rootfs, err)
	}
	return nil
}
