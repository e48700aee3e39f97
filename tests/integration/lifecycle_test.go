package integration

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestLifecycle walks one container through created, running and stopped,
// checking at each step what the process itself did.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`echo started; read line; echo "got:$line"`)
	stdinR, stdinW := pipe(t)
	id, res := r.createOpts(cmdOpts{Stdin: stdinR}, b)

	st := r.state(id)
	if st.Status != "created" || st.Pid <= 0 {
		t.Fatalf("after create: status %q pid %d, want created and a pid", st.Status, st.Pid)
	}
	if !processAlive(st.Pid) {
		t.Fatalf("created container's process %d does not exist", st.Pid)
	}
	time.Sleep(50 * time.Millisecond)
	if out := readFile(t, res.StdoutPath); out != "" {
		t.Fatalf("the process ran before start: it printed %q", out)
	}

	r.ok("start", id)
	if st := r.state(id); st.Status != "running" {
		t.Fatalf("after start: status %q, want running", st.Status)
	}
	waitFile(t, res.StdoutPath, "started\n")

	fmt.Fprintln(stdinW, "ping")
	stdinW.Close()
	out := waitFile(t, res.StdoutPath, "got:ping\n")
	if out != "started\ngot:ping\n" {
		t.Errorf("container printed %q", out)
	}
	st2 := r.waitStatus(id, "stopped")
	if st2.Pid != 0 {
		t.Errorf("stopped container has pid %d, want 0", st2.Pid)
	}
	if !poll(5*time.Second, func() bool { return !processAlive(st.Pid) }) {
		t.Errorf("process %d still alive after the container stopped", st.Pid)
	}
	r.ok("delete", id)
	res = r.exec(cmdOpts{}, "state", id)
	if res.Code != 1 || !strings.Contains(res.Stderr, "container does not exist") {
		t.Errorf("state after delete: %s", res)
	}
	assertNoTrace(t, r, id)
}

// TestRunExitStatus checks that `run` exits with the process's status, or
// 128+signal when the process was killed.
func TestRunExitStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		script string
		pidns  bool
		want   int
	}{
		{"exit0", "exit 0", true, 0},
		{"exit3", "exit 3", true, 3},
		{"exit255", "exit 255", true, 255},
		// pid 1 of a pid namespace cannot SIGKILL itself, so no pid namespace here.
		{"selfkill9", "kill -9 $$", false, 137},
		{"selfterm", "kill -TERM $$", false, 143},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(c.script)
			if !c.pidns {
				b.removeNamespace(specs.PIDNamespace)
			}
			_, res := r.run(b)
			if res.Code != c.want {
				t.Errorf("exit %d, want %d: %s", res.Code, c.want, res)
			}
		})
	}
	t.Run("killed-from-outside", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		b := r.sh("echo ready; while :; do sleep 1; done")
		id := r.newID()
		b.save(t, id)
		out := r.tempFile("run-out-")
		done := make(chan result, 1)
		go func() { done <- r.exec(cmdOpts{Stdout: out}, "run", "--bundle", b.Dir, id) }()
		waitFile(t, out.Name(), "ready")
		r.ok("kill", id, "KILL")
		select {
		case res := <-done:
			if res.Code != 137 {
				t.Errorf("run exited %d, want 137: %s", res.Code, res)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("run did not return after its container was killed")
		}
		assertNoTrace(t, r, id)
	})
}

// TestRunDetached starts with `run -d`, which must return while the process runs.
func TestRunDetached(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh("echo detached-out; exec sleep 1000")
	id, res := r.run(b, "-d")
	if res.Code != 0 {
		t.Fatalf("run -d: %s", res)
	}
	st := r.state(id)
	trackPid(st.Pid)
	if st.Status != "running" || !processAlive(st.Pid) {
		t.Fatalf("after run -d: status %q pid %d alive=%v", st.Status, st.Pid, processAlive(st.Pid))
	}
	waitFile(t, res.StdoutPath, "detached-out")
	r.ok("kill", id, "KILL")
	r.waitStatus(id, "stopped")
	r.ok("delete", id)
	assertNoTrace(t, r, id)
}

// TestRunKeep checks that `run --keep` leaves a stopped container behind.
func TestRunKeep(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	id, res := r.run(r.sh("echo kept; exit 4"), "--keep")
	if res.Code != 4 || res.Stdout != "kept\n" {
		t.Fatalf("run --keep: %s", res)
	}
	if st := r.state(id); st.Status != "stopped" || st.Pid != 0 {
		t.Errorf("after run --keep: status %q pid %d, want stopped 0", st.Status, st.Pid)
	}
	r.ok("delete", id)
	assertNoTrace(t, r, id)
}

// trapScript reports the signals sh receives and exits on them.
const trapScript = `trap 'echo got-TERM; exit 0' TERM; trap 'echo got-USR1; exit 0' USR1; ` +
	`echo ready; while :; do sleep 0.1; done`

// TestKillSignals sends signals spelled as numbers, names and SIG names.
func TestKillSignals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		sig  []string // extra args after the id
		want string   // what the trap printed
	}{
		{[]string{"9"}, ""},
		{[]string{"KILL"}, ""},
		{[]string{"SIGKILL"}, ""},
		{nil, "got-TERM"}, // default TERM
		{[]string{"15"}, "got-TERM"},
		{[]string{"USR1"}, "got-USR1"},
		{[]string{"SIGUSR1"}, "got-USR1"},
		{[]string{"10"}, "got-USR1"},
	}
	for _, c := range cases {
		name := "default"
		if len(c.sig) > 0 {
			name = c.sig[0]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			id, res := r.runDetached(r.sh(trapScript))
			waitFile(t, res.StdoutPath, "ready")
			r.ok(append([]string{"kill", id}, c.sig...)...)
			r.waitStatus(id, "stopped")
			out := strings.TrimPrefix(readFile(t, res.StdoutPath), "ready\n")
			if strings.TrimSpace(out) != c.want {
				t.Errorf("after kill %v the container printed %q, want %q", c.sig, out, c.want)
			}
			r.ok("delete", id)
		})
	}
}

// startSleepers starts a container without a pid namespace whose init has two
// children, and returns the id and the three host pids.
func startSleepers(t *testing.T, r *rtRunner) (string, []int) {
	t.Helper()
	b := r.sh(`sleep 1000 & a=$!; sleep 1000 & b=$!; echo "pids $$ $a $b"; wait`)
	b.removeNamespace(specs.PIDNamespace)
	id, res := r.runDetached(b)
	out := waitFile(t, res.StdoutPath, "\n")
	var pids [3]int
	if _, err := fmt.Sscanf(out, "pids %d %d %d", &pids[0], &pids[1], &pids[2]); err != nil {
		t.Fatalf("container printed %q: %v", out, err)
	}
	for _, p := range pids {
		trackPid(p)
		if !processAlive(p) {
			t.Fatalf("process %d of the container is not alive", p)
		}
	}
	return id, pids[:]
}

func waitDead(t *testing.T, pids []int) {
	t.Helper()
	for _, p := range pids {
		if !poll(3*time.Second, func() bool { return !processAlive(p) }) {
			t.Errorf("process %d still alive", p)
		}
	}
}

// TestKillAll checks `kill --all` reaches every process of the container.
func TestKillAll(t *testing.T) {
	t.Parallel()
	t.Run("all", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		id, pids := startSleepers(t, r)
		r.ok("kill", "--all", id, "KILL")
		waitDead(t, pids)
		r.waitStatus(id, "stopped")
		// The contract: kill --all of a stopped container succeeds.
		r.ok("kill", "--all", id, "KILL")
		r.ok("delete", id)
		assertNoTrace(t, r, id)
	})
	// Without a private pid namespace, SIGKILL to the container kills every
	// process in its cgroup (runc 1.2 does; runc 1.1.5 kills only init).
	t.Run("sigkill-without-pidns", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		id, pids := startSleepers(t, r)
		r.ok("kill", id, "KILL")
		waitDead(t, pids)
		r.waitStatus(id, "stopped")
		r.ok("delete", id)
	})
}

// TestDelete covers delete of running and created containers, with and without --force.
func TestDelete(t *testing.T) {
	t.Parallel()
	t.Run("running", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		id, _ := r.runDetached(r.sh("exec sleep 1000"))
		pid := r.state(id).Pid
		res := r.fails("delete", id)
		if !regexp.MustCompile(`(?i)still running|not stopped`).MatchString(res.Stderr) {
			t.Errorf("delete of a running container: want a 'container still running' error, got %q", res.Stderr)
		}
		if st := r.state(id); st.Status != "running" || !processAlive(pid) {
			t.Errorf("failed delete changed the container: status %q alive=%v", st.Status, processAlive(pid))
		}
		r.ok("delete", "--force", id)
		waitDead(t, []int{pid})
		assertNoTrace(t, r, id)
	})
	// The spec says delete of a container that is not stopped must fail;
	// runc 1.1.5 deletes a created container (known runc failure).
	t.Run("created", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		id, _ := r.create(r.sh("echo never"))
		pid := r.state(id).Pid
		r.fails("delete", id)
		if st, err := r.tryState(id); err != nil || st.Status != "created" || !processAlive(pid) {
			t.Errorf("failed delete changed the created container: %+v %v", st, err)
		}
		r.ok("delete", "--force", id)
		waitDead(t, []int{pid})
		assertNoTrace(t, r, id)
	})
	t.Run("stopped", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		id, _ := r.runDetached(r.sh("true"))
		r.waitStatus(id, "stopped")
		r.ok("delete", id)
		assertNoTrace(t, r, id)
	})
}

// TestDuplicateID: a second create with the same id fails and leaves the
// first container untouched.
func TestDuplicateID(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	first := r.sh("echo first")
	id, res := r.create(first)
	st := r.state(id)

	second := r.sh("echo second")
	second.save(t, id)
	dup := r.exec(cmdOpts{}, "create", "--bundle", second.Dir, id)
	if dup.Code != 1 || !strings.Contains(dup.Stderr, "container with given ID already exists") {
		t.Errorf("second create: want exit 1 and 'container with given ID already exists': %s", dup)
	}
	oneLineError(t, dup)
	dupRun := r.exec(cmdOpts{}, "run", "--bundle", second.Dir, id)
	if dupRun.Code != 1 || !strings.Contains(dupRun.Stderr, "container with given ID already exists") {
		t.Errorf("run with an existing id: %s", dupRun)
	}
	after := r.state(id)
	if after.Status != "created" || after.Pid != st.Pid || after.Bundle != first.Dir || !processAlive(st.Pid) {
		t.Fatalf("first container changed: before %+v after %+v", st, after)
	}
	r.ok("start", id)
	r.waitStatus(id, "stopped")
	if out := readFile(t, res.StdoutPath); out != "first\n" {
		t.Errorf("first container printed %q, want %q", out, "first\n")
	}
	if _, err := os.Stat(second.path("proc/1")); err == nil {
		t.Errorf("the second bundle's rootfs got /proc mounted")
	}
	r.ok("delete", id)
}
