package cgroups

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// Merge applies an update (`rt update`'s flags or --resources JSON) to a
// container's current resources, with runc's update semantics: a field
// the update sets replaces the current one, a field it leaves out (nil,
// or an empty cpus/mems string) keeps its value. It returns the merged
// resources, to keep in the container's state, and the changes to write:
// each resource class the update touches, complete, because some values
// only make sense together (memory limit and memory+swap, quota and period).
//
// What runc's update changes is updated: memory limit, reservation, swap,
// checkBeforeUpdate; cpu shares, quota, period, burst, realtime runtime and
// period, cpus, mems, idle; blockIO weight; pids limit; unified keys. rt
// also takes memory swappiness and disableOOMKiller, blockIO leafWeight and
// hugepage limits (per page size). Devices, network, rdma and kernel memory
// are not changed by an update (as with runc).
func Merge(cur, upd *specs.LinuxResources) (merged, changes *specs.LinuxResources) {
	merged = clone(cur)
	if merged == nil {
		merged = &specs.LinuxResources{}
	}
	changes = &specs.LinuxResources{}
	if upd == nil {
		return merged, changes
	}
	if mergeMemory(merged, upd.Memory) {
		changes.Memory = clone(merged.Memory)
	}
	if mergeCPU(merged, upd.CPU) {
		changes.CPU = clone(merged.CPU)
	}
	if b := upd.BlockIO; b != nil && (b.Weight != nil || b.LeafWeight != nil) {
		if merged.BlockIO == nil {
			merged.BlockIO = &specs.LinuxBlockIO{}
		}
		set(&merged.BlockIO.Weight, b.Weight)
		set(&merged.BlockIO.LeafWeight, b.LeafWeight)
		changes.BlockIO = &specs.LinuxBlockIO{Weight: merged.BlockIO.Weight, LeafWeight: merged.BlockIO.LeafWeight}
	}
	if upd.Pids != nil && upd.Pids.Limit != nil {
		merged.Pids = &specs.LinuxPids{Limit: ptr(*upd.Pids.Limit)}
		changes.Pids = clone(merged.Pids)
	}
	for _, h := range upd.HugepageLimits {
		replaced := false
		for i := range merged.HugepageLimits {
			if merged.HugepageLimits[i].Pagesize == h.Pagesize {
				merged.HugepageLimits[i].Limit, replaced = h.Limit, true
			}
		}
		if !replaced {
			merged.HugepageLimits = append(merged.HugepageLimits, h)
		}
		changes.HugepageLimits = append(changes.HugepageLimits, h)
	}
	for k, v := range upd.Unified {
		if merged.Unified == nil {
			merged.Unified = map[string]string{}
		}
		if changes.Unified == nil {
			changes.Unified = map[string]string{}
		}
		merged.Unified[k], changes.Unified[k] = v, v
	}
	if len(upd.Devices) > 0 || upd.Network != nil || len(upd.Rdma) > 0 {
		logrus.Debug("update: devices, network and rdma cannot be changed; ignored")
	}
	return merged, changes
}

func mergeMemory(merged *specs.LinuxResources, u *specs.LinuxMemory) bool {
	if u == nil {
		return false
	}
	//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
	if u.Kernel != nil || u.KernelTCP != nil {
		logrus.Debug("update: kernel memory limits cannot be changed; ignored")
	}
	if u.Limit == nil && u.Reservation == nil && u.Swap == nil && u.CheckBeforeUpdate == nil &&
		u.Swappiness == nil && u.DisableOOMKiller == nil {
		return false
	}
	if merged.Memory == nil {
		merged.Memory = &specs.LinuxMemory{}
	}
	m := merged.Memory
	set(&m.Limit, u.Limit)
	set(&m.Reservation, u.Reservation)
	set(&m.Swap, u.Swap)
	// A limit of -1 without a swap means both unlimited (runc's rule).
	if u.Limit != nil && *u.Limit == -1 && u.Swap == nil {
		m.Swap = ptr(int64(-1))
	}
	set(&m.CheckBeforeUpdate, u.CheckBeforeUpdate)
	set(&m.Swappiness, u.Swappiness)
	set(&m.DisableOOMKiller, u.DisableOOMKiller)
	return true
}

func mergeCPU(merged *specs.LinuxResources, u *specs.LinuxCPU) bool {
	if u == nil || (u.Shares == nil && u.Quota == nil && u.Period == nil && u.Burst == nil &&
		u.RealtimeRuntime == nil && u.RealtimePeriod == nil && u.Idle == nil && u.Cpus == "" && u.Mems == "") {
		return false
	}
	if merged.CPU == nil {
		merged.CPU = &specs.LinuxCPU{}
	}
	c := merged.CPU
	set(&c.Shares, u.Shares)
	set(&c.Quota, u.Quota)
	set(&c.Period, u.Period)
	set(&c.Burst, u.Burst)
	set(&c.RealtimeRuntime, u.RealtimeRuntime)
	set(&c.RealtimePeriod, u.RealtimePeriod)
	set(&c.Idle, u.Idle)
	if u.Cpus != "" {
		c.Cpus = u.Cpus
	}
	if u.Mems != "" {
		c.Mems = u.Mems
	}
	return true
}

// set replaces *dst by a copy of v, if v is set.
func set[T any](dst **T, v *T) {
	if v != nil {
		*dst = ptr(*v)
	}
}

func ptr[T any](v T) *T { return &v }

// clone deep-copies a spec value through JSON (its own encoding).
func clone[T any](v *T) *T {
	if v == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // spec types always encode
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		panic(err)
	}
	return out
}
