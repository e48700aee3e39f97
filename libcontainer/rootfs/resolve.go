package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSymlinks bounds the symlinks followed while resolving one path, as the
// kernel's MAXSYMLINKS does; a loop ends with ELOOP.
const maxSymlinks = 40

// ResolveIn returns the host path that unsafePath names when root is taken as
// "/", the way the kernel would resolve it after chroot(root): each existing
// component is examined in turn, a symlink is replaced by its target (an
// absolute target restarts from root, a relative one from the symlink's
// directory) and ".." never climbs above root. Components that do not exist
// (or sit below a non-directory) are kept as written, so the result is where a
// mount point would have to be created. The result is root joined with a clean
// path free of symlinks at the time of the call, and it is never outside root.
//
// It needs no privilege; the caller must still guard against the tree being
// changed after the call (see openInRoot).
func ResolveIn(root, unsafePath string) (string, error) {
	rel, err := resolveRel(root, unsafePath)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, rel), nil
}

// resolveRel is ResolveIn returning the path relative to root ("" for root
// itself).
func resolveRel(root, unsafePath string) (string, error) {
	var (
		resolved  string // relative to root, clean, symlink-free
		remaining = unsafePath
		links     int
	)
	for remaining != "" {
		var part string
		part, remaining, _ = strings.Cut(remaining, "/")
		switch part {
		case "", ".":
			continue
		case "..":
			resolved = parentRel(resolved)
			continue
		}
		next := joinRel(resolved, part)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
				// Nothing to follow from here on: keep the rest lexically.
				resolved = next
				continue
			}
			return "", fmt.Errorf("resolve %s in %s: %w", unsafePath, root, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		links++
		if links > maxSymlinks {
			return "", fmt.Errorf("resolve %s in %s: too many symlinks: %w", unsafePath, root, unix.ELOOP)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", fmt.Errorf("resolve %s in %s: %w", unsafePath, root, err)
		}
		if strings.HasPrefix(target, "/") {
			resolved = ""
		}
		remaining = target + "/" + remaining
	}
	return resolved, nil
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func parentRel(rel string) string {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return ""
	}
	return rel[:i]
}

// mkdirAllIn creates the missing directories of rel (a path from
// resolveRel) below root with the given mode, one component at a time,
// refusing to go through anything that is not a directory.
func mkdirAllIn(root, rel string, mode os.FileMode) error {
	cur := root
	for _, part := range strings.Split(rel, "/") {
		if part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return fmt.Errorf("mkdir %s: %w", cur, unix.ENOTDIR)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("mkdir %s: %w", cur, err)
		}
		if err := unix.Mkdir(cur, uint32(mode.Perm())); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("mkdir %s: %w", cur, err)
		}
	}
	return nil
}

// createFileIn makes sure rel exists below root as a file (an empty one is
// created when missing) after creating its parent directories; it is the
// mount point of a bind mount of a non-directory.
func createFileIn(root, rel string, mode os.FileMode) error {
	if err := mkdirAllIn(root, parentRel(rel), 0o755); err != nil {
		return err
	}
	p := filepath.Join(root, rel)
	fd, err := unix.Open(p, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, uint32(mode.Perm()))
	if err != nil {
		if errors.Is(err, unix.EEXIST) {
			return nil
		}
		return fmt.Errorf("create %s: %w", p, err)
	}
	return unix.Close(fd)
}

// openInRoot opens rel below the directory fd rootFd as an O_PATH fd, refusing
// any symlink on the way and any escape from the root: rel comes from
// resolveRel, so a symlink met now means the tree changed since, and the
// operation must fail rather than follow it. Kernels without openat2 fall back
// to an O_NOFOLLOW open of the joined path.
func openInRoot(rootFd int, root, rel string) (int, error) {
	if rel == "" {
		rel = "."
	}
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(rootFd, rel, &how)
	if errors.Is(err, unix.ENOSYS) {
		fd, err = unix.Open(filepath.Join(root, rel), unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	}
	if err != nil {
		return -1, fmt.Errorf("open %s in %s: %w", rel, root, err)
	}
	return fd, nil
}

// procFdPath names an open fd through procfs, the form mount(2) accepts as a
// target that is exactly the object the fd holds.
func procFdPath(fd int) string {
	return fmt.Sprintf("/proc/self/fd/%d", fd)
}
