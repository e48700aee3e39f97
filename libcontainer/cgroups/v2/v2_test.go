package v2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func boolp(v bool) *bool   { return &v }
func u32(v uint32) *uint32 { return &v }

func TestConversions(t *testing.T) {
	for shares, want := range map[uint64]uint64{0: 0, 2: 1, 1024: 39, 512: 20, 262144: 10000} {
		if got := SharesToWeight(shares); got != want {
			t.Errorf("SharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
	for w, want := range map[uint16]uint64{0: 0, 10: 1, 100: 910, 500: 4950, 1000: 10000} {
		if got := BlkioToIOWeight(w); got != want {
			t.Errorf("BlkioToIOWeight(%d) = %d, want %d", w, got, want)
		}
	}
	for _, tc := range []struct{ swap, limit, want int64 }{
		{0, 0, 0}, {0, 100, 0}, {-1, 100, -1}, {0, -1, -1}, {300, 100, 200}, {100, 100, 0},
	} {
		if got, err := SwapMax(tc.swap, tc.limit); err != nil || got != tc.want {
			t.Errorf("SwapMax(%d, %d) = %d, %v; want %d", tc.swap, tc.limit, got, err, tc.want)
		}
	}
	for _, bad := range [][2]int64{{100, 0}, {100, -1}, {50, 100}} {
		if _, err := SwapMax(bad[0], bad[1]); err == nil {
			t.Errorf("SwapMax(%d, %d) accepted", bad[0], bad[1])
		}
	}
	for limit, want := range map[int64]string{-1: "max", -5: "max", 0: "1", 7: "7"} {
		if got := PidsMax(limit); got != want {
			t.Errorf("PidsMax(%d) = %q, want %q", limit, got, want)
		}
	}
}

// fakeCgroup makes a fake cgroup2 mount with one container directory whose
// interface files hold "0" (or the given contents), and a huge page list.
func fakeCgroup(t *testing.T, files map[string]string) *Manager {
	t.Helper()
	root := t.TempDir()
	mnt, pages := filepath.Join(root, "mnt"), filepath.Join(root, "pages")
	m := &Manager{Dir: filepath.Join(mnt, "rt", "c1"), Mount: mnt, HugePageDir: pages}
	for _, d := range []string{m.Dir, filepath.Join(pages, "hugepages-2048kB")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]string{
		"cgroup.controllers": "cpuset cpu io memory hugetlb pids", "pids.max": "max", "memory.max": "max",
		"memory.swap.max": "max", "memory.low": "0", "memory.current": "1000", "cpu.weight": "100",
		"cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0", "cpuset.cpus": "", "cpuset.mems": "",
		"io.weight": "default 100", "io.max": "", "hugetlb.2MB.max": "max", "memory.high": "max",
	}
	for k, v := range files {
		all[k] = v
	}
	for k, v := range all {
		p := filepath.Join(m.Dir, k)
		if v == "<dir>" {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if v != "<none>" {
			if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return m
}

func get(t *testing.T, m *Manager, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(m.Dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func TestUpdateWritesV2Files(t *testing.T) {
	m := fakeCgroup(t, nil)
	r := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: i64(1 << 20), Swap: i64(3 << 20), Reservation: i64(1 << 19), Swappiness: u64(5)},
		CPU:            &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Burst: u64(1000), Idle: i64(1), Cpus: "0", Mems: "0"},
		Pids:           &specs.LinuxPids{Limit: i64(10)},
		BlockIO:        &specs.LinuxBlockIO{Weight: u16(500), ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}}},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Unified:        map[string]string{"memory.high": "2000000"},
	}
	if err := m.Update(r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory.max": "1048576", "memory.swap.max": "2097152", "memory.low": "524288",
		"cpu.weight": "39", "cpu.max": "50000 100000", "cpu.max.burst": "1000", "cpu.idle": "1",
		"cpuset.cpus": "0", "cpuset.mems": "0", "pids.max": "10", "io.weight": "4950", "io.max": "8:0 rbps=1000",
		"hugetlb.2MB.max": "4194304", "memory.high": "2000000",
	}
	for f, w := range want {
		if got := get(t, m, f); got != w {
			t.Errorf("%s = %q, want %q", f, got, w)
		}
	}
}

func TestQuotaWithoutPeriodAndUnlimited(t *testing.T) {
	m := fakeCgroup(t, nil)
	if err := m.Update(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}, Memory: &specs.LinuxMemory{Limit: i64(-1)}}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, "cpu.max"); got != "max" {
		t.Errorf("cpu.max = %q", got)
	}
	if got := get(t, m, "memory.swap.max"); got != "max" {
		t.Errorf("memory.swap.max = %q (limit -1 without swap is both unlimited)", got)
	}
}

func TestBFQWeight(t *testing.T) {
	m := fakeCgroup(t, map[string]string{"io.bfq.weight": "default 100"})
	r := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(300),
		WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Weight: u16(200)}}}}
	if err := m.Update(r); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, "io.bfq.weight"); got != "8:16 200" { // the last write of two
		t.Errorf("io.bfq.weight = %q", got)
	}
	if got := get(t, m, "io.weight"); got != "default 100" {
		t.Errorf("io.weight changed to %q with BFQ present", got)
	}
}

func TestRejectedValueChangesNothing(t *testing.T) {
	m := fakeCgroup(t, map[string]string{"cpu.idle": "<dir>"}) // the "kernel" refuses cpu.idle
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(1 << 20)},
		CPU:    &specs.LinuxCPU{Shares: u64(2048), Idle: i64(1)},
		Pids:   &specs.LinuxPids{Limit: i64(10)},
	}
	err := m.Update(r)
	if err == nil || !strings.Contains(err.Error(), "cpu.idle") || !strings.Contains(err.Error(), `"1"`) {
		t.Fatalf("error %v should name cpu.idle and the value", err)
	}
	for f, w := range map[string]string{"memory.max": "max", "cpu.weight": "100", "pids.max": "max"} {
		if got := get(t, m, f); got != w {
			t.Errorf("%s = %q after a failed update, want %q", f, got, w)
		}
	}
}

func TestValidationBeforeWrites(t *testing.T) {
	for name, r := range map[string]*specs.LinuxResources{
		"swap without limit": {Memory: &specs.LinuxMemory{Swap: i64(100)}, Pids: &specs.LinuxPids{Limit: i64(3)}},
		"page size":          {HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "1GB", Limit: 1}}, Pids: &specs.LinuxPids{Limit: i64(3)}},
		"controller off":     {Unified: map[string]string{"rdma.max": "x"}, Pids: &specs.LinuxPids{Limit: i64(3)}},
		"cgroup.procs":       {Unified: map[string]string{"cgroup.procs": "1"}, Pids: &specs.LinuxPids{Limit: i64(3)}},
		"check usage":        {Memory: &specs.LinuxMemory{Limit: i64(500), CheckBeforeUpdate: boolp(true)}, Pids: &specs.LinuxPids{Limit: i64(3)}},
	} {
		m := fakeCgroup(t, nil)
		if err := m.Update(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if got := get(t, m, "pids.max"); got != "max" {
			t.Errorf("%s: pids.max = %q, nothing should be written", name, got)
		}
	}
}

func TestNetworkAndRealtimeIgnored(t *testing.T) {
	m := fakeCgroup(t, nil)
	r := &specs.LinuxResources{
		Network: &specs.LinuxNetwork{ClassID: u32(1)},
		CPU:     &specs.LinuxCPU{RealtimeRuntime: i64(1000), RealtimePeriod: u64(10000)},
		//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
		Memory: &specs.LinuxMemory{DisableOOMKiller: boolp(true), Kernel: i64(1 << 20)},
	}
	if err := m.Update(r); err != nil {
		t.Errorf("v2 should ignore what it has no file for: %v", err)
	}
}

func TestCheckUnifiedUsesParentWhenMissing(t *testing.T) {
	m := fakeCgroup(t, nil)
	dir := filepath.Join(filepath.Dir(m.Dir), "new")
	if err := os.WriteFile(filepath.Join(filepath.Dir(m.Dir), "cgroup.subtree_control"), []byte("memory"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckUnified(dir, map[string]string{"memory.high": "1"}); err != nil {
		t.Error(err)
	}
	if err := CheckUnified(dir, map[string]string{"pids.max": "1"}); err == nil {
		t.Error("pids not enabled in the parent, but accepted")
	}
}

// TestOOMWatch drives the inotify watcher with a fake cgroup's files:
// a growing oom_kill count is an event, populated 0 ends the stream.
func TestOOMWatch(t *testing.T) {
	m := fakeCgroup(t, map[string]string{"memory.events": "oom 0\noom_kill 0\n", "cgroup.events": "populated 1\nfrozen 0\n"})
	stop := make(chan struct{})
	defer close(stop)
	ch, err := m.OOM(stop)
	if err != nil {
		t.Fatal(err)
	}
	write := func(file, s string) {
		if err := os.WriteFile(filepath.Join(m.Dir, file), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("memory.events", "oom 1\noom_kill 1\n")
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatal("stream closed instead of an OOM event")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no OOM event")
	}
	write("memory.events", "oom 1\noom_kill 1\nmax 3\n") // no new kill: no event
	write("cgroup.events", "populated 0\nfrozen 0\n")
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("an event without a new OOM kill")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream not closed when the cgroup emptied")
	}
}
