package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestExec runs processes in a running container and checks they see its
// namespaces and cgroup, get the command line's settings and that rt exits
// with their status.
func TestExec(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.newBundle("sleep", "1000")
	b.Spec.Hostname = "exec-host"
	id, _ := r.runDetached(b)
	initPid := r.state(id).Pid

	t.Run("namespaces-and-status", func(t *testing.T) {
		res := r.exec(cmdOpts{}, "exec", id, "sh", "-c", `hostname; cat /proc/1/comm; readlink /proc/self/ns/net; exit 7`)
		if res.Code != 7 {
			t.Fatalf("exec exit %d, want 7: %s", res.Code, res)
		}
		lines := strings.Fields(res.Stdout)
		hostNet, _ := os.Readlink("/proc/self/ns/net")
		initNet, _ := os.Readlink("/proc/" + strconv.Itoa(initPid) + "/ns/net")
		if len(lines) != 3 || lines[0] != "exec-host" || lines[1] != "sleep" || lines[2] != initNet || lines[2] == hostNet {
			t.Errorf("exec saw %q, want hostname exec-host, pid 1 = sleep, the init's net ns %s", lines, initNet)
		}
	})
	t.Run("cgroup", func(t *testing.T) {
		res := r.ok("exec", id, "cat", "/proc/self/cgroup")
		want, _ := os.ReadFile("/proc/" + strconv.Itoa(initPid) + "/cgroup")
		// The container has a cgroup namespace: both read "/" everywhere,
		// so compare the host's view of the exec'd process instead.
		if res.Stdout == "" || len(want) == 0 {
			t.Fatalf("no cgroup info: %q", res.Stdout)
		}
		pidFile := filepath.Join(r.dir, "exec.pid")
		r.ok("exec", "--detach", "--pid-file", pidFile, id, "sleep", "30")
		data := readFile(t, pidFile)
		pid, err := strconv.Atoi(data)
		if err != nil || strings.HasSuffix(data, "\n") {
			t.Fatalf("pid file %q", data)
		}
		trackPid(pid)
		got, _ := os.ReadFile("/proc/" + data + "/cgroup")
		if string(got) != string(want) {
			t.Errorf("exec'd process cgroups\n%s\nwant the init's\n%s", got, want)
		}
	})
	t.Run("flags", func(t *testing.T) {
		res := r.ok("exec", "--user", "1000:1000", "--cwd", "/tmp", "--env", "FOO=bar", id,
			"sh", "-c", `id -u; id -g; pwd; echo $FOO`)
		if got := strings.Fields(res.Stdout); strings.Join(got, " ") != "1000 1000 /tmp bar" {
			t.Errorf("exec with flags printed %q", got)
		}
	})
	t.Run("process-file", func(t *testing.T) {
		p := specs.Process{Args: []string{"sh", "-c", "echo $A; id -u"}, Env: []string{"A=from-file", "PATH=/bin"},
			Cwd: "/", User: specs.User{UID: 33, GID: 33}}
		data, _ := json.Marshal(p)
		f := filepath.Join(r.dir, "process.json")
		writeFile(t, f, string(data))
		res := r.ok("exec", "--process", f, id)
		if got := strings.Fields(res.Stdout); strings.Join(got, " ") != "from-file 33" {
			t.Errorf("exec --process printed %q", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		res := r.exec(cmdOpts{}, "exec", id, "/no/such/binary")
		if res.Code != 255 || !strings.Contains(res.Stderr, "/no/such/binary") {
			t.Errorf("exec of a missing binary: %s", res)
		}
		r.ok("kill", id, "KILL")
		r.waitStatus(id, "stopped")
		res = r.exec(cmdOpts{}, "exec", id, "true")
		if res.Code != 255 || !strings.Contains(res.Stderr, "stopped") {
			t.Errorf("exec in a stopped container: %s", res)
		}
	})
	r.ok("delete", "--force", id)
	assertNoTrace(t, r, id)
}
