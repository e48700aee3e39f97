package cgroups

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	v1 "rt/libcontainer/cgroups/v1"
	v2 "rt/libcontainer/cgroups/v2"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestMerge(t *testing.T) {
	cur := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Memory:  &specs.LinuxMemory{Limit: i64(100), Swap: i64(200)},
		CPU:     &specs.LinuxCPU{Shares: u64(512), Quota: i64(1000), Period: u64(100000), Cpus: "0"},
		Pids:    &specs.LinuxPids{Limit: i64(10)},
	}
	before := js(cur)
	upd := &specs.LinuxResources{
		//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
		Memory:         &specs.LinuxMemory{Limit: i64(150), Kernel: i64(1)},
		CPU:            &specs.LinuxCPU{Quota: i64(2000)},
		BlockIO:        &specs.LinuxBlockIO{Weight: u16(300)},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4}},
		Unified:        map[string]string{"memory.high": "9"},
		Devices:        []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}},
	}
	merged, changes := Merge(cur, upd)
	if js(cur) != before {
		t.Error("Merge changed the current resources")
	}
	wantMerged := &specs.LinuxResources{
		Devices:        []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, // not updatable
		Memory:         &specs.LinuxMemory{Limit: i64(150), Swap: i64(200)},      // kernel ignored
		CPU:            &specs.LinuxCPU{Shares: u64(512), Quota: i64(2000), Period: u64(100000), Cpus: "0"},
		Pids:           &specs.LinuxPids{Limit: i64(10)},
		BlockIO:        &specs.LinuxBlockIO{Weight: u16(300)},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4}},
		Unified:        map[string]string{"memory.high": "9"},
	}
	if js(merged) != js(wantMerged) {
		t.Errorf("merged\n%s\nwant\n%s", js(merged), js(wantMerged))
	}
	// Changes hold whole classes: the quota goes with its period.
	wantChanges := &specs.LinuxResources{
		Memory:         wantMerged.Memory,
		CPU:            wantMerged.CPU,
		BlockIO:        wantMerged.BlockIO,
		HugepageLimits: wantMerged.HugepageLimits,
		Unified:        wantMerged.Unified,
	}
	if js(changes) != js(wantChanges) {
		t.Errorf("changes\n%s\nwant\n%s", js(changes), js(wantChanges))
	}
}

func TestMergeUnlimitedMemoryAndEmpty(t *testing.T) {
	merged, changes := Merge(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(200)}},
		&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}})
	if *merged.Memory.Swap != -1 || *changes.Memory.Swap != -1 {
		t.Errorf("limit -1 without swap: swap %d, want -1 (both unlimited)", *merged.Memory.Swap)
	}
	merged, changes = Merge(nil, &specs.LinuxResources{CPU: &specs.LinuxCPU{}, Memory: &specs.LinuxMemory{}})
	if js(changes) != "{}" || merged == nil {
		t.Errorf("an empty update changes %s", js(changes))
	}
	merged, _ = Merge(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}},
		&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2}}})
	if len(merged.HugepageLimits) != 1 || merged.HugepageLimits[0].Limit != 2 {
		t.Errorf("hugepage limits %v: one per page size", merged.HugepageLimits)
	}
}

func TestLoadRecords(t *testing.T) {
	m1, err := Load(json.RawMessage(`{"path":"/rt/a","paths":{"memory":"/sys/fs/cgroup/memory/rt/a"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m1.(*v1.Manager); !ok || v.Paths["memory"] != "/sys/fs/cgroup/memory/rt/a" || v.Path != "/rt/a" {
		t.Errorf("v1 record loaded as %#v", m1)
	}
	m2, err := Load(json.RawMessage(`{"dir":"/sys/fs/cgroup/rt/a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m2.(*v2.Manager); !ok || v.Dir != "/sys/fs/cgroup/rt/a" {
		t.Errorf("v2 record loaded as %#v", m2)
	}
	if m, err := Load(nil); m != nil || err != nil {
		t.Errorf("empty record: %v, %v", m, err)
	}
}
