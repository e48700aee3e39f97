package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestMkbundle checks that tests/mkbundle.sh writes the same spec as the
// suite's defaultSpec and that the bundle runs.
func TestMkbundle(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "mkbundle.sh")
	dir := filepath.Join(r.dir, "mk")
	args := []string{"sh", "-c", `echo "hello \"quoted\" $0"; ls /bin/busybox /bin/ls /etc/passwd`}
	if out, err := exec.Command(script, append([]string{dir}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("mkbundle.sh: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got specs.Spec
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("mkbundle.sh config.json: %v", err)
	}
	if want := defaultSpec(args...); !reflect.DeepEqual(&got, want) {
		g, _ := json.MarshalIndent(&got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("mkbundle.sh spec differs from defaultSpec:\n%s\nwant:\n%s", g, w)
	}
	b := &bundle{Dir: dir, Rootfs: filepath.Join(dir, "rootfs"), Spec: &got}
	out := r.runOK(b)
	want := "hello \"quoted\" sh\n/bin/busybox\n/bin/ls\n/etc/passwd\n"
	if out != want {
		t.Errorf("container printed %q, want %q", out, want)
	}
}
