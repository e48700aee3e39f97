package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// These run in Finish, inside the container's root, so plain paths are
// resolved by the kernel within it.

// readonlyPath bind-mounts p onto itself and makes it, and every mount below
// it, read-only. A missing path is ignored.
func readonlyPath(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("mount %s on %s (bind): %w", p, p, err)
	}
	return setReadonly(p, true)
}

// maskPath hides p: /dev/null bound over a file, an empty read-only tmpfs over
// a directory. A missing path is ignored. data is the tmpfs's mount data
// (its SELinux context, if any).
func maskPath(p, data string) error {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
			return nil
		}
		return fmt.Errorf("mask %s: %w", p, err)
	}
	if fi.IsDir() {
		if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, data); err != nil {
			return fmt.Errorf("mount tmpfs on %s: %w", p, err)
		}
		return nil
	}
	if err := unix.Mount("/dev/null", p, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("mount /dev/null on %s: %w", p, err)
	}
	return nil
}

// setReadonly makes the mount at p read-only, and with recursive every mount
// below it too. mount_setattr(2) changes only that flag, so locked flags
// need no care; kernels before 5.12 get a bind remount that keeps the
// mount's current flags (recursive is then limited to the top mount).
func setReadonly(p string, recursive bool) error {
	var flags uint
	if recursive {
		flags = unix.AT_RECURSIVE
	}
	err := unix.MountSetattr(unix.AT_FDCWD, p, flags, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("make %s read-only: %w", p, err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("make %s read-only: statfs: %w", p, err)
	}
	remount := unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | statfsToMountFlags(st.Flags)
	if err := unix.Mount("", p, "", remount, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", p, err)
	}
	return nil
}

// remountReadonlyMounts applies the "ro" of the config's tmpfs, /dev and cgroup
// mounts, which Prepare mounted writable so that they could be populated.
func remountReadonlyMounts(mounts []specs.Mount) error {
	for _, sm := range mounts {
		o := parseMountOptions(sm.Options)
		if o.flags&unix.MS_RDONLY == 0 || o.flags&unix.MS_BIND != 0 || sm.Type == "bind" {
			continue
		}
		dest := filepath.Clean("/" + sm.Destination)
		if sm.Type != "tmpfs" && sm.Type != "cgroup" && dest != "/dev" {
			continue
		}
		if err := setReadonly(dest, false); err != nil {
			return err
		}
	}
	return nil
}
