package integration

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cgroupRoot is where the v1 controllers (and the unified hierarchy) live.
const cgroupRoot = "/sys/fs/cgroup"

// machineCgroup belongs to the VM itself and must never be touched or walked.
const machineCgroup = "/sys/fs/cgroup/memory/process_api"

// findLeaks lists everything the suite's containers left behind.
func findLeaks() []string {
	suite.mu.Lock()
	roots := append([]string(nil), suite.roots...)
	ids := make(map[string]bool, len(suite.ids))
	for id := range suite.ids {
		ids[id] = true
	}
	procs := make(map[int]string, len(suite.procs))
	for pid, st := range suite.procs {
		procs[pid] = st
	}
	suite.mu.Unlock()

	var leaks []string
	for _, root := range roots {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			leaks = append(leaks, "state dir "+filepath.Join(root, e.Name()))
		}
	}
	for _, m := range mountsUnder(suite.dir) {
		leaks = append(leaks, "mount "+m)
	}
	for _, pid := range leakedPids(procs, ids) {
		leaks = append(leaks, fmt.Sprintf("process %d (%s)", pid, procComm(pid)))
	}
	for _, dir := range cgroupDirsOf(ids) {
		leaks = append(leaks, "cgroup "+dir)
	}
	return leaks
}

// cleanupLeaks undoes what findLeaks found, so one broken run does not spoil
// the next one. Only processes and cgroups of this suite's containers are touched.
func cleanupLeaks() {
	suite.mu.Lock()
	ids := suite.ids
	procs := suite.procs
	suite.mu.Unlock()
	for _, pid := range leakedPids(procs, ids) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		poll(2*time.Second, func() bool { return !processAlive(pid) })
	}
	mounts := mountsUnder(suite.dir)
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	for _, m := range mounts {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	dirs := cgroupDirsOf(ids)
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}

// leakedPids returns tracked container processes still alive (not zombies)
// and any process whose cgroup path names one of the suite's containers.
func leakedPids(procs map[int]string, ids map[string]bool) []int {
	seen := map[int]bool{}
	var out []int
	for pid, st := range procs {
		if procStartTime(pid) == st && !isZombie(pid) {
			seen[pid] = true
			out = append(out, pid)
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || seen[pid] || isZombie(pid) {
			continue
		}
		cg, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		for _, line := range strings.Split(string(cg), "\n") {
			if namesAny(line, ids) {
				out = append(out, pid)
				break
			}
		}
	}
	sort.Ints(out)
	return out
}

// cgroupDirsOf walks every hierarchy under /sys/fs/cgroup (a few levels deep)
// for directories whose name contains one of ids.
func cgroupDirsOf(ids map[string]bool) []string {
	var out []string
	if len(ids) == 0 {
		return nil
	}
	hier, _ := os.ReadDir(cgroupRoot)
	for _, h := range hier {
		base := filepath.Join(cgroupRoot, h.Name())
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if p == machineCgroup {
				return filepath.SkipDir
			}
			if strings.Count(strings.TrimPrefix(p, base), "/") > 4 {
				return filepath.SkipDir
			}
			if p != base && namesAny(filepath.Base(p), ids) {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

func namesAny(s string, ids map[string]bool) bool {
	if !strings.Contains(s, "rtt-") {
		return false
	}
	for id := range ids {
		if strings.Contains(s, id) {
			return true
		}
	}
	return false
}

// mountsUnder lists mount points in this (the host's) mount namespace at or below dir.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range parseMountinfo(string(data)) {
		if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
			out = append(out, m.Point)
		}
	}
	return out
}

// procStartTime is field 22 of /proc/PID/stat, "" when the process is gone.
func procStartTime(pid int) string {
	fields := procStatFields(pid)
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

func isZombie(pid int) bool {
	fields := procStatFields(pid)
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

// procStatFields returns /proc/PID/stat from the state field on (after "(comm)").
func procStatFields(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

func procComm(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(data))
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil && !isZombie(pid)
}

// assertNoTrace checks that container id left nothing behind in r's root:
// no state dir, `state` says it does not exist, no process in a cgroup named
// after it, no cgroup dir named after it, and no mount under the test's dir.
func assertNoTrace(t *testing.T, r *rtRunner, id string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(r.root, id)); err == nil {
		t.Errorf("state dir %s left behind", filepath.Join(r.root, id))
	}
	if res := r.exec(cmdOpts{}, "state", id); res.Code == 0 {
		t.Errorf("state %s succeeds after a failure, it should not exist: %s", id, res.Stdout)
	}
	one := map[string]bool{id: true}
	if pids := leakedPids(nil, one); len(pids) > 0 {
		t.Errorf("processes of %s still alive: %v", id, pids)
	}
	if dirs := cgroupDirsOf(one); len(dirs) > 0 {
		t.Errorf("cgroups of %s left behind: %v", id, dirs)
	}
	if mounts := mountsUnder(r.dir); len(mounts) > 0 {
		t.Errorf("mounts left under %s: %v", r.dir, mounts)
	}
}
