package v1

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }
func boolp(v bool) *bool   { return &v }

const mountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 22 0:40 / /mnt/cgroup/memory rw,relatime - cgroup cgroup rw,memory
`

func TestFromMountinfo(t *testing.T) {
	m, err := FromMountinfo(strings.NewReader(mountinfo), "/sys/fs/cgroup", "/rt/c1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cpu": "/sys/fs/cgroup/cpu,cpuacct/rt/c1", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/rt/c1",
		"cpuset": "/sys/fs/cgroup/cpuset/rt/c1", "memory": "/sys/fs/cgroup/memory/rt/c1",
		"name=systemd": "/sys/fs/cgroup/systemd/rt/c1", Unified: "/sys/fs/cgroup/unified/rt/c1",
	}
	if !reflect.DeepEqual(m.Paths, want) {
		t.Errorf("paths %v\nwant %v", m.Paths, want)
	}
	if len(m.dirs()) != 5 {
		t.Errorf("dirs %v: cpu and cpuacct share one", m.dirs())
	}
	if got := m.mountOf(m.Paths["cpu"]); got != "/sys/fs/cgroup/cpu,cpuacct" {
		t.Errorf("mountOf = %q", got)
	}
}

// fakeHost makes fake v1 hierarchies (and a cgroup2 one) in a temp dir with
// the container's directory holding the given files; "<dir>" makes a
// directory, which "the kernel" then refuses writes to.
func fakeHost(t *testing.T, files map[string]string) *Manager {
	t.Helper()
	root := t.TempDir()
	m := &Manager{Path: "/c", Paths: map[string]string{}, HugePageDir: filepath.Join(root, "pages")}
	if err := os.MkdirAll(filepath.Join(root, "pages", "hugepages-2048kB"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"cpu", "cpuset", "memory", "devices", "freezer", "blkio", "pids", Unified} {
		m.Paths[c] = filepath.Join(root, c, "c")
		if err := os.MkdirAll(m.Paths[c], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	base := map[string]string{
		"memory/memory.limit_in_bytes": "9223372036854771712", "memory/memory.memsw.limit_in_bytes": "9223372036854771712",
		"memory/memory.soft_limit_in_bytes": "9223372036854771712", "memory/memory.swappiness": "60",
		"memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0", "memory/memory.usage_in_bytes": "4096",
		"memory/memory.kmem.tcp.limit_in_bytes": "9223372036854771712",
		"cpu/cpu.shares":                        "1024", "cpu/cpu.cfs_period_us": "100000", "cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_burst_us": "0",
		"cpu/cpu.idle": "0", "cpu/cpu.rt_period_us": "1000000", "cpu/cpu.rt_runtime_us": "0",
		"cpuset/cpuset.cpus": "0-1", "cpuset/cpuset.mems": "0", "pids/pids.max": "max",
		"devices/devices.allow": "", "devices/devices.deny": "", "freezer/freezer.state": "THAWED",
		"blkio/blkio.throttle.read_bps_device": "", "blkio/blkio.weight": "500", "blkio/blkio.leaf_weight": "500",
		"unified/../cgroup.controllers": "hugetlb", "unified/hugetlb.2MB.max": "max",
	}
	for k, v := range files {
		base[k] = v
	}
	for k, v := range base {
		ctrl, file, _ := strings.Cut(k, "/")
		p := filepath.Join(root, ctrl, "c", file)
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

func get(t *testing.T, m *Manager, ctrl, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(m.Paths[ctrl], file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func TestSetWritesV1Files(t *testing.T) {
	m := fakeHost(t, nil)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(1 << 20), Swap: i64(2 << 20), Reservation: i64(1 << 19),
			//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
			Swappiness: u64(10), DisableOOMKiller: boolp(true), Kernel: i64(1 << 20), KernelTCP: i64(1 << 20)},
		CPU:            &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(50000), Idle: i64(1), Cpus: "1", Mems: "0", RealtimeRuntime: i64(100)},
		Pids:           &specs.LinuxPids{Limit: i64(0)},
		BlockIO:        &specs.LinuxBlockIO{Weight: u16(300), LeafWeight: u16(200)},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]string{
		{"memory", "memory.limit_in_bytes"}: "1048576", {"memory", "memory.memsw.limit_in_bytes"}: "2097152",
		{"memory", "memory.soft_limit_in_bytes"}: "524288", {"memory", "memory.swappiness"}: "10",
		{"memory", "memory.oom_control"}: "1", {"memory", "memory.kmem.tcp.limit_in_bytes"}: "1048576",
		{"cpu", "cpu.cfs_quota_us"}: "50000", {"cpu", "cpu.cfs_period_us"}: "50000", {"cpu", "cpu.idle"}: "1",
		{"cpu", "cpu.rt_runtime_us"}: "100", {"cpuset", "cpuset.cpus"}: "1", {"pids", "pids.max"}: "1",
		{"blkio", "blkio.weight"}: "300", {"blkio", "blkio.leaf_weight"}: "200",
		{Unified, "hugetlb.2MB.max"}: "2097152", // hybrid host: hugetlb on the cgroup2 mount
		{"devices", "devices.deny"}:  "a", {"devices", "devices.allow"}: "c 136:* rwm",
	}
	for k, w := range want {
		if got := get(t, m, k[0], k[1]); got != w {
			t.Errorf("%s/%s = %q, want %q", k[0], k[1], got, w)
		}
	}
	if _, err := os.Stat(filepath.Join(m.Paths["memory"], "memory.kmem.limit_in_bytes")); err == nil {
		t.Error("memory.kmem.limit_in_bytes created: a missing kmem file must be skipped")
	}
}

// TestMemorySwapOrder: raising both limits writes memsw first, lowering
// both writes the limit first, so that memsw >= limit holds at each step.
func TestMemorySwapOrder(t *testing.T) {
	m := fakeHost(t, map[string]string{"memory/memory.limit_in_bytes": "100", "memory/memory.memsw.limit_in_bytes": "<dir>"})
	// The memsw write fails: when raising, nothing else may have been written.
	err := m.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(300), Swap: i64(400)}})
	if err == nil || !strings.Contains(err.Error(), "memsw") {
		t.Fatalf("raise: %v", err)
	}
	if got := get(t, m, "memory", "memory.limit_in_bytes"); got != "100" {
		t.Errorf("raise: limit %q written before memsw", got)
	}
	// Lowering: the limit goes first, and is restored when memsw fails.
	err = m.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(50), Swap: i64(60)}})
	if err == nil {
		t.Fatal("lower: memsw write should fail")
	}
	if got := get(t, m, "memory", "memory.limit_in_bytes"); got != "100" {
		t.Errorf("lower: limit %q not restored", got)
	}
}

func TestRejectedValueRestoresAll(t *testing.T) {
	m := fakeHost(t, map[string]string{"blkio/blkio.weight": "<dir>"})
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(1 << 20)},
		CPU:     &specs.LinuxCPU{Shares: u64(512), Cpus: "1"},
		Pids:    &specs.LinuxPids{Limit: i64(5)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(300)},
	}
	err := m.Update(r)
	if err == nil || !strings.Contains(err.Error(), "blkio.weight") || !strings.Contains(err.Error(), `"300"`) {
		t.Fatalf("error %v should name blkio.weight and 300", err)
	}
	for k, w := range map[[2]string]string{
		{"memory", "memory.limit_in_bytes"}: "9223372036854771712", {"cpu", "cpu.shares"}: "1024",
		{"cpuset", "cpuset.cpus"}: "0-1", {"pids", "pids.max"}: "max",
	} {
		if got := get(t, m, k[0], k[1]); got != w {
			t.Errorf("%s/%s = %q after a failed update, want %q", k[0], k[1], got, w)
		}
	}
	if got := get(t, m, "devices", "devices.deny"); got != "" {
		t.Errorf("Update touched the device rules: %q", got)
	}
}

func TestControllerNotMounted(t *testing.T) {
	m := fakeHost(t, nil)
	for name, r := range map[string]*specs.LinuxResources{
		"net_cls":  {Network: &specs.LinuxNetwork{ClassID: u32(1)}},
		"net_prio": {Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 1}}}},
		"rdma":     {Rdma: map[string]specs.LinuxRdma{"mlx4_0": {HcaHandles: u32(1)}}},
	} {
		err := m.Update(r)
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "not mounted") {
			t.Errorf("%s: %v", name, err)
		}
	}
	delete(m.Paths, Unified)
	if err := m.Update(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}); err == nil {
		t.Error("unified on pure v1 accepted")
	}
	if err := m.Update(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB"}}}); err == nil {
		t.Error("hugetlb without a hugetlb controller accepted")
	}
}

// TestSharesRange: the kernel clamps cpu.shares instead of refusing; rt
// refuses out-of-range shares before writing (and reads back after).
func TestSharesRange(t *testing.T) {
	m := fakeHost(t, nil)
	if err := m.Update(&specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1 << 20)}}); err == nil ||
		!strings.Contains(err.Error(), "maximum allowed cpu-shares") {
		t.Errorf("shares over the maximum: %v", err)
	}
}

func TestFreezerAndStats(t *testing.T) {
	m := fakeHost(t, map[string]string{
		"pids/pids.current": "3", "pids/pids.max": "10",
		"memory/memory.stat": "cache 5\nrss 7\n", "memory/memory.max_usage_in_bytes": "9000", "memory/memory.failcnt": "2",
		"cpu/cpu.stat": "nr_periods 4\nnr_throttled 1\nthrottled_time 99\n",
	})
	if err := m.Freeze(true); err != nil { // a file keeps what is written: FROZEN at once
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || !f {
		t.Errorf("Frozen = %v, %v", f, err)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Current != 3 || st.Pids.Limit != 10 || st.Memory.Cache != 5 || st.Memory.Usage.Usage != 4096 ||
		st.Memory.Usage.Max != 9000 || st.Memory.Usage.Failcnt != 2 || st.CPU.Throttling.ThrottledTime != 99 {
		t.Errorf("stats %+v", st)
	}
}
