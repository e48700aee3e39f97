package rootfs

// The real tests of Prepare, Enter and Finish run in child processes, never
// in the test process, so that the host's mount table is never touched:
//
//	go test process          builds a rootfs in a temp dir, starts the outer child
//	  outer child            CLONE_NEWNS, "/" made rprivate; runs scenario.setup
//	                         (source mounts that must exist before a user
//	                         namespace is created), then starts the inner child
//	    inner child          CLONE_NEWNS + the scenario's namespaces; "/" made
//	                         rprivate again; Prepare, Enter, Finish, then the
//	                         scenario's checks from inside the new root
//
// Each child is the test binary itself, selected by environment variables in
// TestMain. Both children refuse to run when their mount namespace is the
// test process's. The inner child's result is its exit code, its message on
// stderr. TestMain compares the host's mount table before and after the run.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

const (
	envStage    = "RT_ROOTFS_TEST_STAGE" // "outer" or "inner"
	envScenario = "RT_ROOTFS_TEST_SCENARIO"
	envDir      = "RT_ROOTFS_TEST_DIR"
	envHostNS   = "RT_ROOTFS_TEST_HOST_MNTNS"
)

// scenario is one real run of the package.
type scenario struct {
	cloneflags uintptr // namespaces of the inner child besides CLONE_NEWNS
	userns     bool    // inner child in a new user namespace, ids 0-65535 mapped to themselves
	// sharedHost makes the outer child's mounts rshared, like a systemd
	// host's, and keeps the inner child's copies their peers; the outer
	// child then fails if any mount of the inner one reached it.
	sharedHost bool
	// setup runs as root in the outer child's private mount namespace.
	setup func(dir string) error
	// before runs in the inner child, just before Prepare.
	before func() error
	// config returns the Config; dir holds rootfs/ (the rootfs) and is the bundle.
	config func(dir string) *Config
	// wantErr, when set, expects Prepare, Enter or Finish to fail and
	// returns nil when err is the expected failure.
	wantErr func(err error) error
	// check runs inside the container after Finish.
	check func() error
}

func TestMain(m *testing.M) {
	switch os.Getenv(envStage) {
	case "outer":
		os.Exit(outerMain())
	case "inner":
		os.Exit(innerMain())
	}
	before, err := hostMounts()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	after, err := hostMounts()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Other programs may mount and unmount on a shared machine meanwhile:
	// only mounts in this package's temp dirs or escape targets count.
	if leaked := ours(missingFrom(before, after)); len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: mounts left on the host by the tests: %v\n", leaked)
		code = 1
	}
	os.Exit(code)
}

// ours keeps the entries of hostMounts that this package's tests could have
// made: below a t.TempDir() or on an escape target.
func ours(mounts []string) []string {
	var out []string
	for _, m := range mounts {
		for _, prefix := range append([]string{filepath.Join(os.TempDir(), "Test")}, escapeTargets...) {
			if strings.HasPrefix(m, prefix) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// hostMounts lists "mountpoint fstype" of the calling process's namespace.
func hostMounts() ([]string, error) {
	mounts, err := readMountInfo()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, mi := range mounts {
		out = append(out, mi.Mountpoint+" "+mi.FSType)
	}
	sort.Strings(out)
	return out, nil
}

// missingFrom returns the entries of b that a lacks.
func missingFrom(a, b []string) []string {
	count := map[string]int{}
	for _, x := range a {
		count[x]++
	}
	var out []string
	for _, x := range b {
		if count[x] > 0 {
			count[x]--
			continue
		}
		out = append(out, x)
	}
	return out
}

func mntNS() string {
	ns, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return "unknown"
	}
	return ns
}

// inOwnMountNS makes sure this child is not in the test process's mount
// namespace, then, unless keepPeers, stops propagation both ways.
func inOwnMountNS(keepPeers bool) error {
	if ns := mntNS(); ns == os.Getenv(envHostNS) || ns == "unknown" {
		return fmt.Errorf("refusing to run: mount namespace %s is the host's", ns)
	}
	if keepPeers {
		return nil
	}
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make / rprivate: %w", err)
	}
	return nil
}

func outerMain() int {
	name := os.Getenv(envScenario)
	sc, ok := scenarios[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", name)
		return 2
	}
	if err := inOwnMountNS(false); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	dir := os.Getenv(envDir)
	if sc.setup != nil {
		if err := sc.setup(dir); err != nil {
			fmt.Fprintf(os.Stderr, "setup: %v\n", err)
			return 2
		}
	}
	var before []string
	if sc.sharedHost {
		if err := unix.Mount("", "/", "", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
			fmt.Fprintf(os.Stderr, "make / rshared: %v\n", err)
			return 2
		}
		before, _ = hostMounts()
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), envStage+"=inner")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | sc.cloneflags}
	if sc.userns {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
	}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "inner child: %v\n", err)
		return 2
	}
	if sc.sharedHost {
		after, _ := hostMounts()
		var leaked []string
		for _, m := range missingFrom(before, after) {
			if strings.HasPrefix(m, dir) {
				leaked = append(leaked, m)
			}
		}
		if len(leaked) > 0 || len(after) == 0 {
			fmt.Fprintf(os.Stderr, "mounts of the container propagated to the outer namespace: %v\n", leaked)
			return 1
		}
	}
	return 0
}

func innerMain() int {
	sc := scenarios[os.Getenv(envScenario)]
	if err := inOwnMountNS(sc.sharedHost); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	logrus.SetOutput(os.Stderr)
	logrus.SetLevel(logrus.DebugLevel)
	// Prepare must not depend on the caller's umask or working directory.
	unix.Umask(0o077)
	if err := os.Chdir("/"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if sc.before != nil {
		if err := sc.before(); err != nil {
			fmt.Fprintf(os.Stderr, "before: %v\n", err)
			return 2
		}
	}
	c := sc.config(os.Getenv(envDir))
	err := Prepare(c)
	if err == nil {
		err = Enter(c)
	}
	if err == nil {
		err = Finish(c)
	}
	if sc.wantErr != nil {
		if err == nil {
			fmt.Fprintln(os.Stderr, "expected an error, got none")
			return 1
		}
		if werr := sc.wantErr(err); werr != nil {
			fmt.Fprintf(os.Stderr, "unexpected error %v: %v\n", err, werr)
			return 1
		}
		fmt.Printf("expected error: %v\n", err)
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := sc.check(); err != nil {
		fmt.Fprintf(os.Stderr, "check: %v\n", err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

// runScenario builds a busybox rootfs in a temp dir and runs the named
// scenario in child processes. It returns the temp dir for checks on the
// host side.
func runScenario(t *testing.T, name string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, ok := scenarios[name]; !ok {
		t.Fatalf("no scenario %q", name)
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	makeRootfs(t, filepath.Join(dir, "rootfs"))

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envStage+"=outer", envScenario+"="+name, envDir+"="+dir, envHostNS+"="+mntNS())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	err = cmd.Run()
	t.Logf("%s: %s", name, strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("scenario %s failed: %v", name, err)
	}
	return dir
}

// busyboxPath finds a static busybox on the host.
func busyboxPath(t *testing.T) string {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("busybox not installed (apt-get install busybox-static)")
	return ""
}

// makeRootfs builds a tiny rootfs: busybox, a few directories and a marker.
func makeRootfs(t *testing.T, root string) {
	t.Helper()
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp", "mnt"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.Open(busyboxPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(root, "bin/busybox"), os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"sh", "ls", "cat"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/marker"), []byte("rt-rootfs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
