package v2

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"rt/libcontainer/cgroups/fscommon"
	"rt/libcontainer/cgroups/stats"
)

// Stats reads the cgroup's counters into runc's stats shape. A controller
// that is not enabled (its files missing) leaves its part empty.
func (m *Manager) Stats() (*stats.Stats, error) {
	st := stats.New()
	var errs []error
	for _, f := range []func(string, *stats.Stats) error{fscommon.StatPids, statMemory, statIO, statCPU} {
		if err := f(m.Dir, st); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	sizesDir := m.HugePageDir
	if sizesDir == "" {
		sizesDir = fscommon.HugePageSizesDir
	}
	if err := HugetlbStats(m.Dir, sizesDir, st); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return st, fscommon.Join(errs...)
}

// statCPU reads cpu.stat, present whether or not the cpu controller is on.
func statCPU(dir string, st *stats.Stats) error {
	kv, err := fscommon.ReadKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	st.CPU.Usage.Total = kv["usage_usec"] * 1000
	st.CPU.Usage.User = kv["user_usec"] * 1000
	st.CPU.Usage.Kernel = kv["system_usec"] * 1000
	st.CPU.Throttling = stats.Throttling{
		Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_usec"] * 1000,
	}
	return nil
}

// statMemory reads memory.{current,max,peak} and memory.stat. Swap is
// reported as memory+swap, as v1 does (runc's conversion).
func statMemory(dir string, st *stats.Stats) error {
	raw, err := fscommon.ReadKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	st.Memory.Raw = raw
	st.Memory.Cache = raw["file"]
	usage, err := memoryEntry(dir, "memory")
	if err != nil {
		return err
	}
	if ev, err := fscommon.ReadKeyValues(dir, "memory.events"); err == nil {
		usage.Failcnt = ev["max"]
	}
	st.Memory.Usage = usage
	swap, err := memoryEntry(dir, "memory.swap")
	if errors.Is(err, os.ErrNotExist) {
		return nil // no swap accounting
	}
	if err != nil {
		return err
	}
	swap.Usage += usage.Usage
	if swap.Limit != math.MaxUint64 && usage.Limit != math.MaxUint64 {
		swap.Limit += usage.Limit
	} else {
		swap.Limit = math.MaxUint64
	}
	swap.Max = 0 // the peak of the sum is not the sum of the peaks
	st.Memory.Swap = swap
	return nil
}

func memoryEntry(dir, prefix string) (stats.MemoryEntry, error) {
	var e stats.MemoryEntry
	var err error
	if e.Usage, err = fscommon.ReadUint(dir, prefix+".current"); err != nil {
		return e, err
	}
	if e.Limit, err = fscommon.ReadUint(dir, prefix+".max"); err != nil {
		return e, err
	}
	e.Max, _ = fscommon.ReadUint(dir, prefix+".peak") // Linux 5.19 (swap: 6.5)
	return e, nil
}

// statIO maps io.stat onto v1's tables, as runc: rbytes/wbytes to
// ioServiceBytesRecursive, rios/wios to ioServicedRecursive.
func statIO(dir string, st *stats.Stats) error {
	f, err := os.Open(filepath.Join(dir, "io.stat"))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		majS, minS, ok := strings.Cut(fields[0], ":")
		major, err1 := strconv.ParseUint(majS, 10, 64)
		minor, err2 := strconv.ParseUint(minS, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			e := stats.BlkioEntry{Major: major, Minor: minor, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				st.Blkio.IoServiceBytesRecursive = append(st.Blkio.IoServiceBytesRecursive, e)
			case "wbytes":
				e.Op = "Write"
				st.Blkio.IoServiceBytesRecursive = append(st.Blkio.IoServiceBytesRecursive, e)
			case "rios":
				e.Op = "Read"
				st.Blkio.IoServicedRecursive = append(st.Blkio.IoServicedRecursive, e)
			case "wios":
				e.Op = "Write"
				st.Blkio.IoServicedRecursive = append(st.Blkio.IoServicedRecursive, e)
			}
		}
	}
	return sc.Err()
}

// HugetlbStats reads hugetlb.<size>.current and the "max" count of
// hugetlb.<size>.events (allocations refused) for each host page size.
func HugetlbStats(dir, sizesDir string, st *stats.Stats) error {
	sizes, err := fscommon.HugePageSizes(sizesDir)
	if err != nil {
		return err
	}
	for _, size := range sizes {
		usage, err := fscommon.ReadUint(dir, "hugetlb."+size+".current")
		if err != nil {
			return err
		}
		fail, _ := fscommon.ReadKey(dir, "hugetlb."+size+".events", "max")
		st.Hugetlb[size] = stats.Hugetlb{Usage: usage, Failcnt: fail}
	}
	return nil
}
