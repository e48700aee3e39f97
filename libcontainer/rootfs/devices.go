package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// defaultDevices are created in every container whose /dev is set up, as the
// runtime spec requires; an entry of linux.devices with the same path
// replaces one.
var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

// defaultDeviceMode is the mode of a device without fileMode.
const defaultDeviceMode = 0o666

// needsDevSetup reports whether Prepare populates /dev: always, unless the
// config bind-mounts something onto /dev (then that is the container's /dev,
// as in runc).
func needsDevSetup(spec *specs.Spec) bool {
	for _, sm := range spec.Mounts {
		if filepath.Clean("/"+sm.Destination) != "/dev" {
			continue
		}
		if sm.Type == "bind" || parseMountOptions(sm.Options).flags&unix.MS_BIND != 0 {
			return false
		}
	}
	return true
}

// containerDevices returns linux.devices followed by the default devices
// that linux.devices does not name.
func containerDevices(spec *specs.Spec) []specs.LinuxDevice {
	var devs []specs.LinuxDevice
	named := map[string]bool{}
	if spec.Linux != nil {
		for _, d := range spec.Linux.Devices {
			devs = append(devs, d)
			named[filepath.Clean(d.Path)] = true
		}
	}
	for _, d := range defaultDevices {
		if !named[d.Path] {
			devs = append(devs, d)
		}
	}
	return devs
}

// setupDev creates the devices, /dev/ptmx and the /dev symlinks.
func (m *mounter) setupDev() error {
	for _, d := range containerDevices(m.c.Spec) {
		if err := m.createDevice(d); err != nil {
			return err
		}
	}
	if err := m.setupPtmx(); err != nil {
		return err
	}
	return m.setupDevSymlinks()
}

// resolveParent resolves the directory of p inside the rootfs and joins the
// last component unresolved: the object at p itself is what gets created, so
// a symlink there must not be followed.
func (m *mounter) resolveParent(p string) (string, error) {
	base := filepath.Base(filepath.Clean("/" + p))
	if base == "/" {
		return "", fmt.Errorf("%s: %w", p, errMountOverRoot)
	}
	dir, err := resolveRel(m.root, filepath.Dir(filepath.Clean("/"+p)))
	if err != nil {
		return "", err
	}
	return joinRel(dir, base), nil
}

func deviceType(t string) (uint32, error) {
	switch t {
	case "c", "u":
		return unix.S_IFCHR, nil
	case "b":
		return unix.S_IFBLK, nil
	case "p":
		return unix.S_IFIFO, nil
	}
	return 0, fmt.Errorf("unknown device type %q", t)
}

// createDevice makes the device node d in the rootfs, unless something is
// there already (a config mount put it there): mknod, then chown, or, in a
// user namespace where mknod is not permitted, a bind mount of the host's
// node onto an empty file. The node is made relative to an fd of its
// directory, opened without following symlinks.
func (m *mounter) createDevice(d specs.LinuxDevice) error {
	if d.Path == "" {
		return nil
	}
	typ, err := deviceType(d.Type)
	if err != nil {
		return fmt.Errorf("create device %s: %w", d.Path, err)
	}
	rel, err := m.resolveParent(d.Path)
	if err != nil {
		return fmt.Errorf("create device %s: %w", d.Path, err)
	}
	dest := m.host(rel)
	if err := mkdirAllIn(m.root, parentRel(rel), 0o755); err != nil {
		return fmt.Errorf("create device %s: %w", dest, err)
	}
	base := filepath.Base(rel)
	bind := m.c.UserNS
	err = m.withTarget(parentRel(rel), func(dirFd int, _ string) error {
		var st unix.Stat_t
		if err := unix.Fstatat(dirFd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
			logrus.Debugf("rootfs: %s exists, not creating device %s", dest, d.Path)
			bind = false
			return nil
		}
		if bind {
			return nil
		}
		mode := uint32(defaultDeviceMode)
		if d.FileMode != nil {
			mode = uint32(d.FileMode.Perm())
		}
		dev := 0
		if typ != unix.S_IFIFO {
			dev = int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
		}
		if err := unix.Mknodat(dirFd, base, typ|mode, dev); err != nil {
			if errors.Is(err, unix.EPERM) && typ != unix.S_IFIFO {
				logrus.Debugf("rootfs: mknod %s not permitted, bind-mounting %s", dest, d.Path)
				bind = true
				return nil
			}
			return fmt.Errorf("mknod %s: %w", dest, err)
		}
		uid, gid := -1, -1
		if d.UID != nil {
			uid = int(*d.UID)
		}
		if d.GID != nil {
			gid = int(*d.GID)
		}
		if err := unix.Fchownat(dirFd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown %s: %w", dest, err)
		}
		return nil
	})
	if err != nil || !bind {
		return err
	}
	return m.bindDevice(d, rel)
}

// bindDevice bind-mounts the host's node at d.Path onto an empty file at rel.
func (m *mounter) bindDevice(d specs.LinuxDevice, rel string) error {
	if err := createFileIn(m.root, rel, 0); err != nil {
		return fmt.Errorf("mount %s on %s: %w", d.Path, m.host(rel), err)
	}
	err := m.withTarget(rel, func(_ int, target string) error {
		return unix.Mount(d.Path, target, "", unix.MS_BIND, "")
	})
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", d.Path, m.host(rel), err)
	}
	return nil
}

// setupPtmx makes /dev/ptmx a symlink to pts/ptmx, so that the container uses
// the ptmx of its own devpts instance. A /dev/ptmx of the rootfs is replaced;
// one that is a mount point (a config mount) is kept.
func (m *mounter) setupPtmx() error {
	rel, err := m.resolveParent("/dev/ptmx")
	if err != nil {
		return fmt.Errorf("set up /dev/ptmx: %w", err)
	}
	if err := mkdirAllIn(m.root, parentRel(rel), 0o755); err != nil {
		return fmt.Errorf("set up /dev/ptmx: %w", err)
	}
	dest := m.host(rel)
	return m.withTarget(parentRel(rel), func(dirFd int, _ string) error {
		var stx unix.Statx_t
		err := unix.Statx(dirFd, "ptmx", unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE, &stx)
		switch {
		case err == nil && stx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 && stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0:
			return nil
		case err == nil:
			if err := unix.Unlinkat(dirFd, "ptmx", 0); err != nil {
				return fmt.Errorf("set up /dev/ptmx: remove %s: %w", dest, err)
			}
		case !errors.Is(err, unix.ENOENT):
			return fmt.Errorf("set up /dev/ptmx: stat %s: %w", dest, err)
		}
		if err := unix.Symlinkat("pts/ptmx", dirFd, "ptmx"); err != nil {
			return fmt.Errorf("set up /dev/ptmx: symlink %s: %w", dest, err)
		}
		return nil
	})
}

// setupDevSymlinks creates the conventional /dev symlinks into /proc where
// nothing is in the way.
func (m *mounter) setupDevSymlinks() error {
	links := [][2]string{
		{"/proc/self/fd", "/dev/fd"},
		{"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"},
		{"/proc/self/fd/2", "/dev/stderr"},
	}
	// CONFIG_PROC_KCORE may be off: link /dev/core only if the host has it.
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "/dev/core"})
	}
	for _, l := range links {
		rel, err := m.resolveParent(l[1])
		if err == nil {
			err = mkdirAllIn(m.root, parentRel(rel), 0o755)
		}
		if err == nil {
			err = m.withTarget(parentRel(rel), func(dirFd int, _ string) error {
				return unix.Symlinkat(l[0], dirFd, filepath.Base(rel))
			})
		}
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink %s to %s: %w", l[1], l[0], err)
		}
	}
	return nil
}

// reopenDevNull replaces standard streams that are the host's /dev/null
// (same device numbers) with the container's own /dev/null, so that no fd
// of the container refers to a file of the host's root. Run after the
// switch of root.
func reopenDevNull() error {
	f, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open /dev/null: %w", err)
	}
	defer f.Close()
	var null unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &null); err != nil {
		return fmt.Errorf("stat /dev/null: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			continue // closed: nothing to replace
		}
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev && (st.Dev != null.Dev || st.Ino != null.Ino) {
			if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
				return fmt.Errorf("reopen fd %d on /dev/null: %w", fd, err)
			}
		}
	}
	return nil
}
