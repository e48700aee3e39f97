package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDefaultCgroupPlacement: with no cgroupsPath the container's cgroups
// are /rt/<id> in every hierarchy (never under the caller's own cgroup:
// here that is the machine's memory/process_api), and delete removes them.
func TestDefaultCgroupPlacement(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.newBundle("sleep", "1000")
	id := r.newID()
	b.save(t, id)
	// save fills in /<id> for an empty cgroupsPath; write the config as is.
	data, err := json.Marshal(b.Spec)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(b.Dir, "config.json"), string(data))
	r.ok("create", "--bundle", b.Dir, id)
	r.ok("start", id)
	pid := r.state(id).Pid
	trackPid(pid)
	cg, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && f[2] != "/rt/"+id {
			t.Errorf("init's cgroup %q, want /rt/%s", line, id)
		}
	}
	dir := "/sys/fs/cgroup/pids/rt/" + id
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("%s while running: %v", dir, err)
	}
	r.ok("delete", "--force", id)
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s left after delete", dir)
	}
}
