package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// cmdTimeout bounds every invocation of the runtime so a hang fails one test
// instead of the whole suite.
const cmdTimeout = 30 * time.Second

// rtRunner runs the binary under test for one test, with its own --root and
// scratch directory, and force-deletes the test's containers at the end.
type rtRunner struct {
	t    *testing.T
	bin  string
	dir  string // per-test scratch dir under suite.dir
	root string // --root
	seq  atomic.Int64
}

// result is what one invocation of the runtime produced.
type result struct {
	Args       []string
	Stdout     string
	Stderr     string
	Code       int
	Elapsed    time.Duration
	StdoutPath string // the file stdout went to (containers may keep writing to it)
	StderrPath string
}

func (r result) String() string {
	return fmt.Sprintf("%s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// cmdOpts tunes one invocation. Stdout/Stderr default to fresh files whose
// content is read back after the runtime exits.
type cmdOpts struct {
	Stdin      *os.File
	Stdout     *os.File
	Stderr     *os.File
	ExtraFiles []*os.File
	Env        []string // added to the test's environment
	Dir        string
	Wrapper    []string // e.g. prlimit ... -- before the binary
	NoGlobal   bool     // don't add --root
}

// newRT sets up a runner for t, or skips t when the suite cannot run here.
func newRT(t *testing.T) *rtRunner {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	dir, err := os.MkdirTemp(suite.dir, slug(t.Name(), 40)+"-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &rtRunner{t: t, bin: suite.bin, dir: dir, root: filepath.Join(dir, "root")}
	registerRoot(r.root)
	return r
}

// newID returns a unique container id for this test and registers a cleanup
// that force-deletes the container.
func (r *rtRunner) newID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := "rtt-" + slug(r.t.Name(), 24) + "-" + hex.EncodeToString(b[:])
	registerID(id)
	r.t.Cleanup(func() { r.exec(cmdOpts{}, "delete", "--force", id) })
	return id
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a test name into at most n lower-case letters, digits and dashes
// (its tail: subtest names are the distinctive part).
func slug(name string, n int) string {
	s := strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > n {
		s = strings.Trim(s[len(s)-n:], "-")
	}
	return s
}

// tempFile creates a new empty file in the test's dir.
func (r *rtRunner) tempFile(prefix string) *os.File {
	f, err := os.CreateTemp(r.dir, prefix)
	if err != nil {
		r.t.Fatal(err)
	}
	return f
}

// exec runs the binary with --root (unless NoGlobal) and args.
func (r *rtRunner) exec(o cmdOpts, args ...string) result {
	r.t.Helper()
	full := args
	if !o.NoGlobal {
		full = append([]string{"--root", r.root}, args...)
	}
	res := result{Args: append([]string{r.bin}, full...)}

	n := r.seq.Add(1)
	stdout, stderr := o.Stdout, o.Stderr
	if stdout == nil {
		stdout = r.tempFile(fmt.Sprintf("out-%d-", n))
		defer stdout.Close()
		res.StdoutPath = stdout.Name()
	}
	if stderr == nil {
		stderr = r.tempFile(fmt.Sprintf("err-%d-", n))
		defer stderr.Close()
		res.StderrPath = stderr.Name()
	}

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	argv := append(append([]string(nil), o.Wrapper...), r.bin)
	argv = append(argv, full...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if o.Stdin != nil {
		cmd.Stdin = o.Stdin
	}
	cmd.ExtraFiles = o.ExtraFiles
	cmd.Dir = o.Dir
	cmd.Env = append(hermeticEnv(), o.Env...)

	start := time.Now()
	err := cmd.Run()
	res.Elapsed = time.Since(start)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
		if ee.ExitCode() < 0 {
			res.Code = -1
		}
	default:
		r.t.Fatalf("%s: %v", strings.Join(res.Args, " "), err)
	}
	if ctx.Err() != nil {
		r.t.Errorf("%s: timed out after %s", strings.Join(res.Args, " "), cmdTimeout)
	}
	if res.StdoutPath != "" {
		res.Stdout = readFile(r.t, res.StdoutPath)
	}
	if res.StderrPath != "" {
		res.Stderr = readFile(r.t, res.StderrPath)
	}
	return res
}

// hermeticEnv is the test's environment without the variables that change
// what a runtime does (socket activation, sd_notify).
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// ok runs args and fails the test unless the runtime exits 0.
func (r *rtRunner) ok(args ...string) result {
	r.t.Helper()
	res := r.exec(cmdOpts{}, args...)
	if res.Code != 0 {
		r.t.Fatalf("unexpected failure: %s", res)
	}
	return res
}

// fails runs args and fails the test unless the runtime exits non-zero.
func (r *rtRunner) fails(args ...string) result {
	r.t.Helper()
	res := r.exec(cmdOpts{}, args...)
	if res.Code == 0 {
		r.t.Fatalf("unexpected success: %s", res)
	}
	return res
}

// run runs the container in the foreground (`run --bundle B [flags] ID`) and
// returns the result; Stdout is what the container printed.
func (r *rtRunner) run(b *bundle, flags ...string) (string, result) {
	r.t.Helper()
	return r.runOpts(cmdOpts{}, b, flags...)
}

func (r *rtRunner) runOpts(o cmdOpts, b *bundle, flags ...string) (string, result) {
	r.t.Helper()
	id := r.newID()
	b.save(r.t, id)
	args := append([]string{"run", "--bundle", b.Dir}, flags...)
	return id, r.exec(o, append(args, id)...)
}

// runOK runs the container in the foreground, requires exit 0 and returns
// what the container printed on stdout.
func (r *rtRunner) runOK(b *bundle, flags ...string) string {
	r.t.Helper()
	_, res := r.run(b, flags...)
	if res.Code != 0 {
		r.t.Fatalf("container failed: %s", res)
	}
	return res.Stdout
}

// create runs `create --bundle B [flags] ID`, requires success, tracks the
// container's pid and returns the id and result. The container's stdout and
// stderr are the files in the result.
func (r *rtRunner) create(b *bundle, flags ...string) (string, result) {
	r.t.Helper()
	return r.createOpts(cmdOpts{}, b, flags...)
}

func (r *rtRunner) createOpts(o cmdOpts, b *bundle, flags ...string) (string, result) {
	r.t.Helper()
	id, res := r.tryCreate(o, b, flags...)
	if res.Code != 0 {
		r.t.Fatalf("create failed: %s", res)
	}
	if st, err := r.tryState(id); err == nil {
		trackPid(st.Pid)
	}
	return id, res
}

// tryCreate runs `create --bundle B [flags] ID` for a new id, whatever
// the outcome.
func (r *rtRunner) tryCreate(o cmdOpts, b *bundle, flags ...string) (string, result) {
	r.t.Helper()
	id := r.newID()
	b.save(r.t, id)
	args := append([]string{"create", "--bundle", b.Dir}, flags...)
	return id, r.exec(o, append(args, id)...)
}

// runDetached is create + start; it returns the id and the create result,
// whose StdoutPath receives the container's output.
func (r *rtRunner) runDetached(b *bundle, flags ...string) (string, result) {
	r.t.Helper()
	id, res := r.create(b, flags...)
	r.ok("start", id)
	return id, res
}

// containerState is the state JSON (runtime-spec State plus runc's extras).
type containerState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     string            `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations"`
}

// tryState runs `state ID` and decodes it strictly.
func (r *rtRunner) tryState(id string) (containerState, error) {
	res := r.exec(cmdOpts{}, "state", id)
	if res.Code != 0 {
		return containerState{}, fmt.Errorf("%s", res)
	}
	var st containerState
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		return st, fmt.Errorf("state %s is not JSON: %v: %q", id, err, res.Stdout)
	}
	return st, nil
}

func (r *rtRunner) state(id string) containerState {
	r.t.Helper()
	st, err := r.tryState(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// waitStatus polls `state` until the container has status want (10 s at most).
func (r *rtRunner) waitStatus(id, want string) containerState {
	r.t.Helper()
	var st containerState
	var err error
	ok := poll(10*time.Second, func() bool {
		st, err = r.tryState(id)
		return err == nil && st.Status == want
	})
	if !ok {
		r.t.Fatalf("container %s never reached status %q: last %+v, %v", id, want, st, err)
	}
	return st
}

// poll calls f every 10 ms until it is true or d passed.
func poll(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFile polls path until its content contains substr and returns it.
func waitFile(t *testing.T, path, substr string) string {
	t.Helper()
	var data []byte
	if !poll(10*time.Second, func() bool {
		data, _ = os.ReadFile(path)
		return strings.Contains(string(data), substr)
	}) {
		t.Fatalf("%s never contained %q; it holds %q", path, substr, data)
	}
	return string(data)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pipe returns an os.Pipe whose ends are closed at the end of the test.
func pipe(t *testing.T) (rd, wr *os.File) {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close(); wr.Close() })
	return rd, wr
}

// readAllTimeout reads rd to EOF, failing the test after 10 s.
func readAllTimeout(t *testing.T, rd *os.File) string {
	t.Helper()
	_ = rd.SetReadDeadline(time.Now().Add(10 * time.Second))
	data, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, data)
	}
	return string(data)
}

// oneLineError checks that a failure printed a single non-empty line on stderr.
func oneLineError(t *testing.T, res result) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(res.Stderr, "\n"), "\n")
	if strings.TrimSpace(res.Stderr) == "" {
		t.Errorf("no error message on stderr: %s", res)
	} else if len(lines) != 1 {
		t.Errorf("error should be one line, got %d: %q", len(lines), res.Stderr)
	}
}
