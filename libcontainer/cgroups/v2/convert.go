package v2

import (
	"errors"
	"fmt"
	"strconv"
)

// The conversions below are runc's, so that a config gives the same cgroup
// v2 values under rt as under runc (libcontainer/cgroups/utils.go).

// SharesToWeight maps cpu.shares [2, 262144] onto cpu.weight [1, 10000]
// linearly: 2 → 1, 1024 → 39, 262144 → 10000. 0 means unset.
func SharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	return 1 + ((shares-2)*9999)/262142
}

// BlkioToIOWeight maps blkio.weight [10, 1000] onto io.weight [1, 10000].
// 0 means unset.
func BlkioToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (uint64(w)-10)*9999/990
}

// SwapMax converts the config's memory+swap limit to memory.swap.max,
// which counts swap alone: swap - limit. 0 means unset and -1 unlimited, in
// and out; a limit of -1 with no swap means both unlimited (as on v1).
func SwapMax(swap, limit int64) (int64, error) {
	if limit == -1 && swap == 0 {
		return -1, nil
	}
	if swap == -1 || swap == 0 {
		return swap, nil
	}
	if limit == 0 || limit == -1 {
		return 0, errors.New("unable to set swap limit without memory limit")
	}
	if limit < 0 {
		return 0, fmt.Errorf("invalid memory value: %d", limit)
	}
	if swap < limit {
		return 0, errors.New("memory+swap limit should be >= memory limit")
	}
	return swap - limit, nil
}

// numToStr renders a limit: 0 is "" (unset, write nothing), -1 is "max".
func numToStr(v int64) string {
	switch v {
	case 0:
		return ""
	case -1:
		return "max"
	}
	return strconv.FormatInt(v, 10)
}
