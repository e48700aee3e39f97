package caps

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestTableMatchesKernelNumbers(t *testing.T) {
	want := map[string]int{
		"CAP_CHOWN": unix.CAP_CHOWN, "CAP_DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE,
		"CAP_DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH, "CAP_FOWNER": unix.CAP_FOWNER,
		"CAP_FSETID": unix.CAP_FSETID, "CAP_KILL": unix.CAP_KILL, "CAP_SETGID": unix.CAP_SETGID,
		"CAP_SETUID": unix.CAP_SETUID, "CAP_SETPCAP": unix.CAP_SETPCAP,
		"CAP_LINUX_IMMUTABLE": unix.CAP_LINUX_IMMUTABLE, "CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE,
		"CAP_NET_BROADCAST": unix.CAP_NET_BROADCAST, "CAP_NET_ADMIN": unix.CAP_NET_ADMIN,
		"CAP_NET_RAW": unix.CAP_NET_RAW, "CAP_IPC_LOCK": unix.CAP_IPC_LOCK, "CAP_IPC_OWNER": unix.CAP_IPC_OWNER,
		"CAP_SYS_MODULE": unix.CAP_SYS_MODULE, "CAP_SYS_RAWIO": unix.CAP_SYS_RAWIO,
		"CAP_SYS_CHROOT": unix.CAP_SYS_CHROOT, "CAP_SYS_PTRACE": unix.CAP_SYS_PTRACE,
		"CAP_SYS_PACCT": unix.CAP_SYS_PACCT, "CAP_SYS_ADMIN": unix.CAP_SYS_ADMIN, "CAP_SYS_BOOT": unix.CAP_SYS_BOOT,
		"CAP_SYS_NICE": unix.CAP_SYS_NICE, "CAP_SYS_RESOURCE": unix.CAP_SYS_RESOURCE,
		"CAP_SYS_TIME": unix.CAP_SYS_TIME, "CAP_SYS_TTY_CONFIG": unix.CAP_SYS_TTY_CONFIG,
		"CAP_MKNOD": unix.CAP_MKNOD, "CAP_LEASE": unix.CAP_LEASE, "CAP_AUDIT_WRITE": unix.CAP_AUDIT_WRITE,
		"CAP_AUDIT_CONTROL": unix.CAP_AUDIT_CONTROL, "CAP_SETFCAP": unix.CAP_SETFCAP,
		"CAP_MAC_OVERRIDE": unix.CAP_MAC_OVERRIDE, "CAP_MAC_ADMIN": unix.CAP_MAC_ADMIN,
		"CAP_SYSLOG": unix.CAP_SYSLOG, "CAP_WAKE_ALARM": unix.CAP_WAKE_ALARM,
		"CAP_BLOCK_SUSPEND": unix.CAP_BLOCK_SUSPEND, "CAP_AUDIT_READ": unix.CAP_AUDIT_READ,
		"CAP_PERFMON": unix.CAP_PERFMON, "CAP_BPF": unix.CAP_BPF,
		"CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
	}
	known := Known()
	if len(known) != len(want) || Last != unix.CAP_CHECKPOINT_RESTORE {
		t.Fatalf("Known() has %d names, Last = %d; want %d names up to %d", len(known), Last, len(want), unix.CAP_CHECKPOINT_RESTORE)
	}
	for i, name := range known {
		if want[name] != i {
			t.Errorf("%s is number %d in the table, %d in the kernel", name, i, want[name])
		}
		if n, err := Number(name); err != nil || n != i {
			t.Errorf("Number(%s) = %d, %v", name, n, err)
		}
	}
	known[0] = "changed"
	if Known()[0] != "CAP_CHOWN" {
		t.Error("Known() returned the table itself")
	}
	if Name(41) != "cap_41" {
		t.Errorf("Name(41) = %q", Name(41))
	}
}

func TestUnknownNameIsAnError(t *testing.T) {
	for _, name := range []string{"CAP_TEST", "cap_chown", "CHOWN", ""} {
		c := &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN"}, Effective: []string{name}}
		_, _, err := ParseFor(c, fullHost())
		if !errors.Is(err, ErrUnknown) {
			t.Errorf("%q: err = %v, want ErrUnknown", name, err)
		}
	}
	_, _, err := ParseFor(&specs.LinuxCapabilities{Ambient: []string{"CAP_TEST"}}, fullHost())
	if err == nil || err.Error() != `unknown capability "CAP_TEST"` {
		t.Errorf("err = %v", err)
	}
	if _, err := Parse(&specs.LinuxCapabilities{Bounding: []string{"CAP_TEST"}}); !errors.Is(err, ErrUnknown) {
		t.Errorf("Parse: err = %v", err)
	}
}

func fullHost() Host {
	return Host{LastCap: Last, Bounding: Mask(1)<<(Last+1) - 1}
}

func maskOfT(t *testing.T, names ...string) Mask {
	t.Helper()
	m, err := maskOf(names)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseForMasks(t *testing.T) {
	c := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_BPF", "CAP_CHOWN"},
		Effective:   []string{"CAP_CHOWN", "CAP_BPF"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_BPF"},
		Inheritable: []string{"CAP_KILL", "CAP_BPF"},
		Ambient:     []string{"CAP_KILL", "CAP_BPF"},
	}
	s, warnings, err := ParseFor(c, fullHost())
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err = %v, warnings = %v", err, warnings)
	}
	want := Set{
		Bounding:    1<<unix.CAP_CHOWN | 1<<unix.CAP_KILL | 1<<unix.CAP_NET_RAW | 1<<unix.CAP_BPF,
		Effective:   1<<unix.CAP_CHOWN | 1<<unix.CAP_BPF,
		Permitted:   1<<unix.CAP_CHOWN | 1<<unix.CAP_KILL | 1<<unix.CAP_BPF,
		Inheritable: 1<<unix.CAP_KILL | 1<<unix.CAP_BPF,
		Ambient:     1<<unix.CAP_KILL | 1<<unix.CAP_BPF,
	}
	if *s != want {
		t.Errorf("got %+v, want %+v", *s, want)
	}
	if s.Bounding.String() != "0000008000002021" {
		t.Errorf("String() = %s", s.Bounding)
	}
	if got := strings.Join(s.Ambient.Names(), ","); got != "CAP_KILL,CAP_BPF" {
		t.Errorf("Names() = %s", got)
	}
}

func TestParseForDropsWhatTheHostCannotGive(t *testing.T) {
	h := Host{LastCap: 38, Bounding: fullHost().Bounding &^ (1 << unix.CAP_SYS_RESOURCE)}
	all := Known()
	c := &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all, Inheritable: all, Ambient: all}
	s, warnings, err := ParseFor(c, h)
	if err != nil {
		t.Fatal(err)
	}
	want := h.Bounding & (1<<39 - 1)
	for name, m := range map[string]Mask{"bounding": s.Bounding, "effective": s.Effective,
		"permitted": s.Permitted, "inheritable": s.Inheritable, "ambient": s.Ambient} {
		if m != want {
			t.Errorf("%s = %s, want %s", name, m, want)
		}
	}
	text := strings.Join(warnings, "\n")
	for _, w := range []string{
		"CAP_SYS_RESOURCE is not in the runtime's bounding set: dropped from the bounding, effective, permitted, inheritable, ambient set(s)",
		"CAP_BPF is not known to this kernel (cap_last_cap is 38)",
		"CAP_CHECKPOINT_RESTORE is not known to this kernel",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("warnings lack %q:\n%s", w, text)
		}
	}
	if len(warnings) != 3 {
		t.Errorf("want one warning per dropped capability, got %d:\n%s", len(warnings), text)
	}
}

func TestParseForKernelRules(t *testing.T) {
	_, _, err := ParseFor(&specs.LinuxCapabilities{
		Bounding: []string{"CAP_CHOWN", "CAP_KILL"}, Effective: []string{"CAP_CHOWN", "CAP_KILL"},
		Permitted: []string{"CAP_CHOWN"},
	}, fullHost())
	if err == nil || err.Error() != "capabilities CAP_KILL are effective but not permitted" {
		t.Errorf("effective ⊄ permitted: err = %v", err)
	}
	_, _, err = ParseFor(&specs.LinuxCapabilities{
		Bounding: []string{"CAP_CHOWN"}, Inheritable: []string{"CAP_KILL"},
	}, fullHost())
	if err == nil || !strings.Contains(err.Error(), "CAP_KILL are inheritable but not in the bounding set") {
		t.Errorf("inheritable ⊄ bounding: err = %v", err)
	}

	s, warnings, err := ParseFor(&specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL"},
		Inheritable: []string{"CAP_CHOWN", "CAP_NET_RAW"},
		Ambient:     []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"},
	}, fullHost())
	if err != nil {
		t.Fatal(err)
	}
	if s.Ambient != maskOfT(t, "CAP_CHOWN") {
		t.Errorf("ambient = %v", s.Ambient.Names())
	}
	if len(warnings) != 0 {
		t.Errorf("dropping ambient caps must be silent, warnings = %q", warnings)
	}
}

func TestNilMeansLeaveAlone(t *testing.T) {
	s, err := Parse(nil)
	if s != nil || err != nil {
		t.Fatalf("Parse(nil) = %v, %v", s, err)
	}
	if err := s.ApplyBounding(); err != nil {
		t.Error(err)
	}
	if err := s.Apply(); err != nil {
		t.Error(err)
	}
	// An empty (non-nil) config means "no capabilities at all".
	s, _, err = ParseFor(&specs.LinuxCapabilities{}, fullHost())
	if err != nil || s == nil || *s != (Set{}) {
		t.Errorf("empty config: %+v, %v", s, err)
	}
}

func TestCurrentHost(t *testing.T) {
	h, err := CurrentHost()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := strconv.Atoi(strings.TrimSpace(string(b))); last != h.LastCap {
		t.Errorf("LastCap = %d, cap_last_cap = %d", h.LastCap, last)
	}
	st := readStatus(t, "/proc/thread-self/status")
	if st["CapBnd"] != h.Bounding.String() {
		t.Errorf("Bounding = %s, CapBnd = %s", h.Bounding, st["CapBnd"])
	}
}

// readStatus parses a /proc/<pid>/status file into its fields.
func readStatus(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseStatus(string(b))
}

func parseStatus(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}
