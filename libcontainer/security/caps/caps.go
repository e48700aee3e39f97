// Package caps owns Linux capabilities for the container's process: the
// table of capability names, the parsing of the five OCI sets
// (process.capabilities) into masks, and their application in the init
// (bounding set, then effective/permitted/inheritable, then ambient).
//
// Parsing is strict about names and lenient about the host: a name that is
// not a capability (CAP_TEST) is an error, so `create` fails fast (runc and
// crun wrongly accept it); a real capability that this kernel or this
// process cannot grant (beyond cap_last_cap, or absent from the runtime's
// own bounding set) is dropped with a warning, so the container still
// starts, with what the host can give.
//
// Capabilities are per-thread state. ApplyBounding and Apply change the
// calling thread only, so the init must call them from the thread that is
// locked with runtime.LockOSThread and that finally calls syscall.Exec.
// This package must never change uids or gids (package process does), nor
// keep state between calls: a *Set is a value computed once by Parse.
package caps

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// Set is the five capability sets of a container's process, as masks, after
// unknown names were refused and unavailable capabilities dropped. Fields
// are exported for inspection (logs, tests, `rt exec` reporting); build a
// Set with Parse or ParseFor so that its invariants hold:
//
//	Effective ⊆ Permitted
//	Inheritable ⊆ Bounding
//	Ambient ⊆ Permitted ∩ Inheritable
//
// A nil *Set stands for a config without process.capabilities: the init
// leaves capabilities as they are (as runc does) and its methods do
// nothing.
type Set struct {
	Bounding    Mask
	Effective   Mask
	Permitted   Mask
	Inheritable Mask
	Ambient     Mask
}

// Host is what the running kernel and process can grant: the seam that lets
// ParseFor be tested without root and with any host.
type Host struct {
	// LastCap is the highest capability number the kernel knows
	// (the value of /proc/sys/kernel/cap_last_cap).
	LastCap int
	// Bounding is the calling thread's bounding set. A capability outside
	// it can never be raised again, by capset or by an execve.
	Bounding Mask
}

// Parse turns process.capabilities into a Set for this host (see
// CurrentHost), logging a warning for each capability it had to drop.
// c == nil gives a nil Set (leave capabilities alone).
func Parse(c *specs.LinuxCapabilities) (*Set, error) {
	if c == nil {
		return nil, nil
	}
	h, err := CurrentHost()
	if err != nil {
		return nil, err
	}
	s, warnings, err := ParseFor(c, h)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		logrus.Warn(w)
	}
	return s, nil
}

// ParseFor is Parse against a given Host. It returns the warnings instead
// of logging them. The rules, in order:
//
//  1. every name must be in the table (else an error wrapping ErrUnknown);
//  2. a capability above h.LastCap or outside h.Bounding is dropped from
//     all five sets, with one warning naming the sets it was in;
//  3. an effective capability must be permitted, and an inheritable one
//     must be in the bounding list: capset(2) refuses anything else, so
//     these are config errors, reported here rather than at `start`;
//  4. an ambient capability must be both permitted and inheritable (the
//     kernel's rule for PR_CAP_AMBIENT_RAISE): else it is dropped from the
//     ambient set, without a warning (runc's default config does this).
func ParseFor(c *specs.LinuxCapabilities, h Host) (*Set, []string, error) {
	if c == nil {
		return nil, nil, nil
	}
	type field struct {
		name string
		list []string
		mask *Mask
	}
	s := &Set{}
	fields := []field{
		{"bounding", c.Bounding, &s.Bounding},
		{"effective", c.Effective, &s.Effective},
		{"permitted", c.Permitted, &s.Permitted},
		{"inheritable", c.Inheritable, &s.Inheritable},
		{"ambient", c.Ambient, &s.Ambient},
	}
	var all Mask
	for _, f := range fields {
		m, err := maskOf(f.list)
		if err != nil {
			return nil, nil, err
		}
		*f.mask = m
		all |= m
	}

	// Rule 2: what this host cannot grant.
	var warnings []string
	for cp := 0; cp < 64; cp++ {
		if !all.Has(cp) {
			continue
		}
		var why string
		switch {
		case cp > h.LastCap:
			why = fmt.Sprintf("is not known to this kernel (cap_last_cap is %d)", h.LastCap)
		case !h.Bounding.Has(cp):
			why = "is not in the runtime's bounding set"
		default:
			continue
		}
		var in []string
		for _, f := range fields {
			if f.mask.Has(cp) {
				in = append(in, f.name)
				*f.mask &^= 1 << uint(cp)
			}
		}
		warnings = append(warnings, fmt.Sprintf("capability %s %s: dropped from the %s set(s)",
			Name(cp), why, strings.Join(in, ", ")))
	}

	// Rule 3: what capset(2) would refuse.
	if extra := s.Effective &^ s.Permitted; extra != 0 {
		return nil, nil, fmt.Errorf("capabilities %s are effective but not permitted", joinNames(extra))
	}
	if extra := s.Inheritable &^ s.Bounding; extra != 0 {
		return nil, nil, fmt.Errorf("capabilities %s are inheritable but not in the bounding set", joinNames(extra))
	}

	// Rule 4: what PR_CAP_AMBIENT_RAISE would refuse. Silently: runc's
	// own default config lists ambient caps without inheritable ones, and
	// a warning on every such container would only be noise.
	s.Ambient &= s.Permitted & s.Inheritable
	return s, warnings, nil
}
