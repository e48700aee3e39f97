package fscommon

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Validate checks what can be checked of resources without the kernel and
// whatever the cgroup version, so that a bad config or update is refused
// before any file is written. The texts follow runc's where it has one.
func Validate(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(validateMemory(r.Memory))
	add(validateCPU(r.CPU))
	add(validateBlockIO(r.BlockIO))
	for _, h := range r.HugepageLimits {
		if !pageSizeRe.MatchString(h.Pagesize) {
			add(fmt.Errorf("invalid hugepage size %q (want e.g. 2MB or 1GB)", h.Pagesize))
		}
	}
	if r.Network != nil {
		for _, p := range r.Network.Priorities {
			if p.Name == "" || strings.ContainsAny(p.Name, " \n/") {
				add(fmt.Errorf("invalid network priority interface name %q", p.Name))
			}
		}
	}
	for k := range r.Unified {
		add(ValidateUnifiedKey(k))
	}
	return Join(errs...)
}

var pageSizeRe = regexp.MustCompile(`^[1-9][0-9]*(KB|MB|GB)$`)

func validateMemory(m *specs.LinuxMemory) error {
	if m == nil {
		return nil
	}
	//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
	kernel := m.Kernel
	for _, f := range []struct {
		name string
		v    *int64
	}{{"limit", m.Limit}, {"reservation", m.Reservation}, {"swap", m.Swap}, {"kernel", kernel}, {"kernelTCP", m.KernelTCP}} {
		if f.v != nil && *f.v < -1 {
			return fmt.Errorf("invalid memory %s %d: want a byte count, or -1 for unlimited", f.name, *f.v)
		}
	}
	// runc takes -1 (as uint64) for "not set".
	if s := m.Swappiness; s != nil && *s != math.MaxUint64 && *s > 100 {
		return fmt.Errorf("invalid memory swappiness value: %d (valid range is 0-100)", *s)
	}
	limit, swap := val(m.Limit), val(m.Swap)
	if swap > 0 && limit <= 0 {
		return errors.New("unable to set swap limit without memory limit")
	}
	if swap > 0 && swap < limit {
		return fmt.Errorf("memory+swap limit (%d) should be >= memory limit (%d)", swap, limit)
	}
	return nil
}

// MinShares and MaxShares bound cpu.shares, as the kernel clamps it.
const (
	MinShares = 2
	MaxShares = 262144
)

func validateCPU(c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	if c.Shares != nil && *c.Shares != 0 {
		if *c.Shares < MinShares {
			return fmt.Errorf("the minimum allowed cpu-shares is %d", MinShares)
		}
		if *c.Shares > MaxShares {
			return fmt.Errorf("the maximum allowed cpu-shares is %d", MaxShares)
		}
	}
	if q := val(c.Quota); q < -1 {
		return fmt.Errorf("invalid cpu quota %d: want microseconds, or -1 for unlimited", q)
	}
	if c.Burst != nil && val(c.Quota) > 0 && *c.Burst > uint64(*c.Quota) {
		return fmt.Errorf("cpu burst (%d) must not exceed cpu quota (%d)", *c.Burst, *c.Quota)
	}
	if r := val(c.RealtimeRuntime); r < -1 {
		return fmt.Errorf("invalid cpu realtimeRuntime %d", r)
	}
	if c.Idle != nil && *c.Idle != 0 && *c.Idle != 1 {
		return fmt.Errorf("invalid cpu idle %d: want 0 or 1", *c.Idle)
	}
	if _, err := ParseList(c.Cpus); err != nil {
		return fmt.Errorf("cpu cpus: %w", err)
	}
	if _, err := ParseList(c.Mems); err != nil {
		return fmt.Errorf("cpu mems: %w", err)
	}
	return nil
}

// Block I/O weights, as cgroup v1's blkio.weight takes them.
const (
	MinBlkioWeight = 10
	MaxBlkioWeight = 1000
)

func validateBlockIO(b *specs.LinuxBlockIO) error {
	if b == nil {
		return nil
	}
	check := func(what string, w *uint16) error {
		if w != nil && *w != 0 && (*w < MinBlkioWeight || *w > MaxBlkioWeight) {
			return fmt.Errorf("invalid blockIO %s %d (valid range is %d-%d)", what, *w, MinBlkioWeight, MaxBlkioWeight)
		}
		return nil
	}
	if err := check("weight", b.Weight); err != nil {
		return err
	}
	if err := check("leafWeight", b.LeafWeight); err != nil {
		return err
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight == nil && wd.LeafWeight == nil {
			return fmt.Errorf("blockIO weightDevice %d:%d has neither weight nor leafWeight", wd.Major, wd.Minor)
		}
		if err := check("weightDevice weight", wd.Weight); err != nil {
			return err
		}
		if err := check("weightDevice leafWeight", wd.LeafWeight); err != nil {
			return err
		}
	}
	return nil
}

// unifiedCgroupFiles are the cgroup.* files a config may write: limits on
// the container's own subtree. The others (procs, threads, subtree_control,
// type, freeze, kill) are rt's to manage.
var unifiedCgroupFiles = map[string]bool{
	"cgroup.max.depth": true, "cgroup.max.descendants": true, "cgroup.pressure": true,
}

// ValidateUnifiedKey checks a linux.resources.unified key names a file of
// the container's cgroup: CONTROLLER.PARAMETER, no path, no cgroup.* file
// that rt manages. Whether the controller is enabled is the driver's check.
func ValidateUnifiedKey(k string) error {
	if strings.ContainsAny(k, "/\x00") || k == "." || k == ".." {
		return fmt.Errorf("unified resource %q must be a file name (no slashes)", k)
	}
	ctrl, param, ok := strings.Cut(k, ".")
	if !ok || ctrl == "" || param == "" {
		return fmt.Errorf("unified resource %q must be in the form CONTROLLER.PARAMETER", k)
	}
	if ctrl == "cgroup" && !unifiedCgroupFiles[k] {
		return fmt.Errorf("unified resource %q is not allowed: rt manages the cgroup's %s", k, k)
	}
	return nil
}

func val[T int64 | uint64](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}
