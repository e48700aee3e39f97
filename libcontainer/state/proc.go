package state

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// ProcStart returns the start time (clock ticks since boot) and the state
// letter of pid from /proc/<pid>/stat.
func ProcStart(pid int) (start uint64, state byte, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// comm may hold spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := bytes.Fields(data[i+2:])
	// f[0] is field 3 (state); start time is field 22.
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat start time: %w", pid, err)
	}
	return start, f[0][0], nil
}

// InitAlive tells whether the container's init still runs (not a zombie,
// and not another process that reused its pid).
func (st *State) InitAlive() bool {
	if st.InitPid <= 0 {
		return false
	}
	start, s, err := ProcStart(st.InitPid)
	return err == nil && start == st.InitStart && s != 'Z' && s != 'X'
}
