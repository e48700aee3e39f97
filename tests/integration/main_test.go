package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// suite is the state shared by every test: where the binary is, the scratch
// directory all bundles and roots live in, and what to look for when checking
// for leaks at the end. It is set once in TestMain; the registry is guarded.
var suite struct {
	bin     string // runtime binary under test
	name    string // its base name, as printed by --version
	dir     string // scratch dir holding every test's bundles and roots
	busybox string // a copy of busybox-static inside dir, hard-linked into rootfses
	applets []string
	skip    string // non-empty: why every test is skipped

	mu    sync.Mutex
	roots []string
	ids   map[string]bool
	procs map[int]string // pid -> start time, for processes of containers
}

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	suite.ids = map[string]bool{}
	suite.procs = map[int]string{}
	if err := setupSuite(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	code := m.Run()
	if suite.dir == "" {
		return code
	}
	if leaks := findLeaks(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "integration: LEAKS after the suite:\n  %s\n", strings.Join(leaks, "\n  "))
		if code == 0 {
			code = 1
		}
	}
	cleanupLeaks()
	if err := os.RemoveAll(suite.dir); err != nil {
		fmt.Fprintf(os.Stderr, "integration: remove %s: %v\n", suite.dir, err)
	}
	return code
}

func setupSuite() error {
	if os.Geteuid() != 0 {
		suite.skip = "integration tests run real containers and need root"
		return nil
	}
	bin, err := binaryPath()
	if err != nil {
		return err
	}
	suite.bin = bin
	suite.name = filepath.Base(bin)

	bb := os.Getenv("BUSYBOX")
	if bb == "" {
		bb = "/bin/busybox"
	}
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox-static is needed (apt-get install busybox-static): %s --list: %v", bb, err)
	}
	suite.applets = strings.Fields(string(out))

	dir, err := os.MkdirTemp("", "rtt-suite-")
	if err != nil {
		return err
	}
	// Bundles are read by container users other than root (uid 1000 tests).
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	suite.dir = dir
	suite.busybox = filepath.Join(dir, "busybox")
	return copyFile(bb, suite.busybox, 0o755)
}

// binaryPath finds the runtime under test: $RT_BINARY, else <repo>/rt.
func binaryPath() (string, error) {
	bin := os.Getenv("RT_BINARY")
	if bin == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return "", fmt.Errorf("cannot locate the test source to find ./rt; set RT_BINARY")
		}
		bin = filepath.Join(filepath.Dir(file), "..", "..", "rt")
	}
	if !filepath.IsAbs(bin) {
		if p, err := exec.LookPath(bin); err == nil {
			bin = p
		}
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("runtime binary %s not found or not executable: build it with `make` or set RT_BINARY", bin)
	}
	return bin, nil
}

func registerRoot(root string) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.roots = append(suite.roots, root)
}

func registerID(id string) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.ids[id] = true
}

// trackPid remembers a container process so the leak check can tell whether
// it is still alive (the start time guards against pid reuse).
func trackPid(pid int) {
	if pid <= 0 {
		return
	}
	st := procStartTime(pid)
	if st == "" {
		return
	}
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.procs[pid] = st
}

func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}
