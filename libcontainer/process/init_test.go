package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"rt/libcontainer/security/caps"
)

// The tests in this file apply settings for real in a child: the test
// binary re-executed with scenarioEnv naming a scenario. The child locks
// its thread as the container's init does, makes the settings, and (for
// most scenarios) execs a program from that thread that prints what it got,
// so the parent checks the values that survive the exec. A scenario that
// returns an error makes the child exit with status 3 and print the error.

const (
	scenarioEnv = "RT_PROCESS_TEST_SCENARIO"
	dirEnv      = "RT_PROCESS_TEST_DIR"
	failStatus  = 3
)

func TestMain(m *testing.M) {
	if name := os.Getenv(scenarioEnv); name != "" {
		runtime.LockOSThread()
		if err := runScenario(name, os.Getenv(dirEnv)); err != nil {
			fmt.Fprintf(os.Stderr, "scenario %s: %v\n", name, err)
			os.Exit(failStatus)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runScenario(name, dir string) error {
	switch name {
	case "init":
		return scenarioInit(dir)
	case "nofile-restore", "nofile-config", "nofile-nil":
		return scenarioNofile(name)
	case "setgroups-deny-none":
		return SwitchUser(specs.User{})
	case "setgroups-deny-gids":
		return SwitchUser(specs.User{AdditionalGids: []uint32{0}})
	case "cwd-outside":
		return scenarioCwdOutside(dir)
	case "cwd-create":
		return scenarioCwdCreate(dir)
	}
	return fmt.Errorf("no scenario %q", name)
}

// initScript runs as the container's process and prints, section by
// section, what it was given.
const initScript = `
echo "== status"; cat /proc/$$/status
echo "== limits"; cat /proc/$$/limits
echo "== hostname"; cat /proc/sys/kernel/hostname
echo "== domainname"; cat /proc/sys/kernel/domainname
echo "== pwd"; pwd -P
echo "== shmmax"; cat /proc/sys/kernel/shmmax
echo "== msg_max"; cat /proc/sys/fs/mqueue/msg_max
echo "== forwarding"; cat /proc/sys/net/ipv4/conf/lo/forwarding
echo "== fds"; ls /proc/$$/fd
echo "== env"; tr '\0' '\n' < /proc/$$/environ
`

var initSysctl = map[string]string{
	"kernel.shmmax":               "123456789",
	"fs.mqueue.msg_max":           "20",
	"net/ipv4/conf/lo/forwarding": "1",
}

var initRlimits = []specs.POSIXRlimit{
	{Type: "RLIMIT_NOFILE", Soft: 100, Hard: 200},
	{Type: "RLIMIT_CORE", Soft: 4096, Hard: 8192},
}

// scenarioInit does what the container's init does, in the order of the
// package documentation. The
// child was started in new UTS, IPC and network namespaces, with fd 3 (to
// preserve) and fd 4 (to close) inherited.
func scenarioInit(dir string) error {
	ns := NamespaceSet{specs.UTSNamespace: true, specs.IPCNamespace: true, specs.NetworkNamespace: true}
	if err := ValidateSysctl(initSysctl, ns); err != nil {
		return err
	}
	if err := ValidateRlimits(initRlimits); err != nil {
		return err
	}
	capSet, err := caps.Parse(&specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Effective:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
		Inheritable: []string{"CAP_NET_BIND_SERVICE"},
		Ambient:     []string{"CAP_NET_BIND_SERVICE"},
	})
	if err != nil {
		return err
	}

	if err := SetHostname("rt-test-host", "rt-test-domain"); err != nil {
		return err
	}
	if err := WriteSysctl(initSysctl); err != nil {
		return err
	}
	// Before the user switch: raising a hard limit needs CAP_SYS_RESOURCE.
	if err := SetRlimits(initRlimits, nil); err != nil {
		return err
	}
	if err := CloseExecFrom(3 + 1); err != nil {
		return err
	}
	if err := capSet.ApplyBounding(); err != nil {
		return err
	}
	umask := uint32(0o027)
	if err := SwitchUser(specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10, 20}, Umask: &umask}); err != nil {
		return err
	}
	if err := capSet.Apply(); err != nil {
		return err
	}
	if err := Chdir(filepath.Join(dir, "cwd", "made", "here")); err != nil {
		return err
	}
	env := Env([]string{"PATH=/usr/bin:/bin", "FOO=bar"}, 1000)
	env = ListenFDsEnv(env, 1)
	sh, err := LookPath("sh", env)
	if err != nil {
		return err
	}
	if err := SetNoNewPrivileges(); err != nil {
		return err
	}
	return syscall.Exec(sh, []string{"sh", "-c", initScript}, env)
}

// sections splits the output of initScript.
func sections(out string) map[string]string {
	m := map[string]string{}
	for _, part := range strings.Split(out, "== ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		m[name] = strings.TrimSpace(body)
	}
	return m
}

func statusFields(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// limitOf returns the soft and hard values of a /proc/<pid>/limits line.
func limitOf(limits, prefix string) string {
	for _, line := range strings.Split(limits, "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.Join(strings.Fields(strings.TrimPrefix(line, prefix))[:2], " ")
		}
	}
	return ""
}

type child struct {
	stdout, stderr string
	status         int
	pid            int
}

func runChild(t *testing.T, cmd *exec.Cmd, scenario, dir string) child {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cmd.Env = append(os.Environ(), scenarioEnv+"="+scenario, dirEnv+"="+dir)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("scenario %s: %v", scenario, err)
	}
	return child{out.String(), errb.String(), cmd.ProcessState.ExitCode(), cmd.Process.Pid}
}

func testCommand() *exec.Cmd {
	return exec.Command(os.Args[0], "-test.run=^$")
}

func TestInitOrder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	// uid 1000 must reach dir/cwd and create a directory there.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "cwd"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "cwd"), 0o777); err != nil {
		t.Fatal(err)
	}
	hostShmmax, _ := os.ReadFile("/proc/sys/kernel/shmmax")
	hostName, _ := os.Hostname()

	cmd := testCommand()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET}
	keep, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	cmd.ExtraFiles = []*os.File{keep, keep} // fds 3 and 4
	c := runChild(t, cmd, "init", dir)
	if c.status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", c.status, c.stdout, c.stderr)
	}
	s := sections(c.stdout)
	st := statusFields(s["status"])

	want := map[string]string{
		"Uid":        "1000\t1000\t1000\t1000",
		"Gid":        "1000\t1000\t1000\t1000",
		"Groups":     "10 20",
		"Umask":      "0027",
		"NoNewPrivs": "1",
		"CapBnd":     fmt.Sprintf("%016x", 1<<unix.CAP_CHOWN|1<<unix.CAP_KILL|1<<unix.CAP_NET_BIND_SERVICE),
		"CapInh":     fmt.Sprintf("%016x", 1<<unix.CAP_NET_BIND_SERVICE),
		"CapPrm":     fmt.Sprintf("%016x", 1<<unix.CAP_NET_BIND_SERVICE),
		"CapEff":     fmt.Sprintf("%016x", 1<<unix.CAP_NET_BIND_SERVICE),
		"CapAmb":     fmt.Sprintf("%016x", 1<<unix.CAP_NET_BIND_SERVICE),
	}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("status %s = %q, want %q", k, st[k], v)
		}
	}
	for prefix, v := range map[string]string{"Max open files": "100 200", "Max core file size": "4096 8192"} {
		if got := limitOf(s["limits"], prefix); got != v {
			t.Errorf("limits %s = %q, want %q", prefix, got, v)
		}
	}
	home := homeOf("/etc/passwd", 1000)
	if home == "" {
		home = "/"
	}
	for k, v := range map[string]string{
		"hostname":   "rt-test-host",
		"domainname": "rt-test-domain",
		"pwd":        filepath.Join(dir, "cwd", "made", "here"),
		"shmmax":     "123456789",
		"msg_max":    "20",
		"forwarding": "1",
		"fds":        "0\n1\n2\n3",
	} {
		if s[k] != v {
			t.Errorf("%s = %q, want %q", k, s[k], v)
		}
	}
	env := strings.Split(s["env"], "\n")
	for _, kv := range []string{"PATH=/usr/bin:/bin", "FOO=bar", "HOME=" + home, "LISTEN_FDS=1",
		"LISTEN_PID=" + strconv.Itoa(c.pid)} {
		found := false
		for _, e := range env {
			found = found || e == kv
		}
		if !found {
			t.Errorf("env lacks %s: %q", kv, env)
		}
	}
	// The host was not touched.
	if now, _ := os.ReadFile("/proc/sys/kernel/shmmax"); string(now) != string(hostShmmax) {
		t.Errorf("host kernel.shmmax changed: %s -> %s", hostShmmax, now)
	}
	if now, _ := os.Hostname(); now != hostName {
		t.Errorf("host hostname changed: %s -> %s", hostName, now)
	}
}

// scenarioNofile runs (under a shell that set the soft RLIMIT_NOFILE to
// 1024 before the Go runtime started and raised it) one RLIMIT_NOFILE case,
// then execs cat /proc/self/limits.
func scenarioNofile(name string) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	fmt.Printf("go raised the soft limit to %d\n", lim.Cur)
	orig := &unix.Rlimit{Cur: 512, Max: lim.Max} // what a C stage would have captured
	var err error
	switch name {
	case "nofile-restore":
		err = SetRlimits([]specs.POSIXRlimit{{Type: "RLIMIT_CORE", Soft: 0, Hard: 0}}, orig)
	case "nofile-config":
		err = SetRlimits([]specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 100, Hard: 200}}, orig)
	case "nofile-nil":
		err = SetRlimits(nil, nil)
	}
	if err != nil {
		return err
	}
	return syscall.Exec("/bin/cat", []string{"cat", "/proc/self/limits"}, nil)
}

func TestRlimitNofileSurvivesExec(t *testing.T) {
	for scenario, want := range map[string]string{
		"nofile-restore": "512 ", // the captured value, not Go's saved 1024
		"nofile-config":  "100 200",
		"nofile-nil":     "1024 ", // left to Go, which sets back its saved original at exec
	} {
		t.Run(scenario, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", `ulimit -S -n 1024 && exec "$0" "$@"`, os.Args[0], "-test.run=^$")
			c := runChild(t, cmd, scenario, "")
			if c.status != 0 {
				t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", c.status, c.stdout, c.stderr)
			}
			if strings.Contains(c.stdout, "raised the soft limit to 1024\n") {
				t.Skip("the Go runtime did not raise RLIMIT_NOFILE (soft limit already at the hard limit)")
			}
			if got := limitOf(c.stdout, "Max open files") + " "; !strings.HasPrefix(got, want) {
				t.Errorf("Max open files = %q, want %q...\n%s", got, want, c.stdout)
			}
		})
	}
}

func TestSwitchUserSetgroupsDenied(t *testing.T) {
	userns := func() *exec.Cmd {
		cmd := testCommand()
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
			// /proc/self/setgroups says "deny"
			GidMappingsEnableSetgroups: false,
		}
		return cmd
	}
	if c := runChild(t, userns(), "setgroups-deny-none", ""); c.status != 0 {
		t.Errorf("no additional gids: status %d, stderr:\n%s", c.status, c.stderr)
	}
	c := runChild(t, userns(), "setgroups-deny-gids", "")
	if c.status != failStatus || !strings.Contains(c.stderr, "setgroups is denied in this user namespace") {
		t.Errorf("additional gids: status %d, stderr:\n%s", c.status, c.stderr)
	}
}

// scenarioCwdOutside reproduces CVE-2024-21626: a descriptor for a
// directory outside the root, reachable as /proc/self/fd/N inside it.
// The child runs in its own mount namespace, so its proc mount goes away
// with it.
func scenarioCwdOutside(dir string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	root := filepath.Join(dir, "root")
	fd, err := unix.Open(filepath.Join(dir, "outside"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	if err := unix.Mount("proc", filepath.Join(root, "proc"), "proc", 0, ""); err != nil {
		return err
	}
	if err := unix.Chroot(root); err != nil {
		return err
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := Chdir(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil {
		return err
	}
	return errors.New("Chdir to a directory outside the root succeeded")
}

// scenarioCwdCreate: a missing cwd is created inside the root.
func scenarioCwdCreate(dir string) error {
	if err := unix.Chroot(filepath.Join(dir, "root")); err != nil {
		return err
	}
	if err := Chdir("/made/here"); err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	fmt.Print(wd)
	return nil
}

func TestChdir(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"root/proc", "outside"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := testCommand()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	c := runChild(t, cmd, "cwd-outside", dir)
	if c.status != failStatus || !strings.Contains(c.stderr, "is outside the container's root (the kernel reports \"(unreachable)") {
		t.Errorf("outside: status %d, stderr:\n%s", c.status, c.stderr)
	}

	c = runChild(t, testCommand(), "cwd-create", dir)
	if c.status != 0 || c.stdout != "/made/here" {
		t.Errorf("create: status %d, stdout %q, stderr:\n%s", c.status, c.stdout, c.stderr)
	}
	if fi, err := os.Stat(filepath.Join(dir, "root", "made", "here")); err != nil || !fi.IsDir() {
		t.Errorf("cwd not created in the root: %v", err)
	}
}
