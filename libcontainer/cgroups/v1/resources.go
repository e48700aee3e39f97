package v1

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"rt/libcontainer/cgroups/devices"
	"rt/libcontainer/cgroups/fscommon"
	v2 "rt/libcontainer/cgroups/v2"
)

// plan is a checked set of resources, ready to be written.
type plan struct {
	m       *Manager
	r       *specs.LinuxResources
	devices *devices.Set // nil: leave the device rules alone
	// hugetlbV2 is the cgroup2 directory hugetlb limits go to on a hybrid
	// host whose v1 hierarchies lack hugetlb; "" otherwise.
	hugetlbV2 string
}

// plan checks r against what the host has, before anything is written: a
// resource whose controller is not mounted is an error (as with runc: the
// config asked for a limit rt cannot apply), naming the controller.
func (m *Manager) plan(r *specs.LinuxResources, withDevices bool) (*plan, error) {
	if err := fscommon.Validate(r); err != nil {
		return nil, err
	}
	p := &plan{m: m, r: r}
	need := func(ctrl, what string, asked bool) error {
		if asked && m.Paths[ctrl] == "" {
			return fmt.Errorf("cannot set %s: the %s cgroup controller is not mounted", what, ctrl)
		}
		return nil
	}
	c := r.CPU
	errs := []error{
		need("memory", "memory limits", memoryAsked(r.Memory)),
		need("cpu", "cpu limits", c != nil && (c.Shares != nil || c.Quota != nil || c.Period != nil ||
			c.Burst != nil || c.Idle != nil || c.RealtimeRuntime != nil || c.RealtimePeriod != nil)),
		need("cpuset", "cpu cpus/mems", c != nil && (c.Cpus != "" || c.Mems != "")),
		need("pids", "pids limit", r.Pids != nil && r.Pids.Limit != nil),
		need("blkio", "blockIO limits", blkioAsked(r.BlockIO)),
		need("net_cls", "network classID", r.Network != nil && r.Network.ClassID != nil),
		need("net_prio", "network priorities", r.Network != nil && len(r.Network.Priorities) > 0),
		need("rdma", "rdma limits", len(r.Rdma) > 0),
	}
	if err := fscommon.Join(errs...); err != nil {
		return nil, err
	}
	if len(r.HugepageLimits) > 0 {
		if err := p.checkHugetlb(); err != nil {
			return nil, err
		}
	}
	if len(r.Unified) > 0 {
		u := m.Paths[Unified]
		if u == "" {
			return nil, errors.New("invalid configuration: cannot use unified on cgroup v1")
		}
		if err := v2.CheckUnified(u, r.Unified); err != nil {
			return nil, err
		}
	}
	if withDevices && (m.Paths["devices"] != "" || len(r.Devices) > 0) {
		if err := need("devices", "device rules", true); err != nil {
			return nil, err
		}
		rules, err := devices.FromSpec(r.Devices)
		if err != nil {
			return nil, err
		}
		if p.devices, err = devices.Emulate(rules); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func blkioAsked(b *specs.LinuxBlockIO) bool {
	return b != nil && ((b.Weight != nil && *b.Weight != 0) || (b.LeafWeight != nil && *b.LeafWeight != 0) ||
		len(b.WeightDevice) > 0 || len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0)
}

func memoryAsked(m *specs.LinuxMemory) bool {
	//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
	return m != nil && (m.Limit != nil || m.Reservation != nil || m.Swap != nil || m.Kernel != nil ||
		m.KernelTCP != nil || m.Swappiness != nil || m.DisableOOMKiller != nil)
}

// checkHugetlb finds where hugetlb limits go and checks the page sizes.
func (p *plan) checkHugetlb() error {
	if p.m.Paths["hugetlb"] == "" {
		u := p.m.Paths[Unified]
		if u == "" || !v2.Controllers(p.m.mountOf(u))["hugetlb"] {
			return errors.New("cannot set hugepage limits: no hugetlb cgroup controller (v1 or on the cgroup2 mount)")
		}
		p.hugetlbV2 = u
	}
	dir := p.m.HugePageDir
	if dir == "" {
		dir = fscommon.HugePageSizesDir
	}
	have, err := fscommon.HugePageSizes(dir)
	if err != nil {
		return fmt.Errorf("hugepageLimits: list the host's huge page sizes: %w", err)
	}
	var want []string
	for _, l := range p.r.HugepageLimits {
		want = append(want, l.Pagesize)
	}
	return fscommon.CheckPageSizes(want, have)
}

// run writes the resources, controller by controller in runc's order:
// cpuset, devices, memory, cpu, pids, blkio, hugetlb, net_cls, net_prio,
// rdma, then the hybrid host's unified files.
func (p *plan) run(tx *fscommon.Tx) error {
	m, r := p.m, p.r
	if c := r.CPU; c != nil {
		if err := setCpuset(tx, m.Paths["cpuset"], c); err != nil {
			return err
		}
	}
	if p.devices != nil {
		for _, w := range p.devices.V1Writes() {
			if err := tx.Write(m.Paths["devices"], w.File, w.Line); err != nil {
				return err
			}
		}
	}
	if memoryAsked(r.Memory) {
		if err := setMemory(tx, m.Paths["memory"], r.Memory); err != nil {
			return err
		}
	}
	if c := r.CPU; c != nil && m.Paths["cpu"] != "" {
		if err := setCPU(tx, m.Paths["cpu"], c); err != nil {
			return err
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		if err := tx.Write(m.Paths["pids"], "pids.max", v2.PidsMax(*r.Pids.Limit)); err != nil {
			return err
		}
	}
	if blkioAsked(r.BlockIO) {
		if err := setBlkio(tx, m.Paths["blkio"], r.BlockIO); err != nil {
			return err
		}
	}
	if err := p.setHugetlb(tx); err != nil {
		return err
	}
	if n := r.Network; n != nil {
		if n.ClassID != nil {
			if err := tx.Write(m.Paths["net_cls"], "net_cls.classid", fmt.Sprint(*n.ClassID)); err != nil {
				return err
			}
		}
		for _, pr := range n.Priorities {
			if err := tx.Write(m.Paths["net_prio"], "net_prio.ifpriomap", fmt.Sprintf("%s %d", pr.Name, pr.Priority)); err != nil {
				return err
			}
		}
	}
	if err := v2.SetRdma(tx, m.Paths["rdma"], r.Rdma); err != nil {
		return err
	}
	return v2.SetUnified(tx, m.Paths[Unified], r.Unified)
}

// setHugetlb writes hugetlb.<size>.limit_in_bytes (and the reservation
// limit where the kernel has it), or the v2 files on a hybrid host.
func (p *plan) setHugetlb(tx *fscommon.Tx) error {
	if len(p.r.HugepageLimits) == 0 {
		return nil
	}
	if p.hugetlbV2 != "" {
		return v2.SetHugetlb(tx, p.hugetlbV2, p.r.HugepageLimits)
	}
	dir := p.m.Paths["hugetlb"]
	for _, l := range p.r.HugepageLimits {
		v := fmt.Sprint(l.Limit)
		if err := tx.Write(dir, "hugetlb."+l.Pagesize+".limit_in_bytes", v); err != nil {
			return err
		}
		if fscommon.Exists(dir, "hugetlb."+l.Pagesize+".rsvd.limit_in_bytes") {
			if err := tx.Write(dir, "hugetlb."+l.Pagesize+".rsvd.limit_in_bytes", v); err != nil {
				return err
			}
		}
	}
	return nil
}

// setBlkio writes the weights to blkio.bfq.* when BFQ is the scheduler,
// else to blkio.weight* (CFQ), and the throttles to blkio.throttle.*.
func setBlkio(tx *fscommon.Tx, dir string, b *specs.LinuxBlockIO) error {
	weight, weightDevice := "blkio.weight", "blkio.weight_device"
	if fscommon.Exists(dir, "blkio.bfq.weight") {
		weight, weightDevice = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if b.Weight != nil && *b.Weight != 0 {
		if err := tx.Write(dir, weight, fmt.Sprint(*b.Weight)); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		if err := tx.Write(dir, "blkio.leaf_weight", fmt.Sprint(*b.LeafWeight)); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight != nil {
			if err := tx.Write(dir, weightDevice, fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.Weight)); err != nil {
				return err
			}
		}
		if wd.LeafWeight != nil {
			if err := tx.Write(dir, "blkio.leaf_weight_device", fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.LeafWeight)); err != nil {
				return err
			}
		}
	}
	for _, t := range []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			if err := tx.Write(dir, t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

func setCpuset(tx *fscommon.Tx, dir string, c *specs.LinuxCPU) error {
	if c.Cpus != "" {
		if err := tx.Write(dir, "cpuset.cpus", c.Cpus); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		if err := tx.Write(dir, "cpuset.mems", c.Mems); err != nil {
			return err
		}
	}
	return nil
}
