package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestStateShape checks every field of the state JSON of a created container.
func TestStateShape(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh("true")
	b.Spec.Annotations = map[string]string{"org.rtt.one": "1", "org.rtt.two": "two words"}
	before := time.Now()
	id, _ := r.create(b)
	after := time.Now()

	res := r.ok("state", id)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(res.Stdout), &raw); err != nil {
		t.Fatalf("state is not a JSON object: %v: %q", err, res.Stdout)
	}
	for _, k := range []string{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner", "annotations"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("state lacks %q: %s", k, res.Stdout)
		}
	}
	st := r.state(id)
	if st.OCIVersion == "" || st.ID != id || st.Status != "created" || st.Pid <= 0 {
		t.Errorf("state: %+v", st)
	}
	if st.Bundle != b.Dir || st.Rootfs != b.Rootfs {
		t.Errorf("state bundle %q rootfs %q, want %q and %q", st.Bundle, st.Rootfs, b.Dir, b.Rootfs)
	}
	created, err := time.Parse(time.RFC3339Nano, st.Created)
	if err != nil {
		t.Errorf("created %q is not RFC 3339: %v", st.Created, err)
	} else if created.Before(before.Add(-time.Second)) || created.After(after.Add(time.Second)) {
		t.Errorf("created %s is not between %s and %s", created, before, after)
	}
	if !regexp.MustCompile(`T\d\d:\d\d:\d\d\.\d+`).MatchString(st.Created) {
		t.Errorf("created %q has no fractional seconds", st.Created)
	}
	if !reflect.DeepEqual(st.Annotations, b.Spec.Annotations) {
		t.Errorf("annotations %v, want %v", st.Annotations, b.Spec.Annotations)
	}
}

// TestPidFile checks the pid file: the host pid in decimal, no newline.
func TestPidFile(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	pidFile := filepath.Join(r.dir, "init.pid")
	id, _ := r.create(r.sh("true"), "--pid-file", pidFile)
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	if !regexp.MustCompile(`^[1-9][0-9]*$`).Match(data) {
		t.Fatalf("pid file holds %q, want bare decimal digits", data)
	}
	pid, _ := strconv.Atoi(string(data))
	if st := r.state(id); st.Pid != pid {
		t.Errorf("pid file %d, state pid %d", pid, st.Pid)
	}
	if !processAlive(pid) {
		t.Errorf("pid %d from the pid file is not alive", pid)
	}
	// run -d writes it too.
	pidFile2 := filepath.Join(r.dir, "run.pid")
	id2, res := r.run(r.sh("exec sleep 100"), "-d", "--pid-file", pidFile2)
	if res.Code != 0 {
		t.Fatalf("run -d: %s", res)
	}
	data2 := readFile(t, pidFile2)
	if st := r.state(id2); strconv.Itoa(st.Pid) != data2 {
		t.Errorf("run -d pid file %q, state pid %d", data2, st.Pid)
	}
	trackPid(r.state(id2).Pid)
}

// TestCreateStdio: without a terminal the container's stdout is create's
// stdout, here a pipe read after start.
func TestCreateStdio(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	outR, outW := pipe(t)
	errR, errW := pipe(t)
	id, _ := r.createOpts(cmdOpts{Stdout: outW, Stderr: errW}, r.sh("echo to-stdout; echo to-stderr >&2"))
	outW.Close()
	errW.Close()
	r.ok("start", id)
	if got := readAllTimeout(t, outR); got != "to-stdout\n" {
		t.Errorf("container stdout through the pipe: %q", got)
	}
	if got := readAllTimeout(t, errR); got != "to-stderr\n" {
		t.Errorf("container stderr through the pipe: %q", got)
	}
	r.waitStatus(id, "stopped")
}
