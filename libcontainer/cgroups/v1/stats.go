package v1

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"rt/libcontainer/cgroups/fscommon"
	"rt/libcontainer/cgroups/stats"
	v2 "rt/libcontainer/cgroups/v2"
)

// userHZ is the unit of cpuacct.stat (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

// Stats reads every mounted controller's counters into runc's stats shape.
// A controller not mounted leaves its part empty.
func (m *Manager) Stats() (*stats.Stats, error) {
	st := stats.New()
	var errs []error
	for _, s := range []struct {
		ctrl string
		f    func(string, *stats.Stats) error
	}{
		{"cpu", statThrottling}, {"cpuacct", statCpuacct}, {"cpuset", statCpuset},
		{"memory", statMemory}, {"pids", fscommon.StatPids}, {"blkio", statBlkio}, {"hugetlb", m.statHugetlb},
	} {
		if d := m.Paths[s.ctrl]; d != "" {
			if err := s.f(d, st); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if m.Paths["hugetlb"] == "" && m.Paths[Unified] != "" {
		if err := v2.HugetlbStats(m.Paths[Unified], m.hugePageDir(), st); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return st, fscommon.Join(errs...)
}

func (m *Manager) hugePageDir() string {
	if m.HugePageDir != "" {
		return m.HugePageDir
	}
	return fscommon.HugePageSizesDir
}

func statThrottling(dir string, st *stats.Stats) error {
	kv, err := fscommon.ReadKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	st.CPU.Throttling = stats.Throttling{
		Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_time"],
	}
	return nil
}

// statCpuacct reads the usage in ns (total, per CPU, and per CPU split in
// user and system from cpuacct.usage_all) and user/system from
// cpuacct.stat, in USER_HZ ticks.
func statCpuacct(dir string, st *stats.Stats) error {
	u := &st.CPU.Usage
	var err error
	if u.Total, err = fscommon.ReadUint(dir, "cpuacct.usage"); err != nil {
		return err
	}
	if s, err := fscommon.Read(dir, "cpuacct.usage_percpu"); err == nil {
		for _, f := range strings.Fields(s) {
			n, _ := strconv.ParseUint(f, 10, 64)
			u.Percpu = append(u.Percpu, n)
		}
	}
	if f, err := os.Open(filepath.Join(dir, "cpuacct.usage_all")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() { // "cpu user system", after a header line
			fields := strings.Fields(sc.Text())
			if len(fields) != 3 || fields[0] == "cpu" {
				continue
			}
			user, _ := strconv.ParseUint(fields[1], 10, 64)
			sys, _ := strconv.ParseUint(fields[2], 10, 64)
			u.PercpuUser = append(u.PercpuUser, user)
			u.PercpuKernel = append(u.PercpuKernel, sys)
		}
		f.Close()
	}
	kv, err := fscommon.ReadKeyValues(dir, "cpuacct.stat")
	if err != nil {
		return err
	}
	const nsPerTick = 1e9 / userHZ
	u.User, u.Kernel = kv["user"]*nsPerTick, kv["system"]*nsPerTick
	return nil
}

func statCpuset(dir string, st *stats.Stats) error {
	cs := &st.CPUSet
	if s, err := fscommon.Read(dir, "cpuset.cpus"); err == nil {
		cs.CPUs, _ = fscommon.ParseList(s)
	}
	if s, err := fscommon.Read(dir, "cpuset.mems"); err == nil {
		cs.Mems, _ = fscommon.ParseList(s)
	}
	for _, f := range []struct {
		file string
		dst  *uint64
	}{
		{"cpuset.cpu_exclusive", &cs.CPUExclusive}, {"cpuset.mem_hardwall", &cs.MemHardwall},
		{"cpuset.mem_exclusive", &cs.MemExclusive}, {"cpuset.memory_migrate", &cs.MemoryMigrate},
		{"cpuset.memory_spread_page", &cs.MemorySpreadPage}, {"cpuset.memory_spread_slab", &cs.MemorySpreadSlab},
		{"cpuset.memory_pressure", &cs.MemoryPressure}, {"cpuset.sched_load_balance", &cs.SchedLoadBalance},
	} {
		*f.dst, _ = fscommon.ReadUint(dir, f.file)
	}
	if s, err := fscommon.Read(dir, "cpuset.sched_relax_domain_level"); err == nil {
		cs.SchedRelaxDomainLevel, _ = strconv.ParseInt(s, 10, 64)
	}
	return nil
}

// statMemory reads usage, memory+swap (memsw), kernel and kernel TCP
// counters, and memory.stat as the raw map.
func statMemory(dir string, st *stats.Stats) error {
	raw, err := fscommon.ReadKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	mem := &st.Memory
	mem.Raw, mem.Cache = raw, raw["cache"]
	for _, e := range []struct {
		prefix string
		dst    *stats.MemoryEntry
	}{
		{"memory.", &mem.Usage}, {"memory.memsw.", &mem.Swap},
		{"memory.kmem.", &mem.Kernel}, {"memory.kmem.tcp.", &mem.KernelTCP},
	} {
		if !fscommon.Exists(dir, e.prefix+"usage_in_bytes") {
			continue // no swap accounting, or no kmem files
		}
		e.dst.Usage, _ = fscommon.ReadUint(dir, e.prefix+"usage_in_bytes")
		e.dst.Max, _ = fscommon.ReadUint(dir, e.prefix+"max_usage_in_bytes")
		e.dst.Failcnt, _ = fscommon.ReadUint(dir, e.prefix+"failcnt")
		e.dst.Limit, _ = fscommon.ReadUint(dir, e.prefix+"limit_in_bytes")
	}
	return nil
}

// statBlkio reads the CFQ tables where they exist, else the BFQ ones, else
// the throttle ones (which every kernel has), as runc does.
func statBlkio(dir string, st *stats.Stats) error {
	b := &st.Blkio
	tables := []struct {
		file string
		dst  *[]stats.BlkioEntry
	}{
		{"blkio.io_service_bytes_recursive", &b.IoServiceBytesRecursive},
		{"blkio.io_serviced_recursive", &b.IoServicedRecursive},
		{"blkio.io_queued_recursive", &b.IoQueuedRecursive},
		{"blkio.io_service_time_recursive", &b.IoServiceTimeRecursive},
		{"blkio.io_wait_time_recursive", &b.IoWaitTimeRecursive},
		{"blkio.io_merged_recursive", &b.IoMergedRecursive},
		{"blkio.time_recursive", &b.IoTimeRecursive},
		{"blkio.sectors_recursive", &b.SectorsRecursive},
	}
	prefix := "blkio."
	switch {
	case fscommon.Exists(dir, "blkio.io_serviced_recursive"):
	case fscommon.Exists(dir, "blkio.bfq.io_serviced_recursive"):
		prefix = "blkio.bfq."
	default:
		prefix = "blkio.throttle."
		tables = tables[:2]
	}
	for _, t := range tables {
		entries, err := readBlkioTable(dir, prefix+strings.TrimPrefix(t.file, "blkio."))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		*t.dst = entries
	}
	return nil
}

// readBlkioTable parses "MAJ:MIN Op value" lines (or "MAJ:MIN value");
// the "Total" line is skipped.
func readBlkioTable(dir, file string) ([]stats.BlkioEntry, error) {
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []stats.BlkioEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] == "Total" {
			continue
		}
		majS, minS, ok := strings.Cut(fields[0], ":")
		if !ok {
			continue
		}
		var e stats.BlkioEntry
		e.Major, _ = strconv.ParseUint(majS, 10, 64)
		e.Minor, _ = strconv.ParseUint(minS, 10, 64)
		if len(fields) == 3 {
			e.Op = fields[1]
		}
		e.Value, _ = strconv.ParseUint(fields[len(fields)-1], 10, 64)
		out = append(out, e)
	}
	return out, sc.Err()
}

func (m *Manager) statHugetlb(dir string, st *stats.Stats) error {
	sizes, err := fscommon.HugePageSizes(m.hugePageDir())
	if err != nil {
		return err
	}
	for _, size := range sizes {
		var h stats.Hugetlb
		p := "hugetlb." + size + "."
		if h.Usage, err = fscommon.ReadUint(dir, p+"usage_in_bytes"); err != nil {
			return err
		}
		h.Max, _ = fscommon.ReadUint(dir, p+"max_usage_in_bytes")
		h.Failcnt, _ = fscommon.ReadUint(dir, p+"failcnt")
		st.Hugetlb[size] = h
	}
	return nil
}
