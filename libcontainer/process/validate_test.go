package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestValidateRlimits(t *testing.T) {
	all := []string{"RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
		"RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE",
		"RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"}
	var ok []specs.POSIXRlimit
	seen := map[int]bool{}
	for _, name := range all {
		res, found := rlimitResource(name)
		if !found || seen[res] || res < 0 || res > 15 {
			t.Errorf("%s -> %d, %v", name, res, found)
		}
		seen[res] = true
		ok = append(ok, specs.POSIXRlimit{Type: name, Soft: 10, Hard: 10})
	}
	if err := ValidateRlimits(ok); err != nil {
		t.Errorf("valid rlimits: %v", err)
	}
	for _, tc := range []struct {
		rl   []specs.POSIXRlimit
		want string
	}{
		{[]specs.POSIXRlimit{{Type: "RLIMIT_FOO", Soft: 1, Hard: 1}}, `unknown rlimit type "RLIMIT_FOO"`},
		{[]specs.POSIXRlimit{{Type: "rlimit_nofile", Soft: 1, Hard: 1}}, `unknown rlimit type "rlimit_nofile"`},
		{[]specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2000, Hard: 1000}},
			"rlimit RLIMIT_NOFILE: soft limit 2000 is above hard limit 1000"},
		{[]specs.POSIXRlimit{{Type: "RLIMIT_CORE", Soft: 1, Hard: 1}, {Type: "RLIMIT_CORE", Soft: 2, Hard: 2}},
			"rlimit RLIMIT_CORE is given more than once"},
	} {
		err := ValidateRlimits(tc.rl)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: err = %v, want %q", tc.rl, err, tc.want)
		}
		// SetRlimits validates before it sets anything.
		if err := SetRlimits(tc.rl, nil); err == nil || err.Error() != tc.want {
			t.Errorf("SetRlimits(%v): err = %v", tc.rl, err)
		}
	}
}

func TestValidateSysctl(t *testing.T) {
	ipc := NamespaceSet{specs.IPCNamespace: true}
	net := NamespaceSet{specs.NetworkNamespace: true}
	uts := NamespaceSet{specs.UTSNamespace: true}
	none := NamespaceSet{}
	for _, tc := range []struct {
		key  string
		ns   NamespaceSet
		want string // "" = allowed
	}{
		{"kernel.msgmax", ipc, ""},
		{"kernel.shm_rmid_forced", ipc, ""},
		{"fs.mqueue.msg_max", ipc, ""},
		{"kernel/sem", ipc, ""},
		{"kernel.shmmax", none, `sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace`},
		{"fs.mqueue.queues_max", net, `sysctl "fs.mqueue.queues_max" is not allowed in the hosts ipc namespace`},
		{"net.ipv4.ip_forward", net, ""},
		{"net/ipv4/conf/eth0.100/forwarding", net, ""},
		{"net.ipv4.ip_forward", ipc, `sysctl "net.ipv4.ip_forward" not allowed in host network namespace`},
		{"kernel.domainname", uts, ""},
		{"kernel.domainname", none, `sysctl "kernel.domainname" is not in a separate kernel namespace`},
		{"kernel.hostname", uts, `sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field`},
		{"kernel.hostname", none, `sysctl "kernel.hostname" is not in a separate kernel namespace`},
		{"vm.swappiness", NamespaceSet{specs.IPCNamespace: true, specs.NetworkNamespace: true,
			specs.UTSNamespace: true}, `sysctl "vm.swappiness" is not in a separate kernel namespace`},
		{"kernel.pid_max", ipc, `sysctl "kernel.pid_max" is not in a separate kernel namespace`},
		{"net/../../etc/passwd", net, `sysctl "net/../../etc/passwd": invalid name`},
		{"net.ipv4..ip_forward", net, `sysctl "net.ipv4..ip_forward": invalid name`},
	} {
		err := ValidateSysctl(map[string]string{tc.key: "1"}, tc.ns)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s with %v: got %q, want %q", tc.key, tc.ns, got, tc.want)
		}
	}
}

func TestSysctlPath(t *testing.T) {
	for key, want := range map[string]string{
		"net.ipv4.ip_forward":               "/proc/sys/net/ipv4/ip_forward",
		"net/ipv4/ip_forward":               "/proc/sys/net/ipv4/ip_forward",
		"net/ipv4/conf/eth0.100/forwarding": "/proc/sys/net/ipv4/conf/eth0.100/forwarding",
		"net.ipv4.conf.eth0/100.forwarding": "/proc/sys/net/ipv4/conf/eth0.100/forwarding",
		"kernel.shmmax":                     "/proc/sys/kernel/shmmax",
	} {
		if got, err := sysctlPath(key); err != nil || got != want {
			t.Errorf("%s -> %q, %v; want %q", key, got, err, want)
		}
	}
	for _, key := range []string{"", ".", "net.", "/net", "net/..", "net/./x", "a//b"} {
		if got, err := sysctlPath(key); err == nil {
			t.Errorf("%q -> %q, want an error", key, got)
		}
	}
	if err := WriteSysctl(map[string]string{"net/../x": "1"}); err == nil {
		t.Error("WriteSysctl accepted a key leaving /proc/sys")
	}
}

func TestPrivateNamespaces(t *testing.T) {
	ns := []specs.LinuxNamespace{
		{Type: specs.IPCNamespace},
		{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}, // the caller's own: shared
	}
	if os.Geteuid() == 0 {
		// A namespace joined by path that is not ours: a sleeping child's.
		cmd := exec.Command("/bin/sleep", "60")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUTS}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace, Path: fmt.Sprintf("/proc/%d/ns/uts", cmd.Process.Pid)})
	}
	set, err := PrivateNamespaces(ns)
	if err != nil {
		t.Fatal(err)
	}
	if !set.Has(specs.IPCNamespace) || set.Has(specs.NetworkNamespace) || set.Has(specs.PIDNamespace) {
		t.Errorf("set = %v", set)
	}
	if os.Geteuid() == 0 && !set.Has(specs.UTSNamespace) {
		t.Errorf("another process's uts namespace is not private: %v", set)
	}
	if _, err := PrivateNamespaces([]specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/nonexistent/ns"}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: err = %v", err)
	}
	if _, err := PrivateNamespaces([]specs.LinuxNamespace{{Type: "bogus", Path: "/proc/self/ns/net"}}); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestEnvHome(t *testing.T) {
	passwd := filepath.Join(t.TempDir(), "passwd")
	content := "root:x:0:0:root:/root:/bin/sh\n# comment\nbad line\nfirst:x:1000:1000::/home/first:/bin/sh\nsecond:x:1000:1000::/home/second:/bin/sh\nnohome:x:1001:1001:::/bin/sh\n"
	if err := os.WriteFile(passwd, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	in := []string{"PATH=/bin", "HOME_NOT=1"}
	for uid, home := range map[int]string{0: "/root", 1000: "/home/first", 1001: "/", 4242: "/"} {
		got := envWithHome(in, uid, passwd)
		want := append(append([]string{}, in...), "HOME="+home)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("uid %d: %q, want %q", uid, got, want)
		}
	}
	withHome := []string{"HOME=/x", "A=b"}
	if got := envWithHome(withHome, 0, passwd); !reflect.DeepEqual(got, withHome) {
		t.Errorf("HOME set: %q", got)
	}
	if got := envWithHome(in, 0, filepath.Join(t.TempDir(), "none")); got[len(got)-1] != "HOME=/" {
		t.Errorf("no passwd file: %q", got)
	}
	if len(in) != 2 {
		t.Error("input modified")
	}
}

func TestListenFDsEnv(t *testing.T) {
	env := []string{"A=1", "LISTEN_FDS=9", "LISTEN_PID=9", "LISTEN_FDS_X=keep"}
	if got := ListenFDsEnv(env, 0); !reflect.DeepEqual(got, env) {
		t.Errorf("preserveFds 0: %q", got)
	}
	want := []string{"A=1", "LISTEN_FDS_X=keep", "LISTEN_FDS=2", "LISTEN_PID=" + strconv.Itoa(os.Getpid())}
	if got := ListenFDsEnv(env, 2); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mk("a/noexec", 0o644)
	mk("b/noexec", 0o755)
	mk("a/both", 0o755)
	mk("b/both", 0o755)
	mk("b/plain", 0o644)
	if err := os.MkdirAll(filepath.Join(dir, "a", "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/nonexistent:" + a + ":" + b}

	for name, want := range map[string]string{
		"both":   filepath.Join(a, "both"),
		"noexec": filepath.Join(b, "noexec"), // execvp goes on after EACCES
	} {
		if got, err := LookPath(name, env); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	_, err := LookPath("missing", env)
	if !errors.Is(err, ErrNotFound) || err.Error() != `exec: "missing": executable file not found in $PATH` {
		t.Errorf("missing: %v", err)
	}
	if _, err := LookPath("plain", env); !errors.Is(err, unix.EACCES) {
		t.Errorf("plain (not executable): %v", err)
	}
	if _, err := LookPath("adir", env); !errors.Is(err, unix.EACCES) { // execve gives EACCES for a directory
		t.Errorf("adir: %v", err)
	}
	// Slash paths: used as they are, checked.
	if got, err := LookPath(filepath.Join(a, "both"), nil); err != nil || got != filepath.Join(a, "both") {
		t.Errorf("absolute: %q, %v", got, err)
	}
	if _, err := LookPath(filepath.Join(a, "nope"), nil); !errors.Is(err, os.ErrNotExist) ||
		!strings.HasPrefix(err.Error(), `exec: "`+filepath.Join(a, "nope")+`": stat `) {
		t.Errorf("absolute missing: %v", err)
	}
	if _, err := LookPath(filepath.Join(a, "noexec"), nil); !errors.Is(err, unix.EACCES) {
		t.Errorf("absolute not executable: %v", err)
	}
	if _, err := LookPath(filepath.Join(a, "adir"), nil); !errors.Is(err, unix.EACCES) {
		t.Errorf("directory: %v", err)
	}
	// No PATH: runc's default; empty PATH elements: the current directory.
	if got, err := LookPath("sh", []string{"A=b"}); err != nil || !strings.HasSuffix(got, "/sh") {
		t.Errorf("default PATH: %q, %v", got, err)
	}
	t.Chdir(a)
	if got, err := LookPath("both", []string{"PATH=/nonexistent:"}); err != nil || got != "./both" {
		t.Errorf("empty element: %q, %v", got, err)
	}
	if got, err := LookPath("both", []string{"PATH=/bin", "PATH=" + b}); err != nil || got != filepath.Join(b, "both") {
		t.Errorf("last PATH wins: %q, %v", got, err)
	}
	if _, err := LookPath("", env); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty name: %v", err)
	}
}

func TestChdirRejects(t *testing.T) {
	if err := Chdir("relative/dir"); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Errorf("relative: %v", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Chdir(f); !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("file: %v", err)
	}
}

func TestCloseExecFrom(t *testing.T) {
	for name, fn := range map[string]func(int) error{
		"close_range": CloseExecFrom, "/proc/self/fd": closeExecFromProc,
	} {
		fds := make([]int, 3)
		for i := range fds {
			fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0) // no O_CLOEXEC
			if err != nil {
				t.Fatal(err)
			}
			fds[i] = fd
		}
		if err := fn(fds[1]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, fd := range fds {
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := flags&unix.FD_CLOEXEC != 0, fd >= fds[1]; got != want {
				t.Errorf("%s: fd %d (#%d) close-on-exec = %v, want %v", name, fd, i, got, want)
			}
			unix.Close(fd)
		}
	}
	if err := CloseExecFrom(-1); err == nil {
		t.Error("negative fd accepted")
	}
}

func TestValidateOOMScoreAdj(t *testing.T) {
	for _, v := range []int{-1001, 1001} {
		if err := ValidateOOMScoreAdj(&v); err == nil {
			t.Errorf("%d accepted", v)
		}
	}
	for _, v := range []int{-1000, 0, 1000} {
		if err := ValidateOOMScoreAdj(&v); err != nil {
			t.Errorf("%d refused: %v", v, err)
		}
	}
	if err := ValidateOOMScoreAdj(nil); err != nil {
		t.Errorf("unset refused: %v", err)
	}
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeProcFile(f, "1"); err == nil || !strings.Contains(err.Error(), "is not on procfs") {
		t.Errorf("writeProcFile outside procfs: %v", err)
	}
}
