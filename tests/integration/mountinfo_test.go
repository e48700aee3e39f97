package integration

import (
	"strconv"
	"strings"
)

// mountEntry is one line of /proc/PID/mountinfo.
type mountEntry struct {
	Root     string
	Point    string
	Opts     []string // per-mount options (field 6)
	Optional []string // shared:N, master:N, propagate_from:N, unbindable
	FSType   string
	Source   string
	Super    []string // per-superblock options
}

func (m mountEntry) hasOpt(o string) bool {
	for _, x := range m.Opts {
		if x == o {
			return true
		}
	}
	return false
}

func (m mountEntry) hasSuper(prefix string) bool {
	for _, x := range m.Super {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}

// propagation returns "shared", "slave", "unbindable" or "private".
func (m mountEntry) propagation() string {
	for _, o := range m.Optional {
		switch {
		case strings.HasPrefix(o, "master:"):
			return "slave"
		case o == "unbindable":
			return "unbindable"
		}
	}
	for _, o := range m.Optional {
		if strings.HasPrefix(o, "shared:") {
			return "shared"
		}
	}
	return "private"
}

func parseMountinfo(s string) []mountEntry {
	var out []mountEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 > len(f) {
			continue
		}
		e := mountEntry{
			Root:     unescapeMount(f[3]),
			Point:    unescapeMount(f[4]),
			Opts:     strings.Split(f[5], ","),
			Optional: f[6:sep],
			FSType:   f[sep+1],
			Source:   unescapeMount(f[sep+2]),
		}
		if sep+3 < len(f) {
			e.Super = strings.Split(f[sep+3], ",")
		}
		out = append(out, e)
	}
	return out
}

// findMount returns the last (top-most) mount at point.
func findMount(entries []mountEntry, point string) (mountEntry, bool) {
	var found mountEntry
	ok := false
	for _, e := range entries {
		if e.Point == point {
			found, ok = e, true
		}
	}
	return found, ok
}

// unescapeMount undoes the kernel's octal escapes (\040 for space...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
