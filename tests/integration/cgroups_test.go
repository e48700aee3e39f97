package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The cgroup tests run on this host's cgroup v1 hierarchies (hugetlb on
// its cgroup2 mount): each checks the values in the container's cgroup
// files, or the behaviour of its processes, never what rt reports alone.
// The container's cgroup is /<id> in every hierarchy (bundle.save).

// cgFile reads a file of container id's cgroup in hierarchy ctrl.
func cgFile(t *testing.T, ctrl, id, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cgroupRoot, ctrl, id, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// wantCgFiles checks several cgroup files of container id.
func wantCgFiles(t *testing.T, id string, want map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ctrl, file, _ := strings.Cut(k, "/")
		if got := cgFile(t, ctrl, id, file); got != want[k] {
			t.Errorf("%s of %s = %q, want %q", k, id, got, want[k])
		}
	}
}

func i64p(v int64) *int64   { return &v }
func u64p(v uint64) *uint64 { return &v }
func boolPtr(v bool) *bool  { return &v }

// stdinFile is a file holding s, to hand to a command as its stdin.
func stdinFile(t *testing.T, r *rtRunner, s string) *os.File {
	t.Helper()
	f := r.tempFile("stdin-")
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestCgroupResources: the config's resources are in the cgroup files after
// create; `update` by flags and by JSON on stdin changes them and keeps the
// rest; an update the kernel refuses, or broken JSON, changes nothing; and
// delete removes the cgroups.
func TestCgroupResources(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.newBundle("sleep", "1000")
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64p(64 << 20), Swap: i64p(96 << 20),
		Reservation: i64p(32 << 20), Swappiness: u64p(10), DisableOOMKiller: boolPtr(false)}
	b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Shares: u64p(512), Quota: i64p(50000), Period: u64p(100000),
		Cpus: "0", Mems: "0"}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64p(100)}
	b.Spec.Linux.Resources.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 8 << 20}}
	id, _ := r.create(b)
	wantCgFiles(t, id, map[string]string{
		"memory/memory.limit_in_bytes": "67108864", "memory/memory.memsw.limit_in_bytes": "100663296",
		"memory/memory.soft_limit_in_bytes": "33554432", "memory/memory.swappiness": "10",
		"cpu/cpu.shares": "512", "cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000",
		"cpuset/cpuset.cpus": "0", "cpuset/cpuset.mems": "0", "pids/pids.max": "100",
		"unified/hugetlb.2MB.max": "8388608", // this hybrid host has hugetlb on its cgroup2 mount only
	})
	r.ok("start", id)

	r.ok("update", "--memory", "80M", "--memory-swap", "128m", "--cpu-share", "1024", "--cpu-quota", "20000",
		"--pids-limit", "50", "--cpuset-cpus", "0-1", id)
	wantCgFiles(t, id, map[string]string{
		"memory/memory.limit_in_bytes": "83886080", "memory/memory.memsw.limit_in_bytes": "134217728",
		"memory/memory.soft_limit_in_bytes": "33554432", // kept
		"cpu/cpu.shares":                    "1024", "cpu/cpu.cfs_quota_us": "20000", "cpu/cpu.cfs_period_us": "100000",
		"cpuset/cpuset.cpus": "0-1", "pids/pids.max": "50",
	})

	// containerd's way: LinuxResources JSON on stdin.
	in := stdinFile(t, r, `{"memory":{"limit":100663296,"swap":100663296},"cpu":{"quota":-1},"pids":{"limit":-1}}`)
	if res := r.exec(cmdOpts{Stdin: in}, "update", "--resources=-", id); res.Code != 0 {
		t.Fatalf("update from stdin: %s", res)
	}
	wantCgFiles(t, id, map[string]string{
		"memory/memory.limit_in_bytes": "100663296", "memory/memory.memsw.limit_in_bytes": "100663296",
		"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.shares": "1024", "pids/pids.max": "max",
	})
	before := map[string]string{
		"memory/memory.limit_in_bytes": "100663296", "cpu/cpu.shares": "1024", "cpuset/cpuset.cpus": "0-1", "pids/pids.max": "max",
	}

	// The kernel refuses CPU 99: the shares and memory written before are put back.
	res := r.fails("update", "--memory", "90M", "--cpu-share", "2048", "--pids-limit", "7", "--cpuset-cpus", "0-99", id)
	cgContains(t, "refused update", res.Stderr, "cpuset.cpus")
	cgContains(t, "refused update", res.Stderr, "0-99")
	wantCgFiles(t, id, before)
	// A value the kernel refuses late (quota below 1 ms) after memory and shares.
	r.fails("update", "--memory", "90M", "--cpu-share", "2048", "--cpu-quota", "500", id)
	wantCgFiles(t, id, before)
	// Broken JSON, and an impossible combination, are refused before any write.
	for _, bad := range []string{`{"memory":{"limit":"x"}}`, `{"memory":{"limit":1000`, `{"memory":{"limit":200000000,"swap":100000000}}`} {
		if res := r.exec(cmdOpts{Stdin: stdinFile(t, r, bad)}, "update", "-r", "-", id); res.Code == 0 {
			t.Errorf("update with %s succeeded", bad)
		}
	}
	wantCgFiles(t, id, before)
	r.fails("update", "--l3-cache-schema", "L3:0=f", id)

	// A later update merges into the saved resources: swap stays 96M
	// (memsw >= limit) while only the reservation changes.
	r.ok("update", "--memory-reservation", "16M", id)
	wantCgFiles(t, id, map[string]string{"memory/memory.soft_limit_in_bytes": "16777216", "memory/memory.limit_in_bytes": "100663296"})

	r.ok("delete", "--force", id)
	assertNoTrace(t, r, id)
}

// TestCgroupCreateRefused: a value the kernel refuses at create fails create
// with the file and value named, and leaves no cgroup behind.
func TestCgroupCreateRefused(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.newBundle("true")
	b.Spec.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "0-99"}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64p(10)}
	id := r.newID()
	b.save(t, id)
	res := r.fails("create", "--bundle", b.Dir, id)
	cgContains(t, "create", res.Stderr, "cpuset.cpus")
	cgContains(t, "create", res.Stderr, "0-99")
	assertNoTrace(t, r, id)

	b.Spec.Linux.Resources.CPU = nil
	b.Spec.Linux.Resources.Network = &specs.LinuxNetwork{ClassID: func(v uint32) *uint32 { return &v }(0x100001)}
	id = r.newID()
	b.save(t, id)
	res = r.fails("create", "--bundle", b.Dir, id)
	cgContains(t, "net_cls not mounted", res.Stderr, "net_cls")
	assertNoTrace(t, r, id)
}

// TestCgroupOOM: a process allocating past memory.limit_in_bytes is
// OOM-killed, and a running `events` stream reports the OOM.
func TestCgroupOOM(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	// awk doubles a string until the cgroup's limit stops it.
	b := r.sh(`awk 'BEGIN { s = "x"; while (1) s = s s }'; echo "awk exit $?"; sleep 1000`)
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64p(32 << 20), Swap: i64p(32 << 20)}
	id, res := r.create(b)

	events := filepath.Join(r.dir, "events.out")
	out, err := os.Create(events)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	ev := exec.CommandContext(ctx, r.bin, "--root", r.root, "events", "--interval", "200ms", id)
	ev.Stdout, ev.Stderr = out, out
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ev.Process.Kill(); _ = ev.Wait() }()

	r.ok("start", id)
	cgContains(t, "container output", waitFile(t, res.StdoutPath, "awk exit"), "awk exit 137")
	if n, _ := strconv.Atoi(oomKills(t, id)); n < 1 {
		t.Errorf("memory.oom_control counts %d OOM kills", n)
	}
	waitFile(t, events, `"type":"oom"`)
	waitFile(t, events, `"type":"stats"`)
	// The stream's stats events are runc's shape.
	sc := bufio.NewScanner(strings.NewReader(readFile(t, events)))
	sawStats := false
	for sc.Scan() {
		var e struct {
			Type string          `json:"type"`
			ID   string          `json:"id"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("events line %q: %v", sc.Text(), err)
		}
		if e.ID != id {
			t.Errorf("event of %q, want %q", e.ID, id)
		}
		sawStats = sawStats || e.Type == "stats"
	}
	if !sawStats {
		t.Error("no stats event in the stream")
	}
	r.ok("delete", "--force", id)
	assertNoTrace(t, r, id)
}

func oomKills(t *testing.T, id string) string {
	for _, l := range strings.Split(cgFile(t, "memory", id, "memory.oom_control"), "\n") {
		if v, ok := strings.CutPrefix(l, "oom_kill "); ok {
			return v
		}
	}
	return "0"
}

// TestCgroupPidsLimit: a fork loop stops at pids.max. (busybox sh gives up
// at its first refused fork; the loop runs in a child shell for that.)
func TestCgroupPidsLimit(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`sh -c 'for i in $(seq 1 40); do sleep 1000 & done' 2>/dev/null; echo forked; exec sleep 1000`)
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64p(10)}
	id, res := r.runDetached(b)
	waitFile(t, res.StdoutPath, "forked")
	cur, _ := strconv.Atoi(cgFile(t, "pids", id, "pids.current"))
	if cur < 8 || cur > 10 {
		t.Errorf("pids.current = %d, want the limit 10 (less the exited child shell)", cur)
	}
	events := cgFile(t, "pids", id, "pids.events")
	if n, _ := strconv.Atoi(strings.TrimPrefix(events, "max ")); n < 1 {
		t.Errorf("pids.events %q: no fork was refused", events)
	}
	var pids []int
	if err := json.Unmarshal([]byte(r.ok("ps", "--format", "json", id).Stdout), &pids); err != nil || len(pids) != cur {
		t.Errorf("ps --format json: %v, %v; want the %d processes", pids, err, cur)
	}
	r.ok("delete", "--force", id)
	assertNoTrace(t, r, id)
}

// TestCgroupDevices: with the default deny-all rule a device node that is
// not allowed cannot be opened; an allow rule lets it be.
func TestCgroupDevices(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		t.Run(strconv.FormatBool(allow), func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			// /dev/fuse: opening needs no capability, so only the device cgroup refuses.
			b := r.sh(`exec 3<>/dev/rttfuse && echo opened`)
			b.Spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/rttfuse", Type: "c", Major: 10, Minor: 229}}
			if allow {
				b.Spec.Linux.Resources.Devices = append(b.Spec.Linux.Resources.Devices,
					specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64p(10), Minor: i64p(229), Access: "rw"})
			}
			_, res := r.run(b)
			if allow && (res.Code != 0 || !strings.Contains(res.Stdout, "opened")) {
				t.Errorf("allowed device not opened: %s", res)
			}
			if !allow && (res.Code == 0 || !strings.Contains(res.Stderr, "not permitted")) {
				t.Errorf("device opened despite the deny rule: %s", res)
			}
		})
	}
}

// TestCgroupPauseResume: pause freezes every process of the container (two
// counters stop), resume thaws them, and delete --force works on a paused
// container.
func TestCgroupPauseResume(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	outDir := filepath.Join(r.dir, "out")
	if err := os.Mkdir(outDir, 0o777); err != nil {
		t.Fatal(err)
	}
	b := r.sh(`count() { i=0; while :; do i=$((i+1)); echo $i > /out/$1; sleep 0.05; done; }; count a & count b`)
	b.addMount(specs.Mount{Destination: "/out", Type: "bind", Source: outDir, Options: []string{"rbind", "rw"}})
	id, _ := r.runDetached(b)
	counters := func() string {
		return readFileOr(filepath.Join(outDir, "a")) + "/" + readFileOr(filepath.Join(outDir, "b"))
	}
	moving := func() bool {
		before := counters()
		return poll(3*time.Second, func() bool { c := counters(); return c != before && !strings.Contains(c, "//") })
	}
	if !moving() {
		t.Fatalf("counters not moving: %s", counters())
	}
	var pids []int
	if err := json.Unmarshal([]byte(r.ok("ps", "--format", "json", id).Stdout), &pids); err != nil || len(pids) < 3 {
		t.Fatalf("ps --format json: %v, %v", pids, err)
	}

	r.ok("pause", id)
	if st := r.state(id); st.Status != "paused" {
		t.Errorf("status after pause: %s", st.Status)
	}
	if got := cgFile(t, "freezer", id, "freezer.state"); got != "FROZEN" {
		t.Errorf("freezer.state = %s", got)
	}
	frozen := counters()
	time.Sleep(300 * time.Millisecond)
	if c := counters(); c != frozen {
		t.Errorf("counters moved while paused: %s -> %s", frozen, c)
	}
	res := r.fails("pause", id)
	cgContains(t, "pause twice", res.Stderr, "container paused")

	r.ok("resume", id)
	if st := r.state(id); st.Status != "running" {
		t.Errorf("status after resume: %s", st.Status)
	}
	if !moving() {
		t.Errorf("counters do not move after resume: %s", counters())
	}
	res = r.fails("resume", id)
	cgContains(t, "resume twice", res.Stderr, "container not paused")

	// ps: the table keeps ps's header and the container's rows only: the
	// two long-lived shells (the init runs `count b`, a subshell `count a`)
	// and whichever `sleep 0.05` is running at that moment.
	initPid := r.state(id).Pid
	table := r.ok("ps", id).Stdout
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if !strings.Contains(lines[0], "PID") || len(lines) < 3 {
		t.Errorf("ps table: want a header and at least the two shells:\n%s", table)
	}
	sawInit := false
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		pid, err := strconv.Atoi(f[1])
		if err != nil {
			t.Errorf("ps row without a pid: %q", l)
			continue
		}
		sawInit = sawInit || pid == initPid
		cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err == nil && !strings.Contains(string(cg), id) { // a gone sleep is fine
			t.Errorf("ps lists pid %d, which is not in the container's cgroup", pid)
		}
	}
	if !sawInit {
		t.Errorf("ps table lacks the init %d:\n%s", initPid, table)
	}

	r.ok("pause", id)
	r.ok("delete", "--force", id)
	for _, p := range pids {
		if !poll(3*time.Second, func() bool { return !processAlive(p) }) {
			t.Errorf("process %d survived delete --force of the paused container", p)
		}
	}
	assertNoTrace(t, r, id)
}

func readFileOr(p string) string {
	data, _ := os.ReadFile(p)
	return strings.TrimSpace(string(data))
}

// TestCgroupStats: `events --stats` prints one stats event in runc's shape
// with the cgroup's values.
func TestCgroupStats(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`sleep 1000 & sleep 1000`)
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: i64p(64 << 20)}
	b.Spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: i64p(20)}
	id, _ := r.runDetached(b)
	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data struct {
			CPU struct {
				Usage struct {
					Total  uint64   `json:"total"`
					Percpu []uint64 `json:"percpu"`
				} `json:"usage"`
			} `json:"cpu"`
			Memory struct {
				Usage struct {
					Limit uint64 `json:"limit"`
					Usage uint64 `json:"usage"`
				} `json:"usage"`
				Raw map[string]uint64 `json:"raw"`
			} `json:"memory"`
			Pids struct {
				Current uint64 `json:"current"`
				Limit   uint64 `json:"limit"`
			} `json:"pids"`
			Hugetlb           map[string]json.RawMessage `json:"hugetlb"`
			NetworkInterfaces json.RawMessage            `json:"network_interfaces"`
		} `json:"data"`
	}
	var out string
	poll(3*time.Second, func() bool { // wait for both processes
		out = r.ok("events", "--stats", id).Stdout
		return json.Unmarshal([]byte(out), &ev) == nil && ev.Data.Pids.Current == 2
	})
	if err := json.Unmarshal([]byte(out), &ev); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("events --stats printed %q: %v; want one JSON line", out, err)
	}
	d := ev.Data
	if ev.Type != "stats" || ev.ID != id || d.Pids.Current != 2 || d.Pids.Limit != 20 ||
		d.Memory.Usage.Limit != 64<<20 || d.Memory.Usage.Usage == 0 || d.Memory.Raw["rss"] == 0 && d.Memory.Raw["cache"] == 0 ||
		d.CPU.Usage.Total == 0 || len(d.CPU.Usage.Percpu) == 0 || d.Hugetlb["2MB"] == nil {
		t.Errorf("stats event: %s", out)
	}
	r.ok("delete", "--force", id)
	r.fails("events", "--stats", id)
}

func cgContains(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%s: %q does not contain %q", what, got, want)
	}
}
