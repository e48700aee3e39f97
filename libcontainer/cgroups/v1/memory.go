package v1

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups/fscommon"
)

const (
	limitFile = "memory.limit_in_bytes"
	memswFile = "memory.memsw.limit_in_bytes"
)

// setMemory writes the memory controller's files, with runc's semantics:
// swap is memory+swap (memory.memsw.limit_in_bytes), a limit of -1 without
// a swap means both unlimited, and the limit and memsw are written in the
// order the kernel accepts (it wants memsw >= limit at every step).
// Kernel memory limits are written where the kernel has the files (it may
// accept and ignore them, as 6.x does with memory.kmem.limit_in_bytes).
func setMemory(tx *fscommon.Tx, dir string, m *specs.LinuxMemory) error {
	limit, swap := val(m.Limit), val(m.Swap)
	if limit == -1 && swap == 0 && fscommon.Exists(dir, memswFile) {
		swap = -1
	}
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate {
		if err := checkUsage(dir, limit, swap); err != nil {
			return err
		}
	}
	swapFirst := false
	if limit != 0 && swap != 0 {
		cur, err := fscommon.ReadUint(dir, limitFile)
		if err != nil {
			return err
		}
		swapFirst = swap == -1 || cur < uint64(swap)
	}
	if swapFirst {
		if err := setSwap(tx, dir, swap); err != nil {
			return err
		}
	}
	if err := setLimit(tx, dir, limit); err != nil {
		return err
	}
	if !swapFirst {
		if err := setSwap(tx, dir, swap); err != nil {
			return err
		}
	}
	//lint:ignore SA1019 kernel memory limits are still honoured where the kernel has them
	kernel := m.Kernel
	for _, k := range []struct {
		v    *int64
		file string
	}{{kernel, "memory.kmem.limit_in_bytes"}, {m.KernelTCP, "memory.kmem.tcp.limit_in_bytes"}} {
		if val(k.v) == 0 {
			continue
		}
		if !fscommon.Exists(dir, k.file) {
			logrus.Debugf("cgroup %s: no %s in this kernel; kernel memory limit ignored", dir, k.file)
			continue
		}
		if err := tx.Write(dir, k.file, strconv.FormatInt(*k.v, 10)); err != nil {
			return err
		}
	}
	if r := val(m.Reservation); r != 0 {
		if err := tx.Write(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(r, 10)); err != nil {
			return err
		}
	}
	if m.DisableOOMKiller != nil {
		v := "0"
		if *m.DisableOOMKiller {
			v = "1"
		}
		if err := tx.Write(dir, "memory.oom_control", v); err != nil {
			return err
		}
	}
	if s := m.Swappiness; s != nil && *s != math.MaxUint64 { // -1: unset (runc)
		if err := tx.Write(dir, "memory.swappiness", strconv.FormatUint(*s, 10)); err != nil {
			return err
		}
	}
	return nil
}

// setLimit writes memory.limit_in_bytes. The kernel refuses (EBUSY) a limit
// it cannot reclaim down to: say so with the usage, as runc does.
func setLimit(tx *fscommon.Tx, dir string, limit int64) error {
	if limit == 0 {
		return nil
	}
	err := tx.Write(dir, limitFile, strconv.FormatInt(limit, 10))
	if !errors.Is(err, unix.EBUSY) {
		return err
	}
	usage, _ := fscommon.ReadUint(dir, "memory.usage_in_bytes")
	peak, _ := fscommon.ReadUint(dir, "memory.max_usage_in_bytes")
	return fmt.Errorf("unable to set memory limit to %d (current usage: %d, peak usage: %d): %w", limit, usage, peak, err)
}

func setSwap(tx *fscommon.Tx, dir string, swap int64) error {
	if swap == 0 {
		return nil
	}
	return tx.Write(dir, memswFile, strconv.FormatInt(swap, 10))
}

// checkUsage refuses limits at or below the current usage
// (memory.checkBeforeUpdate) instead of letting the kernel reclaim.
func checkUsage(dir string, limit, swap int64) error {
	usage, err := fscommon.ReadUint(dir, "memory.usage_in_bytes")
	if err != nil {
		return nil // best effort, as runc
	}
	if limit > 0 && uint64(limit) <= usage {
		return fmt.Errorf("rejecting memory limit %d <= usage %d", limit, usage)
	}
	if sw, err := fscommon.ReadUint(dir, "memory.memsw.usage_in_bytes"); err == nil && swap > 0 && uint64(swap) <= sw {
		return fmt.Errorf("rejecting memory+swap limit %d <= usage %d", swap, sw)
	}
	return nil
}

func val[T int64 | uint64](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}
