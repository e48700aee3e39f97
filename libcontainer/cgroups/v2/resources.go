package v2

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups/fscommon"
)

// setMemory writes memory.swap.max (swap - limit), memory.max and
// memory.low. v2 has no swappiness, OOM-killer switch or kernel memory
// limits: those fields are ignored, as runc ignores them.
func setMemory(tx *fscommon.Tx, dir string, r *specs.LinuxResources) error {
	m := r.Memory
	if m == nil {
		return nil
	}
	limit, swap := val(m.Limit), val(m.Swap)
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate {
		if err := checkUsage(dir, limit, swap); err != nil {
			return err
		}
	}
	swapMax, err := SwapMax(swap, limit)
	if err != nil {
		return err
	}
	swapStr := numToStr(swapMax)
	if swapStr == "" && swapMax == 0 && swap > 0 {
		swapStr = "0" // swap == limit: no swap at all
	}
	if swapStr != "" {
		if err := tx.Write(dir, "memory.swap.max", swapStr); err != nil {
			// No swap accounting (no file): "max" and "0" are what there is anyway.
			if !(errors.Is(err, os.ErrNotExist) && (swapStr == "max" || swapStr == "0")) {
				return err
			}
		}
	}
	if s := numToStr(limit); s != "" {
		if err := tx.Write(dir, "memory.max", s); err != nil {
			return err
		}
	}
	if s := numToStr(val(m.Reservation)); s != "" {
		if err := tx.Write(dir, "memory.low", s); err != nil {
			return err
		}
	}
	//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
	if m.Swappiness != nil || m.DisableOOMKiller != nil || m.Kernel != nil || m.KernelTCP != nil {
		logrus.Debug("cgroup v2: memory swappiness, disableOOMKiller, kernel and kernelTCP have no v2 file; ignored")
	}
	return nil
}

// checkUsage refuses a memory limit at or below the current usage
// (memory.checkBeforeUpdate): on v2 the kernel would not refuse it but
// reclaim and OOM-kill to get there.
func checkUsage(dir string, limit, swap int64) error {
	usage, err := fscommon.ReadUint(dir, "memory.current")
	if err != nil {
		return nil // best effort, as runc
	}
	if swap > 0 && uint64(swap) <= usage {
		return fmt.Errorf("rejecting memory+swap limit %d <= usage %d", swap, usage)
	}
	if limit > 0 && uint64(limit) <= usage {
		return fmt.Errorf("rejecting memory limit %d <= usage %d", limit, usage)
	}
	return nil
}

// setIO writes the weight to io.bfq.weight when BFQ is the scheduler (the
// same 10-1000 scale as v1, and per-device weights), else to io.weight
// converted; and the throttles to io.max. leafWeight has no v2 equivalent.
func setIO(tx *fscommon.Tx, dir string, r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	bfq := fscommon.Exists(dir, "io.bfq.weight")
	if w := val(b.Weight); w != 0 {
		var err error
		if bfq {
			err = tx.Write(dir, "io.bfq.weight", strconv.FormatUint(uint64(w), 10))
		} else {
			err = tx.Write(dir, "io.weight", strconv.FormatUint(BlkioToIOWeight(w), 10))
		}
		if err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight == nil {
			continue
		}
		if !bfq {
			logrus.Debugf("cgroup v2: per-device weight %d:%d needs the BFQ scheduler; ignored", wd.Major, wd.Minor)
			continue
		}
		if err := tx.Write(dir, "io.bfq.weight", fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.Weight)); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice}, {"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice}, {"wiops", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			if err := tx.Write(dir, "io.max", fmt.Sprintf("%d:%d %s=%d", d.Major, d.Minor, t.key, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// setCPU writes cpu.weight (from shares, converted), cpu.max ("quota
// period"; quota -1 is "max"), cpu.max.burst and cpu.idle. Realtime
// runtime and period have no v2 equivalent and are ignored, as by runc.
func setCPU(tx *fscommon.Tx, dir string, r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	if w := SharesToWeight(val(c.Shares)); w != 0 {
		if err := tx.Write(dir, "cpu.weight", strconv.FormatUint(w, 10)); err != nil {
			return err
		}
	}
	quota, period := val(c.Quota), val(c.Period)
	// A larger burst than the current quota allows fails (EINVAL) until the
	// new quota is in: then retry after it, as runc does.
	burstLater := false
	if c.Burst != nil {
		if err := tx.Write(dir, "cpu.max.burst", strconv.FormatUint(*c.Burst, 10)); err != nil {
			if quota == 0 || !errors.Is(err, unix.EINVAL) {
				return err
			}
			burstLater = true
		}
	}
	if quota != 0 || period != 0 {
		s := "max"
		if quota > 0 {
			s = strconv.FormatInt(quota, 10)
		}
		if period != 0 {
			s += " " + strconv.FormatUint(period, 10)
		}
		if err := tx.Write(dir, "cpu.max", s); err != nil {
			return err
		}
	}
	if burstLater {
		if err := tx.Write(dir, "cpu.max.burst", strconv.FormatUint(*c.Burst, 10)); err != nil {
			return err
		}
	}
	if c.Idle != nil {
		if err := tx.Write(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	if val(c.RealtimeRuntime) != 0 || val(c.RealtimePeriod) != 0 {
		logrus.Debug("cgroup v2 has no realtime group scheduling: cpu realtimeRuntime/realtimePeriod ignored")
	}
	return nil
}

func setCpuset(tx *fscommon.Tx, dir string, r *specs.LinuxResources) error {
	if r.CPU == nil {
		return nil
	}
	if r.CPU.Cpus != "" {
		if err := tx.Write(dir, "cpuset.cpus", r.CPU.Cpus); err != nil {
			return err
		}
	}
	if r.CPU.Mems != "" {
		if err := tx.Write(dir, "cpuset.mems", r.CPU.Mems); err != nil {
			return err
		}
	}
	return nil
}

// SetHugetlb writes hugetlb.<size>.max and, where the kernel has it (5.11),
// hugetlb.<size>.rsvd.max, the limit on reservations.
func SetHugetlb(tx *fscommon.Tx, dir string, limits []specs.LinuxHugepageLimit) error {
	for _, l := range limits {
		v := strconv.FormatUint(l.Limit, 10)
		if err := tx.Write(dir, "hugetlb."+l.Pagesize+".max", v); err != nil {
			return err
		}
		if err := tx.Write(dir, "hugetlb."+l.Pagesize+".rsvd.max", v); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func checkHugePages(sizesDir string, limits []specs.LinuxHugepageLimit) error {
	if len(limits) == 0 {
		return nil
	}
	if sizesDir == "" {
		sizesDir = fscommon.HugePageSizesDir
	}
	have, err := fscommon.HugePageSizes(sizesDir)
	if err != nil {
		return fmt.Errorf("hugepageLimits: list the host's huge page sizes: %w", err)
	}
	var want []string
	for _, l := range limits {
		want = append(want, l.Pagesize)
	}
	return fscommon.CheckPageSizes(want, have)
}

// SetRdma writes one rdma.max line per device, "DEVICE hca_handle=N
// hca_object=M" (v1 and v2 share the format).
func SetRdma(tx *fscommon.Tx, dir string, rdma map[string]specs.LinuxRdma) error {
	names := make([]string, 0, len(rdma))
	for n := range rdma {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := rdma[n]
		line := n
		if e.HcaHandles != nil {
			line += " hca_handle=" + strconv.FormatUint(uint64(*e.HcaHandles), 10)
		}
		if e.HcaObjects != nil {
			line += " hca_object=" + strconv.FormatUint(uint64(*e.HcaObjects), 10)
		}
		if line == n {
			continue
		}
		if err := tx.Write(dir, "rdma.max", line); err != nil {
			return err
		}
	}
	return nil
}

// CheckUnified checks linux.resources.unified for dir's cgroup: each key
// valid (fscommon.ValidateUnifiedKey) and, but for cgroup.* files, its
// controller enabled there. dir's parent says what is enabled when dir does
// not exist yet.
func CheckUnified(dir string, u map[string]string) error {
	if len(u) == 0 {
		return nil
	}
	enabled := Controllers(dir)
	if _, err := os.Stat(dir); err != nil {
		enabled = map[string]bool{}
		for _, c := range strings.Fields(readOr(dirOf(dir), "cgroup.subtree_control")) {
			enabled[c] = true
		}
	}
	for _, k := range sortedKeys(u) {
		if err := fscommon.ValidateUnifiedKey(k); err != nil {
			return err
		}
		ctrl, _, _ := strings.Cut(k, ".")
		if ctrl != "cgroup" && !enabled[ctrl] {
			return fmt.Errorf("unified resource %q can't be set: controller %q not available", k, ctrl)
		}
	}
	return nil
}

// SetUnified writes linux.resources.unified, each value as it is (one
// write per line, for files like io.max that take one entry a write).
func SetUnified(tx *fscommon.Tx, dir string, u map[string]string) error {
	for _, k := range sortedKeys(u) {
		for _, line := range strings.Split(strings.TrimSpace(u[k]), "\n") {
			if err := tx.Write(dir, k, line); err != nil {
				return fmt.Errorf("unable to set unified resource %q: %w", k, err)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readOr(dir, file string) string {
	s, _ := fscommon.Read(dir, file)
	return s
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}
