// Package signals converts signal names and numbers as `kill` accepts them
// (9, KILL, SIGKILL, sigkill) into unix.Signal.
package signals

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Parse accepts a number, a name or a SIG name, case-insensitively.
func Parse(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	// Real-time signals: SIGRTMIN+n, SIGRTMAX-n.
	if rest, ok := strings.CutPrefix(name, "SIGRTMIN"); ok {
		return rt(34, rest, 1, s)
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMAX"); ok {
		return rt(64, rest, -1, s)
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

func rt(base int, rest string, dir int, orig string) (unix.Signal, error) {
	off := 0
	if rest != "" {
		n, err := strconv.Atoi(strings.TrimLeft(rest, "+-"))
		if err != nil || (dir > 0 && rest[0] != '+') || (dir < 0 && rest[0] != '-') {
			return 0, fmt.Errorf("unknown signal %q", orig)
		}
		off = n
	}
	n := base + dir*off
	if n < 34 || n > 64 {
		return 0, fmt.Errorf("unknown signal %q", orig)
	}
	return unix.Signal(n), nil
}
