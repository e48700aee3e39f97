package process

import (
	"fmt"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rlimitResource maps an OCI rlimit type to the kernel's resource number.
func rlimitResource(name string) (int, bool) {
	switch name {
	case "RLIMIT_AS":
		return unix.RLIMIT_AS, true
	case "RLIMIT_CORE":
		return unix.RLIMIT_CORE, true
	case "RLIMIT_CPU":
		return unix.RLIMIT_CPU, true
	case "RLIMIT_DATA":
		return unix.RLIMIT_DATA, true
	case "RLIMIT_FSIZE":
		return unix.RLIMIT_FSIZE, true
	case "RLIMIT_LOCKS":
		return unix.RLIMIT_LOCKS, true
	case "RLIMIT_MEMLOCK":
		return unix.RLIMIT_MEMLOCK, true
	case "RLIMIT_MSGQUEUE":
		return unix.RLIMIT_MSGQUEUE, true
	case "RLIMIT_NICE":
		return unix.RLIMIT_NICE, true
	case "RLIMIT_NOFILE":
		return unix.RLIMIT_NOFILE, true
	case "RLIMIT_NPROC":
		return unix.RLIMIT_NPROC, true
	case "RLIMIT_RSS":
		return unix.RLIMIT_RSS, true
	case "RLIMIT_RTPRIO":
		return unix.RLIMIT_RTPRIO, true
	case "RLIMIT_RTTIME":
		return unix.RLIMIT_RTTIME, true
	case "RLIMIT_SIGPENDING":
		return unix.RLIMIT_SIGPENDING, true
	case "RLIMIT_STACK":
		return unix.RLIMIT_STACK, true
	}
	return 0, false
}

// ValidateRlimits checks process.rlimits without applying them: every type
// is known, none is given twice (the spec requires an error), and no soft
// limit is above its hard limit.
func ValidateRlimits(rl []specs.POSIXRlimit) error {
	seen := make(map[string]bool, len(rl))
	for _, r := range rl {
		if _, ok := rlimitResource(r.Type); !ok {
			return fmt.Errorf("unknown rlimit type %q", r.Type)
		}
		if seen[r.Type] {
			return fmt.Errorf("rlimit %s is given more than once", r.Type)
		}
		seen[r.Type] = true
		if r.Hard < r.Soft {
			return fmt.Errorf("rlimit %s: soft limit %d is above hard limit %d", r.Type, r.Soft, r.Hard)
		}
	}
	return nil
}

// SetRlimits applies process.rlimits to the calling process (rlimits are
// per-process and survive the exec).
//
// The Go runtime raised RLIMIT_NOFILE's soft limit at start-up and would
// set its saved original back at syscall.Exec. SetRlimits uses
// syscall.Setrlimit, which makes Go forget that saved value, so what is set
// here is what the container's process gets. When rl does not set
// RLIMIT_NOFILE, the limit is set back to origNofile, the value captured
// before the Go runtime started (nil: leave it, and Go's own restore at
// exec applies).
//
// Raising a hard limit needs CAP_SYS_RESOURCE in the effective set: call
// SetRlimits where the init still has it.
func SetRlimits(rl []specs.POSIXRlimit, origNofile *unix.Rlimit) error {
	if err := ValidateRlimits(rl); err != nil {
		return err
	}
	nofile := false
	for _, r := range rl {
		res, _ := rlimitResource(r.Type)
		nofile = nofile || res == unix.RLIMIT_NOFILE
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return fmt.Errorf("setrlimit %s (soft %d, hard %d): %w", r.Type, r.Soft, r.Hard, err)
		}
	}
	if !nofile && origNofile != nil {
		lim := syscall.Rlimit{Cur: origNofile.Cur, Max: origNofile.Max}
		if err := syscall.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("restore RLIMIT_NOFILE (soft %d, hard %d): %w", lim.Cur, lim.Max, err)
		}
	}
	return nil
}
