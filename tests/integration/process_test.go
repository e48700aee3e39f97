package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestProcessArgsEnvCwd: argv word boundaries, the configured environment
// only (not the runtime's own), and a cwd that does not exist in the rootfs.
func TestProcessArgsEnvCwd(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.newBundle("/bin/sh", "-c", `echo "0=$0"; for a; do echo "[$a]"; done; echo "FOO=$FOO"; pwd; `+
		`env | grep -c RTT_CANARY; true`, "argv0", "one", "two  words", "")
	b.Spec.Process.Env = append(b.Spec.Process.Env, "FOO=bar baz=qux")
	b.Spec.Process.Cwd = "/work/sub dir"
	_, res := r.runOpts(cmdOpts{Env: []string{"RTT_CANARY=leaked"}}, b)
	want := "0=argv0\n[one]\n[two  words]\n[]\nFOO=bar baz=qux\n/work/sub dir\n0\n"
	if res.Code != 0 || res.Stdout != want {
		t.Errorf("container printed %q, want %q (%s)", res.Stdout, want, res)
	}
}

// TestProcessUser: uid, gid, additional gids and umask as configured.
func TestProcessUser(t *testing.T) {
	t.Parallel()
	umask := uint32(0o027)
	cases := []struct {
		name string
		user specs.User
		want string
	}{
		{"root-defaults", specs.User{}, "0 0\nGroups:\n0022\n644\n"},
		{"uid1000", specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{10, 20}, Umask: &umask},
			"1000 1001\nGroups: 10 20\n0027\n640\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(`echo "$(id -u) $(id -g)"; echo $(grep Groups: /proc/self/status); umask; ` +
				`touch /dev/shm/f; stat -c %a /dev/shm/f`)
			b.Spec.Process.User = c.user
			if out := r.runOK(b); out != c.want {
				t.Errorf("container printed %q, want %q", out, c.want)
			}
		})
	}
}

// limitNames maps rlimit types to their /proc/PID/limits rows.
var limitNames = map[string]string{
	"RLIMIT_NOFILE": "Max open files",
	"RLIMIT_NPROC":  "Max processes",
	"RLIMIT_CORE":   "Max core file size",
	"RLIMIT_STACK":  "Max stack size",
}

// parseLimits reads /proc/PID/limits output into "soft hard" per row name.
func parseLimits(out string) map[string]string {
	res := map[string]string{}
	for name, row := range limitNames {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, row) {
				f := strings.Fields(strings.TrimPrefix(line, row))
				if len(f) >= 2 {
					res[name] = f[0] + " " + f[1]
				}
			}
		}
	}
	return res
}

// TestRlimits: configured limits exactly; an unconfigured RLIMIT_NOFILE is
// the one the runtime was started with (not a Go runtime's raised soft limit).
func TestRlimits(t *testing.T) {
	t.Parallel()
	t.Run("configured", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		b := r.sh(`cat /proc/self/limits`)
		b.Spec.Process.Rlimits = []specs.POSIXRlimit{
			{Type: "RLIMIT_NOFILE", Soft: 321, Hard: 654},
			{Type: "RLIMIT_NPROC", Soft: 777, Hard: 888},
			{Type: "RLIMIT_CORE", Soft: 1024, Hard: 4096},
			{Type: "RLIMIT_STACK", Soft: 4 << 20, Hard: 8 << 20},
		}
		for _, l := range b.Spec.Process.Rlimits {
			if hard := hardLimit(t, l.Type); hard < l.Hard {
				t.Skipf("%s hard limit here is %d; raising it needs CAP_SYS_RESOURCE, which this VM lacks", l.Type, hard)
			}
		}
		got := parseLimits(r.runOK(b))
		for _, l := range b.Spec.Process.Rlimits {
			if want := fmt.Sprintf("%d %d", l.Soft, l.Hard); got[l.Type] != want {
				t.Errorf("%s inside: %q, want %q", l.Type, got[l.Type], want)
			}
		}
	})
	t.Run("nofile-unset-inherited", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		b := r.sh(`cat /proc/self/limits`)
		b.Spec.Process.Rlimits = nil
		o := cmdOpts{Wrapper: []string{"prlimit", "--nofile=777:4096", "--"}}
		_, res := r.runOpts(o, b)
		if res.Code != 0 {
			t.Fatalf("run under prlimit: %s", res)
		}
		if got := parseLimits(res.Stdout)["RLIMIT_NOFILE"]; got != "777 4096" {
			t.Errorf("RLIMIT_NOFILE inside %q, want the runtime's own 777 4096", got)
		}
	})
}

func hardLimit(t *testing.T, typ string) uint64 {
	res := map[string]int{"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC,
		"RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_STACK": unix.RLIMIT_STACK}[typ]
	var l unix.Rlimit
	if err := unix.Getrlimit(res, &l); err != nil {
		t.Fatal(err)
	}
	return l.Max
}

// capNumbers are the capabilities the tests use.
var capNumbers = map[string]uint{
	"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7,
	"CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13, "CAP_AUDIT_WRITE": 29,
}

func capMask(names ...string) string {
	var m uint64
	for _, n := range names {
		m |= 1 << capNumbers[n]
	}
	return fmt.Sprintf("%016x", m)
}

// statusFields returns the named lines of /proc/self/status output.
func statusFields(out string) map[string]string {
	res := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			res[k] = strings.TrimSpace(v)
		}
	}
	return res
}

// TestCapabilities compares the capability sets the process has with the
// config, for root and for a non-root user holding ambient capabilities.
// After execve a root process's effective/permitted sets are its bounding
// set (and inheritable); a non-root one keeps only its ambient set, so the
// configs are written so that the config is also what the kernel shows.
func TestCapabilities(t *testing.T) {
	t.Parallel()
	all := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID"}
	cases := []struct {
		name string
		uid  uint32
		caps specs.LinuxCapabilities
		want map[string]string
	}{
		{"root", 0,
			specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all,
				Inheritable: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL"}},
			map[string]string{"CapBnd": capMask(all...), "CapEff": capMask(all...), "CapPrm": capMask(all...),
				"CapInh": capMask("CAP_KILL"), "CapAmb": capMask("CAP_KILL")}},
		{"uid1000-ambient", 1000,
			specs.LinuxCapabilities{Bounding: all, Effective: []string{"CAP_NET_BIND_SERVICE"},
				Permitted: []string{"CAP_NET_BIND_SERVICE"}, Inheritable: []string{"CAP_NET_BIND_SERVICE"},
				Ambient: []string{"CAP_NET_BIND_SERVICE"}},
			map[string]string{"CapBnd": capMask(all...), "CapEff": capMask("CAP_NET_BIND_SERVICE"),
				"CapPrm": capMask("CAP_NET_BIND_SERVICE"), "CapInh": capMask("CAP_NET_BIND_SERVICE"),
				"CapAmb": capMask("CAP_NET_BIND_SERVICE")}},
		{"root-none", 0, specs.LinuxCapabilities{},
			map[string]string{"CapBnd": capMask(), "CapEff": capMask(), "CapPrm": capMask(),
				"CapInh": capMask(), "CapAmb": capMask()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(`cat /proc/self/status`)
			b.Spec.Process.User.UID = c.uid
			b.Spec.Process.User.GID = c.uid
			caps := c.caps
			b.Spec.Process.Capabilities = &caps
			got := statusFields(r.runOK(b))
			for k, want := range c.want {
				if got[k] != want {
					t.Errorf("%s inside %s, want %s", k, got[k], want)
				}
			}
		})
	}
}

// TestNoNewPrivileges: NoNewPrivs in /proc/self/status follows the config.
func TestNoNewPrivileges(t *testing.T) {
	t.Parallel()
	for _, nnp := range []bool{true, false} {
		t.Run(strconv.FormatBool(nnp), func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(`cat /proc/self/status`)
			b.Spec.Process.NoNewPrivileges = nnp
			want := map[bool]string{true: "1", false: "0"}[nnp]
			if got := statusFields(r.runOK(b))["NoNewPrivs"]; got != want {
				t.Errorf("NoNewPrivs %q, want %s", got, want)
			}
		})
	}
}

// TestOomScoreAdj: the configured value, or the runtime's own when unset.
func TestOomScoreAdj(t *testing.T) {
	t.Parallel()
	own := strings.TrimSpace(readFile(t, "/proc/self/oom_score_adj"))
	for _, v := range []*int{intPtr(123), nil} {
		want := own
		name := "unset"
		if v != nil {
			want, name = strconv.Itoa(*v), want
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(`cat /proc/self/oom_score_adj`)
			b.Spec.Process.OOMScoreAdj = v
			if out := r.runOK(b); out != want+"\n" {
				t.Errorf("oom_score_adj %q, want %s", out, want)
			}
		})
	}
}

func intPtr(i int) *int { return &i }

// TestSysctl sets namespaced sysctls in the container's net and ipc
// namespaces; the host's values do not change.
func TestSysctl(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	sysctls := map[string]string{
		"net.ipv4.ip_forward": "1",
		"kernel.shmmax":       "123456789",
		"kernel.msgmax":       "12345",
	}
	var keys []string
	for k := range sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var script, want []string
	host := map[string]string{}
	for _, k := range keys {
		p := filepath.Join("/proc/sys", strings.ReplaceAll(k, ".", "/"))
		script = append(script, "cat "+p)
		want = append(want, sysctls[k])
		host[p] = readFile(t, p)
	}
	b := r.sh(strings.Join(script, "; "))
	b.Spec.Linux.Sysctl = sysctls
	if out := r.runOK(b); out != strings.Join(want, "\n")+"\n" {
		t.Errorf("sysctls inside: %q, want %q", out, want)
	}
	for p, v := range host {
		if now := readFile(t, p); now != v {
			t.Errorf("host %s changed from %q to %q", p, v, now)
		}
	}
}

// fdScript ends the shell by exec'ing ls on its own fds: what ls lists is
// exactly what the shell had, plus ls's directory fd, the lowest free one.
// (Listing the shell's fds from a child races with the shell's own pipe and
// saved-redirection fds.)
const fdScript = `exec ls /proc/self/fd`

// fdList returns the fds fdScript printed, space-separated.
func fdList(out string) string {
	return strings.Join(strings.Fields(out), " ")
}

// TestPreserveFds passes fds 3 and 4 on to the container, by --preserve-fds
// and by socket activation (LISTEN_FDS/LISTEN_PID naming the runtime). The
// contract sets LISTEN_FDS for --preserve-fds too; runc 1.1.5 sets it only
// for socket activation (known difference).
func TestPreserveFds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		flags   []string
		wrapper []string
	}{
		{"preserve-fds", []string{"--preserve-fds", "2"}, nil},
		{"socket-activation", nil, []string{"/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=2 exec "$@"`, "sh"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			var files []*os.File
			for _, content := range []string{"three\n", "four\n"} {
				p := filepath.Join(r.dir, strings.TrimSpace(content))
				writeFile(t, p, content)
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				files = append(files, f)
			}
			b := r.sh(`cat <&3; cat <&4; echo "LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID self=$$"; ` + fdScript)
			_, res := r.runOpts(cmdOpts{ExtraFiles: files, Wrapper: c.wrapper}, b, c.flags...)
			out, fds, _ := strings.Cut(res.Stdout, "self=1\n")
			if want := "three\nfour\nLISTEN_FDS=2 LISTEN_PID=1 "; res.Code != 0 || out != want {
				t.Errorf("container printed %q, want %q (%s)", out, want, res)
			}
			if got := fdList(fds); got != "0 1 2 3 4 5" {
				t.Errorf("container fds %q, want 0-4 (and 5, ls's own)", got)
			}
		})
	}
}

// TestNoLeakedFds: the process has only stdio, even when the runtime was
// handed more fds, and with a log file open.
func TestNoLeakedFds(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	extra, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	b := r.sh(`echo "LISTEN_FDS=$LISTEN_FDS"; ` + fdScript)
	id := r.newID()
	b.save(t, id)
	log := filepath.Join(r.dir, "rt.log")
	res := r.exec(cmdOpts{ExtraFiles: []*os.File{extra}}, "--log", log, "run", "--bundle", b.Dir, id)
	out, fds, _ := strings.Cut(res.Stdout, "\n")
	if res.Code != 0 || out != "LISTEN_FDS=" || fdList(fds) != "0 1 2 3" {
		t.Errorf("container printed %q, want no LISTEN_FDS and fds 0 1 2 (and 3, ls's own) (%s)", res.Stdout, res)
	}
}
