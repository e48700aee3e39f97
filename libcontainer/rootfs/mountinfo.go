package rootfs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// mountInfo is one line of /proc/self/mountinfo (proc(5)).
type mountInfo struct {
	ID         int
	Parent     int
	Root       string   // the path of the mount's root inside its filesystem
	Mountpoint string   // where it is mounted, relative to the process's root
	Options    string   // per-mount options (rw,nosuid,...)
	Optional   []string // propagation tags: shared:N, master:N, propagate_from:N, unbindable
	FSType     string
	Source     string
	SuperOpts  string // per-superblock options
}

// readMountInfo parses the mount table of the calling process.
func readMountInfo() ([]mountInfo, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	defer f.Close()
	mounts, err := parseMountInfo(f)
	if err != nil {
		return nil, fmt.Errorf("read mount table /proc/self/mountinfo: %w", err)
	}
	return mounts, nil
}

// parseMountInfo parses the mountinfo format:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func parseMountInfo(r io.Reader) ([]mountInfo, error) {
	var out []mountInfo
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 7 || sep < 0 || len(fields) < sep+3 {
			return nil, fmt.Errorf("malformed line %q", line)
		}
		id, err1 := strconv.Atoi(fields[0])
		parent, err2 := strconv.Atoi(fields[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed line %q", line)
		}
		m := mountInfo{
			ID:         id,
			Parent:     parent,
			Root:       unescapeMountInfo(fields[3]),
			Mountpoint: unescapeMountInfo(fields[4]),
			Options:    fields[5],
			Optional:   append([]string(nil), fields[6:sep]...),
			FSType:     fields[sep+1],
			Source:     unescapeMountInfo(fields[sep+2]),
		}
		if len(fields) > sep+3 {
			m.SuperOpts = fields[sep+3]
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// unescapeMountInfo undoes the octal escapes (\040 for a space, ...) the
// kernel writes for space, tab, newline and backslash.
func unescapeMountInfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// propagationOf names the propagation of a mount as findmnt does: "shared",
// "slave", "shared,slave" (both), "unbindable" or "private".
func propagationOf(m mountInfo) string {
	var shared, slave, unbindable bool
	for _, o := range m.Optional {
		switch {
		case strings.HasPrefix(o, "shared:"):
			shared = true
		case strings.HasPrefix(o, "master:"):
			slave = true
		case o == "unbindable":
			unbindable = true
		}
	}
	switch {
	case unbindable:
		return "unbindable"
	case shared && slave:
		return "shared,slave"
	case shared:
		return "shared"
	case slave:
		return "slave"
	}
	return "private"
}
