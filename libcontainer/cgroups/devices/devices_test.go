package devices

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func i64(v int64) *int64 { return &v }

func mustEmulate(t *testing.T, rules []Rule) *Set {
	t.Helper()
	s, err := Emulate(rules)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDefaultConfig: runc's default config (deny all) plus the default
// rules gives exactly runc's devices.list on this host.
func TestDefaultConfig(t *testing.T) {
	rules, err := FromSpec([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}})
	if err != nil {
		t.Fatal(err)
	}
	s := mustEmulate(t, rules)
	var lines []string
	for _, w := range s.V1Writes() {
		lines = append(lines, w.File+" "+w.Line)
	}
	want := []string{
		"devices.deny a",
		"devices.allow b *:* m", "devices.allow c *:* m",
		"devices.allow c 1:3 rwm", "devices.allow c 1:5 rwm", "devices.allow c 1:7 rwm", "devices.allow c 1:8 rwm",
		"devices.allow c 1:9 rwm", "devices.allow c 5:0 rwm", "devices.allow c 5:2 rwm", "devices.allow c 10:200 rwm",
		"devices.allow c 136:* rwm",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestFromSpecErrors(t *testing.T) {
	for name, d := range map[string]specs.LinuxDeviceCgroup{
		"type":   {Type: "p", Access: "rwm"},
		"access": {Type: "c", Access: "rx"},
		"empty":  {Type: "c", Access: ""},
		"major":  {Type: "c", Major: i64(-5), Access: "r"},
	} {
		if _, err := FromSpec([]specs.LinuxDeviceCgroup{d}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEmulate(t *testing.T) {
	c := func(maj, min int64, acc Access, allow bool) Rule {
		return Rule{Type: 'c', Major: maj, Minor: min, Access: acc, Allow: allow}
	}
	reset := func(allow bool) Rule { return Rule{Type: 'a', Allow: allow} }
	for name, tc := range map[string]struct {
		rules []Rule
		want  string
	}{
		"empty is deny all":  {nil, "default deny"},
		"allow then narrow":  {[]Rule{c(1, 3, All, true), c(1, 3, Write, false)}, "default deny; except c 1:3 rm"},
		"remove all access":  {[]Rule{c(1, 3, Read, true), c(1, 3, Read, false)}, "default deny"},
		"merge accesses":     {[]Rule{c(1, 3, Read, true), c(1, 3, Write, true)}, "default deny; except c 1:3 rw"},
		"reset drops":        {[]Rule{c(1, 3, All, true), reset(true)}, "default allow"},
		"blacklist":          {[]Rule{reset(true), c(1, 5, Read, false)}, "default allow; except c 1:5 r"},
		"later reset counts": {[]Rule{reset(true), c(1, 5, Read, false), reset(false), c(1, 9, All, true)}, "default deny; except c 1:9 rwm"},
	} {
		if got := mustEmulate(t, tc.rules).String(); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	// Removing a device from a wildcard exception cannot work in v1: error.
	if _, err := Emulate([]Rule{c(Wildcard, Wildcard, All, true), c(1, 3, Read, false)}); err == nil {
		t.Error("punching a hole in c *:* was accepted")
	}
}

func TestProgram(t *testing.T) {
	s := &Set{Exceptions: []Rule{
		{Type: 'c', Major: 1, Minor: 3, Access: Read | Write, Allow: true},
		{Type: 'b', Major: Wildcard, Minor: Wildcard, Access: All, Allow: true},
	}}
	p, err := s.Program()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(p))
	for i, in := range p {
		got[i] = fmt.Sprintf("%02x %02x %d %d", in.Code, in.Regs, in.Off, in.Imm)
	}
	want := []string{
		"61 12 0 0", "54 02 0 65535", "61 13 0 0", "74 03 0 16", "61 14 4 0", "61 15 8 0", // context
		"55 02 7 2", "bc 31 0 0", "54 01 0 6", "5d 31 4 0", "55 04 3 1", "55 05 2 3", "b4 00 0 1", "95 00 0 0", // c 1:3 rw
		"55 02 2 1", "b4 00 0 1", "95 00 0 0", // b *:* rwm
		"b4 00 0 0", "95 00 0 0", // default deny
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("program:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A deny exception refuses any overlap: JEQ r1, 0 (no shared access: next).
	d := &Set{DefaultAllow: true, Exceptions: []Rule{{Type: 'c', Major: 1, Minor: 5, Access: Write}}}
	if p, _ := d.Program(); p[9].Code != opJeqK || p[len(p)-2].Imm != 1 {
		t.Errorf("deny program: %+v", p)
	}
	if len(Encode(p)) != 8*len(p) {
		t.Error("encoding is not 8 bytes an instruction")
	}
}

// cgroup2Mount is a cgroup2 mount of this host (the unified hierarchy of a
// hybrid host, or /sys/fs/cgroup), or "".
func cgroup2Mount() string {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	return ""
}

// TestAttachFilters loads and attaches real filters to a new cgroup2 cgroup
// (root only; on this VM the hybrid host's /sys/fs/cgroup/unified) and
// checks what a process cloned into it can open.
func TestAttachFilters(t *testing.T) {
	mnt := cgroup2Mount()
	if os.Geteuid() != 0 || mnt == "" {
		t.Skip("needs root and a cgroup2 mount")
	}
	dir := filepath.Join(mnt, fmt.Sprintf("rt-devices-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Rmdir(dir) })

	// Deny all but /dev/null read-write: /dev/zero is refused.
	s := mustEmulate(t, []Rule{{Type: 'a'}, {Type: 'c', Major: 1, Minor: 3, Access: Read | Write, Allow: true}})
	if err := Attach(dir, s); err != nil {
		t.Fatal(err)
	}
	run := func(script string) (string, error) {
		fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("echo x > /dev/null && head -c 1 /dev/null"); err != nil {
		t.Errorf("/dev/null refused: %v: %s", err, out)
	}
	if out, err := run("head -c 1 /dev/zero"); err == nil || !strings.Contains(out, "not permitted") {
		t.Errorf("/dev/zero allowed: %v: %q", err, out)
	}

	// A second Attach replaces the first: now /dev/zero is allowed, /dev/null not.
	s = mustEmulate(t, []Rule{{Type: 'a'}, {Type: 'c', Major: 1, Minor: 5, Access: Read, Allow: true}})
	if err := Attach(dir, s); err != nil {
		t.Fatal(err)
	}
	fd, _ := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	ids, err := attached(fd)
	unix.Close(fd)
	if err != nil || len(ids) != 1 {
		t.Errorf("after a second Attach: programs %v, %v; want one", ids, err)
	}
	if out, err := run("head -c 1 /dev/zero | od -An -tx1"); err != nil || strings.TrimSpace(out) != "00" {
		t.Errorf("/dev/zero refused after the update: %v: %q", err, out)
	}
	if out, err := run("head -c 1 /dev/null"); err == nil {
		t.Errorf("/dev/null allowed after the update: %q", out)
	}
}
