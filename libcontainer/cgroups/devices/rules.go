// Package devices turns a config's linux.resources.devices into what the
// kernel takes: the lines of cgroup v1's devices.deny/devices.allow, or, on
// cgroup v2, an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to
// the container's cgroup. Both come from one emulation of cgroup v1's rule
// semantics (Emulate), so a config means the same on either version.
//
// It never decides where the container's cgroup is; the drivers pass it in.
package devices

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Access is a set of device accesses, with the kernel's BPF_DEVCG_ACC_* bits.
type Access uint8

// The access bits.
const (
	Mknod Access = 1
	Read  Access = 2
	Write Access = 4
	All          = Mknod | Read | Write
)

func (a Access) String() string {
	s := ""
	if a&Read != 0 {
		s += "r"
	}
	if a&Write != 0 {
		s += "w"
	}
	if a&Mknod != 0 {
		s += "m"
	}
	return s
}

// ParseAccess parses "rwm" and its subsets.
func ParseAccess(s string) (Access, error) {
	var a Access
	for _, c := range s {
		switch c {
		case 'r':
			a |= Read
		case 'w':
			a |= Write
		case 'm':
			a |= Mknod
		default:
			return 0, fmt.Errorf("invalid device access %q: want letters of \"rwm\"", s)
		}
	}
	if a == 0 {
		return 0, fmt.Errorf("invalid device access %q: empty", s)
	}
	return a, nil
}

// Wildcard is a major or minor number matching any.
const Wildcard = -1

// Rule is one device cgroup rule. Type 'a' (all devices) resets the policy.
type Rule struct {
	Type   byte // 'a', 'b' or 'c'
	Major  int64
	Minor  int64
	Access Access
	Allow  bool
}

// String is the rule as cgroup v1 takes it: "c 1:3 rwm", "b *:* m".
func (r Rule) String() string {
	if r.Type == 'a' {
		return "a"
	}
	num := func(n int64) string {
		if n == Wildcard {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%c %s:%s %s", r.Type, num(r.Major), num(r.Minor), r.Access)
}

// DefaultRules are appended after the config's rules, as runc does (its
// specconv.AllowedDevices): mknod of any device, the standard character
// devices (null, zero, full, random, urandom, tty), ptys and ptmx, and
// /dev/net/tun. Being last, they win over a config's deny of the same device.
var DefaultRules = []Rule{
	{Type: 'c', Major: Wildcard, Minor: Wildcard, Access: Mknod, Allow: true},
	{Type: 'b', Major: Wildcard, Minor: Wildcard, Access: Mknod, Allow: true},
	{Type: 'c', Major: 1, Minor: 3, Access: All, Allow: true},          // /dev/null
	{Type: 'c', Major: 1, Minor: 8, Access: All, Allow: true},          // /dev/random
	{Type: 'c', Major: 1, Minor: 7, Access: All, Allow: true},          // /dev/full
	{Type: 'c', Major: 5, Minor: 0, Access: All, Allow: true},          // /dev/tty
	{Type: 'c', Major: 1, Minor: 5, Access: All, Allow: true},          // /dev/zero
	{Type: 'c', Major: 1, Minor: 9, Access: All, Allow: true},          // /dev/urandom
	{Type: 'c', Major: 136, Minor: Wildcard, Access: All, Allow: true}, // /dev/pts/*
	{Type: 'c', Major: 5, Minor: 2, Access: All, Allow: true},          // /dev/ptmx
	{Type: 'c', Major: 10, Minor: 200, Access: All, Allow: true},       // /dev/net/tun
}

// FromSpec converts and checks the config's rules and appends DefaultRules.
// A missing type means all devices, a missing major or minor any.
func FromSpec(in []specs.LinuxDeviceCgroup) ([]Rule, error) {
	out := make([]Rule, 0, len(in)+len(DefaultRules))
	for i, d := range in {
		r := Rule{Type: 'a', Major: Wildcard, Minor: Wildcard, Allow: d.Allow}
		switch d.Type {
		case "", "a":
		case "b", "c":
			r.Type = d.Type[0]
		default:
			return nil, fmt.Errorf("linux.resources.devices[%d]: invalid type %q: want a, b or c", i, d.Type)
		}
		for _, n := range []struct {
			p   *int64
			dst *int64
		}{{d.Major, &r.Major}, {d.Minor, &r.Minor}} {
			if n.p == nil {
				continue
			}
			if *n.p < Wildcard || *n.p > math.MaxInt32 {
				return nil, fmt.Errorf("linux.resources.devices[%d]: invalid device number %d", i, *n.p)
			}
			*n.dst = *n.p
		}
		acc := d.Access
		if acc == "" && r.Type == 'a' {
			acc = "rwm"
		}
		var err error
		if r.Access, err = ParseAccess(acc); err != nil {
			return nil, fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
		out = append(out, r)
	}
	return append(out, DefaultRules...), nil
}

// Set is what a list of rules amounts to under cgroup v1 semantics: a
// default policy and the exceptions to it, each with Allow = !DefaultAllow.
type Set struct {
	DefaultAllow bool
	Exceptions   []Rule
}

type key struct {
	typ          byte
	major, minor int64
}

// Emulate applies rules in order to a cgroup that denies everything, as the
// kernel's v1 devices controller would: an 'a' rule resets the policy and
// drops the exceptions; a rule of the default's polarity removes accesses
// from the exception with exactly its type and numbers; the other polarity
// adds them. Like runc, a removal that a wildcard exception would silently
// ignore ("deny c 1:3" after "allow c *:* rwm") is an error rather than a
// false sense of security.
func Emulate(rules []Rule) (*Set, error) {
	policy := false
	exc := map[key]Access{}
	for _, r := range rules {
		if r.Type == 'a' {
			policy, exc = r.Allow, map[key]Access{}
			continue
		}
		k := key{r.Type, r.Major, r.Minor}
		if r.Allow != policy {
			exc[k] |= r.Access
			continue
		}
		for _, w := range []key{{r.Type, Wildcard, r.Minor}, {r.Type, r.Major, Wildcard}, {r.Type, Wildcard, Wildcard}} {
			if w != k && exc[w]&r.Access != 0 {
				return nil, fmt.Errorf("device rule %q cannot punch a hole in the wider rule %q",
					r.String(), Rule{Type: w.typ, Major: w.major, Minor: w.minor, Access: exc[w]}.String())
			}
		}
		if left := exc[k] &^ r.Access; left != 0 {
			exc[k] = left
		} else {
			delete(exc, k)
		}
	}
	s := &Set{DefaultAllow: policy}
	for k, a := range exc {
		s.Exceptions = append(s.Exceptions, Rule{Type: k.typ, Major: k.major, Minor: k.minor, Access: a, Allow: !policy})
	}
	sort.Slice(s.Exceptions, func(i, j int) bool {
		a, b := s.Exceptions[i], s.Exceptions[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Major != b.Major {
			return a.Major < b.Major
		}
		return a.Minor < b.Minor
	})
	return s, nil
}

// V1Write is one write to a cgroup v1 devices file.
type V1Write struct {
	File, Line string
}

// V1Writes are the writes that give a new cgroup v1 devices cgroup (which
// inherits its parent's rules) exactly s: a reset to the default policy,
// then the exceptions. The cgroup must have no children (the kernel refuses
// a reset otherwise), which holds at create.
func (s *Set) V1Writes() []V1Write {
	reset, exc := "devices.deny", "devices.allow"
	if s.DefaultAllow {
		reset, exc = exc, reset
	}
	out := []V1Write{{reset, "a"}}
	for _, r := range s.Exceptions {
		out = append(out, V1Write{exc, r.String()})
	}
	return out
}

// String lists the set as devices.list would (for errors and tests).
func (s *Set) String() string {
	var b strings.Builder
	if s.DefaultAllow {
		b.WriteString("default allow")
	} else {
		b.WriteString("default deny")
	}
	for _, r := range s.Exceptions {
		b.WriteString("; except " + r.String())
	}
	return b.String()
}
