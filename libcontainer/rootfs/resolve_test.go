package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// makeTree builds a tree below root from a spec: a value ending in "/" is a
// directory, one starting with "->" a symlink to the rest, anything else a
// file with that content.
func makeTree(t *testing.T, root string, spec map[string]string) {
	t.Helper()
	for p, v := range spec {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case v == "/":
			err = os.MkdirAll(full, 0o755)
		case len(v) > 2 && v[:2] == "->":
			err = os.Symlink(v[2:], full)
		default:
			err = os.WriteFile(full, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestResolveIn(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, map[string]string{
		"etc/":               "/",
		"etc/passwd":         "x",
		"usr/lib/":           "/",
		"lib":                "->usr/lib",
		"abs-etc":            "->/etc",
		"abs-up":             "->/../../../../etc",
		"rel-up":             "->../../../../../../../tmp",
		"deep/a/b/":          "/",
		"deep/a/b/up":        "->../../../..",
		"deep/a/b/self":      "->.",
		"chain1":             "->chain2",
		"chain2":             "->chain3",
		"chain3":             "->/etc/passwd",
		"loop1":              "->loop2",
		"loop2":              "->loop1",
		"selfloop":           "->selfloop",
		"dangling":           "->/does/not/exist",
		"file":               "content",
		"dir-with-link/":     "/",
		"dir-with-link/host": "->/proc/self/root",
	})

	tests := []struct {
		in   string
		want string // relative to root
	}{
		{"/", ""},
		{"", ""},
		{".", ""},
		{"/etc/passwd", "etc/passwd"},
		{"etc/passwd", "etc/passwd"},
		{"/../../etc", "etc"},
		{"/etc/../../..", ""},
		{"/lib/x", "usr/lib/x"},
		{"/abs-etc/passwd", "etc/passwd"},
		{"/abs-up/passwd", "etc/passwd"},
		{"/rel-up", "tmp"},
		{"/rel-up/x/y", "tmp/x/y"},
		{"/deep/a/b/up/etc", "etc"},
		{"/deep/a/b/self/up", ""},
		{"/chain1", "etc/passwd"},
		{"/dangling/child", "does/not/exist/child"},
		{"/missing/../etc", "etc"},
		{"/file/below", "file/below"},
		// Magic links are plain symlinks to ResolveIn: "/proc/self/root"
		// is taken inside the rootfs, not as the host's root.
		{"/dir-with-link/host/etc", "proc/self/root/etc"},
		{"//etc///./passwd", "etc/passwd"},
	}
	for _, tc := range tests {
		got, err := ResolveIn(root, tc.in)
		if err != nil {
			t.Errorf("ResolveIn(%q): %v", tc.in, err)
			continue
		}
		if want := filepath.Join(root, tc.want); got != want {
			t.Errorf("ResolveIn(%q) = %q, want %q", tc.in, got, want)
		}
	}

	for _, in := range []string{"/loop1", "/loop2/x", "/selfloop"} {
		_, err := ResolveIn(root, in)
		if !errors.Is(err, unix.ELOOP) {
			t.Errorf("ResolveIn(%q) error = %v, want ELOOP", in, err)
		}
	}
}

// TestResolveInStaysInside checks, for every entry of the tree, that the
// result is below root whatever the input.
func TestResolveInStaysInside(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, map[string]string{
		"a/":    "/",
		"a/up":  "->../../../..",
		"a/abs": "->/",
		"b":     "->a/up/a/abs/a/up",
	})
	for _, in := range []string{"/b", "/b/../..", "/a/up/..", "/a/abs/../../x", "../../../b/c"} {
		got, err := ResolveIn(root, in)
		if err != nil {
			t.Fatalf("ResolveIn(%q): %v", in, err)
		}
		if got != root && !hasPathPrefix(got, root) {
			t.Errorf("ResolveIn(%q) = %q escapes %q", in, got, root)
		}
	}
}

func hasPathPrefix(p, dir string) bool {
	return len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}

func TestMkdirAllIn(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, map[string]string{"file": "x", "link": "->/etc"})
	if err := mkdirAllIn(root, "a/b/c", 0o755); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "a/b/c")); err != nil || !fi.IsDir() {
		t.Fatalf("a/b/c not a directory: %v", err)
	}
	if err := mkdirAllIn(root, "file/x", 0o755); !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("mkdir below a file: %v, want ENOTDIR", err)
	}
	// A symlink met here is refused, never followed.
	if err := mkdirAllIn(root, "link/x", 0o755); !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("mkdir through a symlink: %v, want ENOTDIR", err)
	}
	if err := createFileIn(root, "d/e/f", 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "d/e/f")); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("d/e/f not a file: %v", err)
	}
	if err := createFileIn(root, "d/e/f", 0o644); err != nil {
		t.Errorf("createFileIn on an existing file: %v", err)
	}
}

func TestOpenInRootRefusesSymlinks(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, map[string]string{"dir/": "/", "link": "->dir"})
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	d, err := openInRoot(fd, root, "dir")
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(d)
	if _, err := openInRoot(fd, root, "link"); err == nil {
		t.Error("openInRoot followed a symlink")
	}
	if _, err := openInRoot(fd, root, "../x"); err == nil {
		t.Error("openInRoot left the root")
	}
}

// TestInInitMountNS checks the guard of Prepare from the test process, which
// shares the host's mount namespace (read-only: Prepare is not called).
func TestInInitMountNS(t *testing.T) {
	init, err := os.Readlink("/proc/1/ns/mnt")
	if err != nil {
		t.Skipf("pid 1 not inspectable here: %v", err)
	}
	if self, _ := os.Readlink("/proc/self/ns/mnt"); self != init {
		t.Skip("the test process is not in pid 1's mount namespace")
	}
	if !inInitMountNS() {
		t.Error("inInitMountNS() = false in pid 1's mount namespace")
	}
}
