package caps

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The tests below apply capabilities for real in a child: the test binary
// re-executed with scenarioEnv set. The child does what the container's
// init does (on one locked thread: bounding set, user switch with
// PR_SET_KEEPCAPS, Apply), prints its thread's status, then execs
// `/bin/cat /proc/self/status` from the same thread, so the parent sees the
// sets both before and after the exec.

const scenarioEnv = "RT_CAPS_TEST_SCENARIO"

const execMarker = "--- exec ---"

func TestMain(m *testing.M) {
	if name := os.Getenv(scenarioEnv); name != "" {
		runtime.LockOSThread()
		if err := runScenario(name); err != nil {
			fmt.Fprintf(os.Stderr, "scenario %s: %v\n", name, err)
			os.Exit(3)
		}
		os.Exit(0) // not reached: the scenario execs
	}
	os.Exit(m.Run())
}

type scenario struct {
	caps *specs.LinuxCapabilities
	uid  int
}

var scenarios = map[string]scenario{
	"nonroot": {uid: 1000, caps: &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
		Effective:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Inheritable: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Ambient:     []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"}, // CHOWN: not inheritable
	}},
	"root": {uid: 0, caps: &specs.LinuxCapabilities{
		Bounding:  []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETPCAP", "CAP_NET_RAW"},
		Effective: []string{"CAP_CHOWN", "CAP_NET_RAW"},
		Permitted: []string{"CAP_CHOWN", "CAP_NET_RAW"},
	}},
	"all": {uid: 0, caps: &specs.LinuxCapabilities{
		Bounding: Known(), Effective: Known(), Permitted: Known(), Inheritable: Known(), Ambient: Known(),
	}},
	"none": {uid: 1000, caps: nil},
}

func runScenario(name string) error {
	sc, ok := scenarios[name]
	if !ok {
		return fmt.Errorf("no scenario %q", name)
	}
	s, err := Parse(sc.caps)
	if err != nil {
		return err
	}
	if err := s.ApplyBounding(); err != nil {
		return err
	}
	if sc.uid != 0 {
		// What process.SwitchUser does, kept inline so this package's tests
		// depend on no other rt package.
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return err
		}
		if err := syscall.Setgroups(nil); err != nil {
			return err
		}
		if err := syscall.Setresgid(sc.uid, sc.uid, sc.uid); err != nil {
			return err
		}
		if err := syscall.Setresuid(sc.uid, sc.uid, sc.uid); err != nil {
			return err
		}
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
			return err
		}
	}
	if err := s.Apply(); err != nil {
		return err
	}
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return err
	}
	os.Stdout.Write(b)
	fmt.Println(execMarker)
	return syscall.Exec("/bin/cat", []string{"cat", "/proc/self/status"}, os.Environ())
}

// runChild runs a scenario and returns the thread's status before the exec
// and cat's status after it, and the child's stderr.
func runChild(t *testing.T, name string) (before, after map[string]string, stderr string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), scenarioEnv+"="+name)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("scenario %s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out.String(), errb.String())
	}
	b, a, ok := strings.Cut(out.String(), execMarker)
	if !ok {
		t.Fatalf("scenario %s: no exec marker in output:\n%s", name, out.String())
	}
	return parseStatus(b), parseStatus(a), errb.String()
}

func checkCaps(t *testing.T, when string, st map[string]string, want map[string]Mask) {
	t.Helper()
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if m, ok := want[k]; ok && st[k] != m.String() {
			t.Errorf("%s: %s = %s, want %s (%s)", when, k, st[k], m, joinNames(m))
		}
	}
}

func TestApplyNonRoot(t *testing.T) {
	before, after, stderr := runChild(t, "nonroot")
	bnd := maskOfT(t, "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW")
	prm := maskOfT(t, "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE")
	amb := maskOfT(t, "CAP_KILL", "CAP_NET_BIND_SERVICE")
	checkCaps(t, "before exec", before, map[string]Mask{
		"CapBnd": bnd, "CapPrm": prm, "CapEff": prm, "CapInh": amb, "CapAmb": amb,
	})
	// A non-root process execing a file without file capabilities keeps
	// its ambient set as permitted and effective (capabilities(7)).
	checkCaps(t, "after exec", after, map[string]Mask{
		"CapBnd": bnd, "CapPrm": amb, "CapEff": amb, "CapInh": amb, "CapAmb": amb,
	})
	if !strings.HasPrefix(after["Uid"], "1000\t1000\t1000\t1000") {
		t.Errorf("Uid: %s", after["Uid"])
	}
	if strings.Contains(stderr, "CAP_CHOWN") {
		t.Errorf("dropping the ambient CAP_CHOWN must be silent; stderr:\n%s", stderr)
	}
}

func TestApplyRoot(t *testing.T) {
	before, after, _ := runChild(t, "root")
	bnd := maskOfT(t, "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETPCAP", "CAP_NET_RAW")
	eff := maskOfT(t, "CAP_CHOWN", "CAP_NET_RAW")
	checkCaps(t, "before exec", before, map[string]Mask{
		"CapBnd": bnd, "CapPrm": eff, "CapEff": eff, "CapInh": 0, "CapAmb": 0,
	})
	// uid 0 execing: permitted and effective become the bounding set.
	checkCaps(t, "after exec", after, map[string]Mask{
		"CapBnd": bnd, "CapPrm": bnd, "CapEff": bnd, "CapInh": 0, "CapAmb": 0,
	})
}

func TestApplyEveryCapability(t *testing.T) {
	h, err := CurrentHost()
	if err != nil {
		t.Fatal(err)
	}
	before, after, stderr := runChild(t, "all")
	checkCaps(t, "before exec", before, map[string]Mask{
		"CapBnd": h.Bounding, "CapPrm": h.Bounding, "CapEff": h.Bounding, "CapInh": h.Bounding, "CapAmb": h.Bounding,
	})
	checkCaps(t, "after exec", after, map[string]Mask{
		"CapBnd": h.Bounding, "CapPrm": h.Bounding, "CapEff": h.Bounding, "CapAmb": h.Bounding,
	})
	if !h.Bounding.Has(unix.CAP_SYS_RESOURCE) {
		// This VM: the container starts without it, with a warning.
		if !strings.Contains(stderr, "CAP_SYS_RESOURCE is not in the runtime's bounding set") {
			t.Errorf("no warning for CAP_SYS_RESOURCE; stderr:\n%s", stderr)
		}
	}
}

func TestNilSetLeavesCapabilities(t *testing.T) {
	_, after, _ := runChild(t, "none")
	h, err := CurrentHost()
	if err != nil {
		t.Fatal(err)
	}
	// Bounding untouched; a non-root user keeps nothing across the exec.
	checkCaps(t, "after exec", after, map[string]Mask{
		"CapBnd": h.Bounding, "CapPrm": 0, "CapEff": 0, "CapAmb": 0,
	})
}
