package process

import (
	"fmt"
	"strconv"
)

// SetOOMScoreAdj writes process.oomScoreAdj to /proc/self/oom_score_adj
// (a per-process value, inherited by children and kept across exec). A
// value below the process's oom_score_adj_min (inherited; 0 unless a
// process with CAP_SYS_RESOURCE wrote a lower one) needs CAP_SYS_RESOURCE,
// which this package's tests find missing on hosts like the project's VM.
//
// Call it before SwitchUser: once the uid changed the process is not
// dumpable, /proc/self belongs to root, and the write fails with EACCES.
func SetOOMScoreAdj(score int) error {
	if score < -1000 || score > 1000 {
		return fmt.Errorf("oom_score_adj %d is out of range [-1000, 1000]", score)
	}
	if err := writeProcFile("/proc/self/oom_score_adj", strconv.Itoa(score)); err != nil {
		return fmt.Errorf("set oom_score_adj to %d: %w", score, err)
	}
	return nil
}
