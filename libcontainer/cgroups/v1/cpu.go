package v1

import (
	"errors"
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups/fscommon"
)

// setCPU writes the cpu controller's files in the order runc found the
// kernel accepts: shares; the CFS period, burst and quota, where a new
// period or burst that does not fit the old quota (EINVAL) is retried once
// the new quota is in; cpu.idle; then the realtime period and runtime, the
// same way.
func setCPU(tx *fscommon.Tx, dir string, c *specs.LinuxCPU) error {
	if s := val(c.Shares); s != 0 {
		if err := tx.Write(dir, "cpu.shares", strconv.FormatUint(s, 10)); err != nil {
			return err
		}
		// The kernel clamps instead of refusing: read back.
		got, err := fscommon.ReadUint(dir, "cpu.shares")
		if err != nil {
			return err
		}
		if got != s {
			return fmt.Errorf("cpu.shares %d out of the kernel's range (it set %d)", s, got)
		}
	}
	quota := val(c.Quota)
	retry, err := writeOrDefer(tx, dir, "cpu.cfs_period_us", c.Period, quota != 0)
	if err != nil {
		return err
	}
	var burstLater bool
	if c.Burst != nil {
		err := tx.Write(dir, "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10))
		switch {
		case err == nil:
		case errors.Is(err, unix.EINVAL) && quota != 0:
			burstLater = true
		default:
			return err
		}
	}
	if quota != 0 {
		if err := tx.Write(dir, "cpu.cfs_quota_us", strconv.FormatInt(quota, 10)); err != nil {
			return err
		}
		if retry {
			if err := tx.Write(dir, "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10)); err != nil {
				return err
			}
		}
		if burstLater {
			if err := tx.Write(dir, "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10)); err != nil {
				return err
			}
		}
	}
	if c.Idle != nil {
		if err := tx.Write(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	runtime := val(c.RealtimeRuntime)
	retry, err = writeOrDefer(tx, dir, "cpu.rt_period_us", c.RealtimePeriod, runtime != 0)
	if err != nil {
		return err
	}
	if runtime != 0 {
		if err := tx.Write(dir, "cpu.rt_runtime_us", strconv.FormatInt(runtime, 10)); err != nil {
			return err
		}
		if retry {
			return tx.Write(dir, "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10))
		}
	}
	return nil
}

// writeOrDefer writes a period (if set and non-zero); an EINVAL while its
// partner value is about to be written too is deferred (retry true).
func writeOrDefer(tx *fscommon.Tx, dir, file string, v *uint64, partnerComing bool) (retry bool, err error) {
	if val(v) == 0 {
		return false, nil
	}
	err = tx.Write(dir, file, strconv.FormatUint(*v, 10))
	if err != nil && errors.Is(err, unix.EINVAL) && partnerComing {
		return true, nil
	}
	return false, err
}
