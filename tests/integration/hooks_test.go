package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hookLog is a directory where hooks record themselves: each appends its
// name to "log" and saves its stdin as NAME.json (and, for the container's
// pid in the state, that process's executable as NAME.exe). The directory is
// bind-mounted into the container at the same path, so hooks running in the
// container's mount namespace (before or after pivot_root) find it too.
type hookLog struct {
	dir string
}

const hookPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

// hookScript: $1 is the hook's name.
const hookScript = `name=$1; d=$(dirname "$0"); cat > "$d/$name.json"; echo "$name" >> "$d/log"; ` +
	`pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$d/$name.json"); ` +
	`[ -n "$pid" ] && readlink "/proc/$pid/exe" > "$d/$name.exe" 2>/dev/null; exit 0`

func newHookLog(t *testing.T, r *rtRunner, b *bundle) *hookLog {
	t.Helper()
	dir := filepath.Join(r.dir, "hooks")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	b.addMount(specs.Mount{Destination: dir, Type: "bind", Source: dir, Options: []string{"bind", "rw"}})
	if b.Spec.Hooks == nil {
		b.Spec.Hooks = &specs.Hooks{}
	}
	return &hookLog{dir: dir}
}

// hook returns a hook that records itself as name.
func (h *hookLog) hook(name string) specs.Hook {
	// $0 of the script is a (non-existent) file in the log dir: it carries
	// the directory without another argument.
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", hookScript, filepath.Join(h.dir, "x"), name},
		Env: []string{hookPath}}
}

// mark appends a line from the test to the log.
func (h *hookLog) mark(t *testing.T, s string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(h.dir, "log"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, s)
}

func (h *hookLog) entries() []string {
	data, _ := os.ReadFile(filepath.Join(h.dir, "log"))
	return strings.Fields(string(data))
}

func (h *hookLog) has(name string) bool {
	for _, e := range h.entries() {
		if e == name {
			return true
		}
	}
	return false
}

// state decodes the state a hook got on stdin.
func (h *hookLog) state(t *testing.T, name string) (containerState, bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(h.dir, name+".json"))
	if err != nil {
		t.Errorf("hook %s did not run or save its stdin: %v", name, err)
		return containerState{}, false
	}
	var st containerState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Errorf("hook %s got %q on stdin, not the state JSON: %v", name, data, err)
		return st, false
	}
	return st, true
}

// TestHooksOrderAndState runs one hook of every kind and checks when each
// ran relative to create/start/delete and the state each got on stdin.
// runc 1.1.5 runs poststart during create (known failure).
func TestHooksOrderAndState(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`read x`)
	h := newHookLog(t, r, b)
	b.Spec.Hooks = &specs.Hooks{
		//lint:ignore SA1019 prestart is deprecated but still in the lifecycle runtimes must honour
		Prestart:        []specs.Hook{h.hook("prestart")},
		CreateRuntime:   []specs.Hook{h.hook("createRuntime")},
		CreateContainer: []specs.Hook{h.hook("createContainer")},
		StartContainer:  []specs.Hook{h.hook("startContainer")},
		Poststart:       []specs.Hook{h.hook("poststart")},
		Poststop:        []specs.Hook{h.hook("poststop")},
	}
	stdinR, stdinW := pipe(t)
	id, _ := r.createOpts(cmdOpts{Stdin: stdinR}, b)
	h.mark(t, "T:created")
	pid := r.state(id).Pid
	r.ok("start", id)
	h.mark(t, "T:started")
	stdinW.Close()
	r.waitStatus(id, "stopped")
	h.mark(t, "T:deleting")
	r.ok("delete", id)
	h.mark(t, "T:deleted")

	want := []string{"prestart", "createRuntime", "createContainer", "T:created",
		"startContainer", "poststart", "T:started", "T:deleting", "poststop", "T:deleted"}
	if got := h.entries(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("hooks ran in the order\n  %v\nwant\n  %v", got, want)
	}
	statuses := map[string][]string{
		"prestart":        {"creating"},
		"createRuntime":   {"creating"},
		"createContainer": {"creating"},
		"startContainer":  {"created"},
		"poststart":       {"running"},
		"poststop":        {"stopped"},
	}
	for name, allowed := range statuses {
		st, ok := h.state(t, name)
		if !ok {
			continue
		}
		if st.ID != id || st.Bundle != b.Dir || st.OCIVersion == "" {
			t.Errorf("%s got state %+v, want id %s bundle %s", name, st, id, b.Dir)
		}
		if !contains(allowed, st.Status) {
			t.Errorf("%s got status %q, want %v", name, st.Status, allowed)
		}
		// The spec: the pid as seen from the namespace the hook runs in.
		wantPid := pid
		if name == "createContainer" || name == "startContainer" {
			wantPid = 1
		}
		if name != "poststop" && st.Pid != wantPid {
			t.Errorf("%s got pid %d, want %d", name, st.Pid, wantPid)
		}
	}
	// poststart runs once the user process was exec'd: its pid runs busybox.
	exe, _ := os.ReadFile(filepath.Join(h.dir, "poststart.exe"))
	if !strings.HasSuffix(strings.TrimSpace(string(exe)), "busybox") {
		t.Errorf("when poststart ran, the container's process was %q, not the user's busybox", exe)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestHookArgsEnv: a hook gets exactly its args (argv[0] included) and its
// env, not the runtime's.
func TestHookArgsEnv(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`true`)
	h := newHookLog(t, r, b)
	out := filepath.Join(h.dir, "seen")
	script := `cat /proc/$$/cmdline > "$1.cmdline"; cat /proc/$$/environ > "$1.environ"`
	hook := specs.Hook{Path: "/bin/sh", Args: []string{"my-argv0", "-c", script, "dollar0", out, "two words"},
		Env: []string{"HOOKVAR=hello world", "OTHER="}}
	b.Spec.Hooks.CreateRuntime = []specs.Hook{hook}
	_, res := r.runOpts(cmdOpts{Env: []string{"RTT_CANARY=leaked"}}, b)
	if res.Code != 0 {
		t.Fatalf("run: %s", res)
	}
	if got := readFile(t, out+".cmdline"); got != strings.Join(hook.Args, "\x00")+"\x00" {
		t.Errorf("hook argv %q, want %q", got, hook.Args)
	}
	if got := readFile(t, out+".environ"); got != strings.Join(hook.Env, "\x00")+"\x00" {
		t.Errorf("hook environment %q, want exactly %q", got, hook.Env)
	}
}

// TestHookTimeout: a hook running past its timeout is killed and fails create.
func TestHookTimeout(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`true`)
	h := newHookLog(t, r, b)
	pidFile := filepath.Join(h.dir, "hookpid")
	one := 1
	b.Spec.Hooks.CreateRuntime = []specs.Hook{{Path: "/bin/sh",
		Args: []string{"sh", "-c", `echo $$ > "$0"; exec sleep 10`, pidFile}, Timeout: &one}}
	id, res := r.tryCreate(cmdOpts{}, b)
	if res.Code == 0 {
		t.Fatalf("create succeeded though its hook timed out: %s", res)
	}
	if res.Elapsed > 6*time.Second {
		t.Errorf("create took %s with a 1 s hook timeout", res.Elapsed)
	}
	oneLineError(t, res)
	if pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile))); err == nil {
		if !poll(3*time.Second, func() bool { return !processAlive(pid) }) {
			t.Errorf("timed-out hook %d is still running", pid)
		}
	}
	assertNoTrace(t, r, id)
}

// TestHookFailures: a failing createRuntime hook fails create and leaves
// nothing; failing poststart and poststop hooks are warnings only, and the
// remaining hooks still run. runc 1.1.5 aborts on a failing poststart and
// skips the remaining poststop hooks (known failures).
func TestHookFailures(t *testing.T) {
	t.Parallel()
	fail := specs.Hook{Path: "/bin/false", Args: []string{"false"}}
	t.Run("createRuntime", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		b := r.sh(`echo ran`)
		h := newHookLog(t, r, b)
		b.Spec.Hooks.CreateRuntime = []specs.Hook{fail, h.hook("second")}
		id, res := r.tryCreate(cmdOpts{}, b)
		if res.Code == 0 {
			t.Fatalf("create succeeded with a failing createRuntime hook")
		}
		oneLineError(t, res)
		if h.has("second") {
			t.Errorf("the hook after a failing createRuntime hook ran")
		}
		assertNoTrace(t, r, id)
	})
	t.Run("poststart", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		b := r.sh(`echo ran`)
		h := newHookLog(t, r, b)
		b.Spec.Hooks.Poststart = []specs.Hook{fail, h.hook("second")}
		id, res := r.create(b)
		r.ok("start", id)
		r.waitStatus(id, "stopped")
		if out := readFile(t, res.StdoutPath); !strings.Contains(out, "ran\n") {
			t.Errorf("the container did not run after a failing poststart hook: %q", out)
		}
		if !h.has("second") {
			t.Errorf("the poststart hook after a failing one did not run")
		}
		r.ok("delete", id)
	})
	t.Run("poststop", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		b := r.sh(`true`)
		h := newHookLog(t, r, b)
		b.Spec.Hooks.Poststop = []specs.Hook{fail, h.hook("second")}
		id, _ := r.runDetached(b)
		r.waitStatus(id, "stopped")
		r.ok("delete", id)
		if !h.has("second") {
			t.Errorf("the poststop hook after a failing one did not run")
		}
		assertNoTrace(t, r, id)
	})
}
