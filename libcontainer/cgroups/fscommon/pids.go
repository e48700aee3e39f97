package fscommon

import (
	"math"

	"rt/libcontainer/cgroups/stats"
)

// StatPids reads pids.current and pids.max, the same files in v1 and v2.
func StatPids(dir string, st *stats.Stats) error {
	cur, err := ReadUint(dir, "pids.current")
	if err != nil {
		return err
	}
	limit, err := ReadUint(dir, "pids.max")
	if err != nil {
		return err
	}
	if limit == math.MaxUint64 {
		limit = 0 // "max": no limit, as runc reports it
	}
	st.Pids = stats.Pids{Current: cur, Limit: limit}
	return nil
}
