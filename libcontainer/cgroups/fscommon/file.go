// Package fscommon is what rt's cgroup v1 and v2 drivers share: writing and
// reading cgroup files with errors that name the file and the value, the
// journal (Tx) that puts back what a failed Set changed, parsing of the
// kernel's formats, walking and removing a cgroup tree, and the checks of a
// config's resources that do not depend on the cgroup version. It decides
// nothing about which file a resource goes to: the drivers do.
package fscommon

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Write writes one value to a cgroup file. The file must exist (it is never
// created: a missing file means the kernel lacks the knob). The error names
// the value and the file, and wraps the kernel's errno.
func Write(dir, file, val string) error {
	p := filepath.Join(dir, file)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.WriteString(val)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %q to %s: %w", val, p, err)
	}
	return nil
}

// Read returns a cgroup file's content without surrounding white space.
func Read(dir, file string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, file))
	return strings.TrimSpace(string(data)), err
}

// Exists tells whether dir holds file.
func Exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// ReadUint reads a file holding one unsigned number or "max" (MaxUint64).
func ReadUint(dir, file string) (uint64, error) {
	s, err := Read(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := ParseUint(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
	}
	return v, nil
}

// ParseUint parses a cgroup number: "max" is MaxUint64, and a negative
// number (some v1 files print -1) is 0, as runc reads them.
func ParseUint(s string) (uint64, error) {
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if n, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && n < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("parse %q as a number: %w", s, err)
	}
	return v, nil
}

// ReadKeyValues reads a flat keyed file ("key value" lines: memory.stat,
// cpu.stat, memory.events). Lines that do not parse are skipped.
func ReadKeyValues(dir, file string) (map[string]uint64, error) {
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := ParseUint(strings.TrimSpace(v)); err == nil {
			out[k] = n
		}
	}
	return out, sc.Err()
}

// ReadKey returns one key of a flat keyed file.
func ReadKey(dir, file, key string) (uint64, error) {
	kv, err := ReadKeyValues(dir, file)
	if err != nil {
		return 0, err
	}
	v, ok := kv[key]
	if !ok {
		return 0, fmt.Errorf("%s has no %q", filepath.Join(dir, file), key)
	}
	return v, nil
}

// ParseList parses a cpuset list ("0-3,5") into its members.
func ParseList(s string) ([]uint16, error) {
	var out []uint16
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid list %q: %q is not a number", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("invalid list %q: bad range %q", s, part)
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, uint16(i))
		}
	}
	return out, nil
}

// Join combines errors into one whose message stays on one line (rt's
// errors are one log line): messages joined by "; ". errors.Is and As see
// every error joined. Nil errors are dropped; no error gives nil.
func Join(errs ...error) error {
	var keep []error
	for _, e := range errs {
		if e != nil {
			keep = append(keep, e)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return joined(keep)
}

type joined []error

func (j joined) Error() string {
	msgs := make([]string, len(j))
	for i, e := range j {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

func (j joined) Unwrap() []error { return j }
