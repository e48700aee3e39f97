package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// mounter performs the config's mounts below the rootfs. It lives for one
// Prepare call.
type mounter struct {
	c      *Config
	root   string // host path of the rootfs
	rootFd int    // O_PATH fd of the rootfs self-bind, for openInRoot
	label  string // the mount label, "" when SELinux is not enabled
}

func newMounter(c *Config) (*mounter, error) {
	fd, err := unix.Open(c.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open rootfs %s: %w", c.Rootfs, err)
	}
	m := &mounter{c: c, root: c.Rootfs, rootFd: fd}
	if selinuxEnabled() {
		m.label = c.mountLabel()
	}
	return m, nil
}

func (m *mounter) close() {
	unix.Close(m.rootFd)
}

// entry is one mount of the config, parsed.
type entry struct {
	dest   string // as in the config
	source string // bind: absolute host path; other types: as given
	typ    string // "" for a bind mount
	bind   bool
	opts   mountOptions
}

func (m *mounter) newEntry(sm specs.Mount) *entry {
	e := &entry{dest: sm.Destination, source: sm.Source, typ: sm.Type, opts: parseMountOptions(sm.Options)}
	if sm.Type == "bind" || e.opts.flags&unix.MS_BIND != 0 {
		// The type of a bind mount means nothing to the kernel.
		e.bind = true
		e.typ = ""
		e.opts.flags |= unix.MS_BIND
		if e.source != "" && !filepath.IsAbs(e.source) && m.c.Bundle != "" {
			e.source = filepath.Join(m.c.Bundle, e.source)
		}
	}
	if e.source == "" {
		e.source = e.typ
	}
	return e
}

// mount performs one mount of the config.
func (m *mounter) mount(sm specs.Mount) error {
	e := m.newEntry(sm)
	switch {
	case e.bind:
		return m.mountBind(e)
	case e.typ == "cgroup":
		return m.mountCgroup(e)
	default:
		_, err := m.mountFS(e)
		return err
	}
}

// host returns the host path of rel, for messages.
func (m *mounter) host(rel string) string {
	return filepath.Join(m.root, rel)
}

// prepareTarget resolves the destination of e inside the rootfs, refuses
// /proc, and creates the mount point: a directory, or an empty file when
// isDir is false. It returns the path relative to the rootfs.
func (m *mounter) prepareTarget(e *entry, isDir bool) (string, error) {
	rel, err := resolveRel(m.root, e.dest)
	if err != nil {
		return "", fmt.Errorf("mount %s on %s: %w", e.source, e.dest, err)
	}
	if rel == "" {
		return "", fmt.Errorf("mount %s on %s: %w", e.source, e.dest, errMountOverRoot)
	}
	if err := checkProcMount(rel, e); err != nil {
		return "", fmt.Errorf("mount %s on %s: %w", e.source, m.host(rel), err)
	}
	if isDir {
		err = mkdirAllIn(m.root, rel, 0o755)
	} else {
		err = createFileIn(m.root, rel, 0o644)
	}
	if err != nil {
		return "", fmt.Errorf("mount %s on %s: %w", e.source, m.host(rel), err)
	}
	return rel, nil
}

// withTarget opens rel inside the rootfs without following any symlink and
// calls fn with the fd and its /proc/self/fd path. Re-opening for each step
// matters: after a mount, a new fd refers to the new mount's root, the old
// one to the directory below it.
func (m *mounter) withTarget(rel string, fn func(fd int, path string) error) error {
	fd, err := openInRoot(m.rootFd, m.root, rel)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return fn(fd, procFdPath(fd))
}

// mountFS mounts a filesystem of type e.typ (tmpfs, proc, sysfs, devpts,
// mqueue, ...) and returns where, relative to the rootfs.
func (m *mounter) mountFS(e *entry) (string, error) {
	rel, err := m.prepareTarget(e, true)
	if err != nil {
		return "", err
	}
	flags := e.opts.flags
	if e.typ == "tmpfs" || rel == "dev" {
		// Kept writable until Finish: /dev gets its devices, and hooks
		// may fill a tmpfs. remountReadonlyMounts applies the "ro".
		flags &^= unix.MS_RDONLY
	}
	data := e.opts.data
	switch e.typ {
	case "proc", "sysfs":
		// These filesystems take no SELinux context option.
	default:
		data = formatMountLabel(data, m.label, true)
	}
	err = m.withTarget(rel, func(_ int, target string) error {
		err := unix.Mount(e.source, target, e.typ, flags, data)
		if err != nil && e.typ == "mqueue" && data != e.opts.data {
			// Older kernels cannot label mqueue.
			err = unix.Mount(e.source, target, e.typ, flags, e.opts.data)
		}
		return err
	})
	if err != nil && e.typ == "sysfs" && m.c.UserNS && errors.Is(err, unix.EPERM) {
		// Only the owner of the network namespace may mount sysfs: a
		// user namespace without its own netns binds the host's /sys.
		logrus.Debugf("rootfs: sysfs not permitted on %s, bind-mounting /sys instead", m.host(rel))
		o := e.opts
		o.flags |= unix.MS_BIND | unix.MS_REC
		return rel, m.bindAt(rel, "/sys", o)
	}
	if err != nil {
		return "", fmt.Errorf("mount %s on %s: %w", e.source, m.host(rel), err)
	}
	return rel, m.finishMount(rel, e.source, e.opts)
}

// mountBind bind-mounts e.source (MS_REC for rbind) and applies its options.
func (m *mounter) mountBind(e *entry) error {
	if !filepath.IsAbs(e.source) {
		return fmt.Errorf("mount %q on %s: %w: a bind source must be absolute or relative to the bundle", e.source, e.dest, ErrConfig)
	}
	fi, err := os.Stat(e.source)
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", e.source, e.dest, err)
	}
	rel, err := m.prepareTarget(e, fi.IsDir())
	if err != nil {
		return err
	}
	return m.bindAt(rel, e.source, e.opts)
}

// bindAt bind-mounts source on rel. A bind ignores every flag but MS_REC, so
// when options ask for more (ro, nosuid, ... or clear one with rw, suid, ...)
// a remount follows, which keeps the source's locked flags.
func (m *mounter) bindAt(rel, source string, o mountOptions) error {
	err := m.withTarget(rel, func(_ int, target string) error {
		return unix.Mount(source, target, "", unix.MS_BIND|(o.flags&unix.MS_REC), "")
	})
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", source, m.host(rel), err)
	}
	if o.flags&^(unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) != 0 || o.cleared != 0 {
		err := m.withTarget(rel, func(_ int, target string) error {
			return remountBind(target, o.flags, o.cleared)
		})
		if err != nil {
			return fmt.Errorf("remount %s on %s: %w", source, m.host(rel), err)
		}
	}
	return m.finishMount(rel, source, o)
}

// finishMount applies the propagation options, in order, then the recursive
// attributes (rro, rnosuid, ...).
func (m *mounter) finishMount(rel, source string, o mountOptions) error {
	for _, p := range o.propagation {
		err := m.withTarget(rel, func(_ int, target string) error {
			return unix.Mount("", target, "", p, "")
		})
		if err != nil {
			return fmt.Errorf("set propagation %#x of %s on %s: %w", p, source, m.host(rel), err)
		}
	}
	if !o.hasAttrs() {
		return nil
	}
	err := m.withTarget(rel, func(fd int, _ string) error {
		attr := unix.MountAttr{Attr_set: o.attrSet, Attr_clr: o.attrClr}
		return unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr)
	})
	if err != nil {
		return fmt.Errorf("set recursive attributes of %s on %s: %w", source, m.host(rel), err)
	}
	return nil
}

// lockableFlags are the per-mount flags the kernel locks on mounts copied into
// a less privileged mount namespace: a remount may not clear them.
const lockableFlags = unix.MS_RDONLY | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSUID |
	unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME

const atimeFlags = unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME

// remountBind applies flags to the bind mount at target. The first attempt
// sets exactly the asked flags, as "mount --bind -o ..." means. It fails with
// EPERM when that would clear a flag locked on the source (in a user
// namespace, e.g. the nodev of a host mount); then, like runc, retry with the
// source's lockable flags added, unless the options explicitly cleared one of
// them (that request cannot be honoured) or asked for their own atime mode.
func remountBind(target string, flags, cleared uintptr) error {
	flags = (flags | unix.MS_BIND | unix.MS_REMOUNT) &^ unix.MS_REC
	err := unix.Mount("", target, "", flags, "")
	if err == nil || !errors.Is(err, unix.EPERM) {
		return err
	}
	var st unix.Statfs_t
	if serr := unix.Statfs(target, &st); serr != nil {
		return err
	}
	locked := statfsToMountFlags(st.Flags) & lockableFlags
	if locked&cleared != 0 {
		return fmt.Errorf("%w: the options clear flags %#x locked on the source", err, locked&cleared)
	}
	if flags&atimeFlags != 0 {
		locked &^= atimeFlags
	}
	if rerr := unix.Mount("", target, "", flags|locked, ""); rerr != nil {
		return fmt.Errorf("%w (retry with the source's locked flags %#x: %w)", err, locked, rerr)
	}
	return nil
}

// stNoSymfollow is ST_NOSYMFOLLOW, missing from x/sys.
const stNoSymfollow = 0x2000

// statfsToMountFlags converts statfs(2) f_flags (ST_*) to MS_* flags; most
// share values, the atime ones and nosymfollow do not.
func statfsToMountFlags(st int64) uintptr {
	pairs := [...]struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_SYNCHRONOUS, unix.MS_SYNCHRONOUS},
		{unix.ST_MANDLOCK, unix.MS_MANDLOCK},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
		{stNoSymfollow, unix.MS_NOSYMFOLLOW},
	}
	var ms uintptr
	for _, p := range pairs {
		if st&p.st != 0 {
			ms |= p.ms
		}
	}
	return ms
}

var (
	// ErrProcMount is wrapped by the refusal to mount inside /proc.
	ErrProcMount = errors.New("destination is inside /proc")
	// errMountOverRoot refuses a destination that resolves to the rootfs.
	errMountOverRoot = errors.New("destination resolves to the rootfs itself")
)

// procAllowed are the only paths below /proc a mount may cover: files that
// lxcfs-like tools emulate, the list runc allows since CVE-2019-19921 (a
// mount over /proc/self/attr could disable an LSM for the container).
var procAllowed = []string{
	"proc/cpuinfo",
	"proc/diskstats",
	"proc/meminfo",
	"proc/stat",
	"proc/swaps",
	"proc/uptime",
	"proc/loadavg",
	"proc/slabinfo",
	"proc/net/dev",
	"proc/sys/kernel/ns_last_pid",
	"proc/sys/crypto/fips_enabled",
}

// procRootIno is the inode number of the root of every procfs.
const procRootIno = 1

// checkProcMount refuses mounts on /proc and below (rel is the resolved
// destination relative to the rootfs), except a proc filesystem (fresh, or a
// bind of one) on /proc itself and the files of procAllowed.
func checkProcMount(rel string, e *entry) error {
	if rel != "proc" && !strings.HasPrefix(rel, "proc/") {
		return nil
	}
	if rel == "proc" {
		if !e.bind && e.typ == "proc" {
			return nil
		}
		if e.bind {
			var st unix.Statfs_t
			if err := unix.Statfs(e.source, &st); err != nil {
				return fmt.Errorf("statfs %s: %w", e.source, err)
			}
			if st.Type == unix.PROC_SUPER_MAGIC {
				var fi unix.Stat_t
				if err := unix.Stat(e.source, &fi); err == nil && fi.Ino != procRootIno {
					logrus.Warnf("rootfs: bind-mount of %s on /proc: a procfs but not its root (inode %d)", e.source, fi.Ino)
				}
				return nil
			}
		}
		return fmt.Errorf("%w: only a proc filesystem may be mounted on /proc", ErrProcMount)
	}
	for _, ok := range procAllowed {
		if rel == ok {
			return nil
		}
	}
	return fmt.Errorf("%w: /%s is not one of the /proc files a mount may cover (%s)",
		ErrProcMount, rel, strings.Join(procAllowed, ", "))
}
