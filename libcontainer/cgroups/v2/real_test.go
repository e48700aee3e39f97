package v2

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups/fscommon"
)

// realMount is a cgroup2 mount of this host, or "". On this VM it is the
// hybrid host's /sys/fs/cgroup/unified, with hugetlb as its only
// controller: what does not need a controller (placement, clone into the
// cgroup, freeze, kill, the device filter, removal) is tested for real here;
// the rest needs the cgroup v2 VM.
func realMount() string {
	for _, p := range []string{DefaultMount, DefaultMount + "/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	return ""
}

func TestRealCgroup(t *testing.T) {
	mnt := realMount()
	if os.Geteuid() != 0 || mnt == "" {
		t.Skip("needs root and a cgroup2 mount")
	}
	parent := fmt.Sprintf("/rt-v2-test-%d", os.Getpid())
	m := New(mnt, parent+"/c1")
	t.Cleanup(func() { _ = m.Destroy() })

	f, err := m.CloneFD()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "sleep 1000 & while :; do sleep 0.05; done")
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })

	// Cloned straight into the cgroup: no Apply needed.
	var pids []int
	if !pollFor(func() bool { pids, _ = m.Pids(); return len(pids) >= 2 }) {
		t.Fatalf("pids in the cgroup: %v", pids)
	}
	if pids[0] != cmd.Process.Pid && pids[1] != cmd.Process.Pid {
		t.Errorf("pids %v lack the cloned %d", pids, cmd.Process.Pid)
	}
	// Set: the device filter (default rules) and what the mount's
	// controllers allow; the parent got them enabled by Create.
	r := &specs.LinuxResources{}
	avail := Controllers(mnt)
	if avail["hugetlb"] {
		r.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}
		r.Unified = map[string]string{"hugetlb.1GB.max": "0"}
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	if avail["hugetlb"] {
		if got, _ := fscommon.Read(m.Dir, "hugetlb.2MB.max"); got != "4194304" {
			t.Errorf("hugetlb.2MB.max = %q", got)
		}
	}

	if err := m.Freeze(true); err != nil {
		t.Fatal(err)
	}
	if fr, err := m.Frozen(); err != nil || !fr {
		t.Errorf("Frozen = %v, %v", fr, err)
	}
	// The task may still be on its way into the freezer trap (R) when
	// cgroup.events already says frozen: allow it a moment.
	s := procState(cmd.Process.Pid)
	for i := 0; i < 100 && s != "S" && s != "D"; i++ {
		time.Sleep(10 * time.Millisecond)
		s = procState(cmd.Process.Pid)
	}
	if s != "S" && s != "D" {
		t.Errorf("frozen process state %q", s)
	}
	if err := m.Freeze(false); err != nil {
		t.Fatal(err)
	}
	if fr, _ := m.Frozen(); fr {
		t.Error("still frozen after thaw")
	}

	if _, err := m.Stats(); err != nil {
		t.Errorf("Stats: %v", err)
	}
	// Kill: cgroup.kill takes the shell and its sleep at once.
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("cgroup.kill did not kill the process")
	}
	if !pollFor(func() bool { pids, _ = m.Pids(); return len(pids) == 0 }) {
		t.Errorf("pids left after Kill: %v", pids)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mnt, parent)); !os.IsNotExist(err) {
		t.Errorf("Destroy left the empty parent %s: %v", parent, err)
	}
}

func pollFor(f func() bool) bool {
	for i := 0; i < 300; i++ {
		if f() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func procState(pid int) string {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}
