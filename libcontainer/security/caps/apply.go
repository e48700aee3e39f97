package caps

import (
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// CurrentHost reads what the running kernel and the calling thread can
// grant. It probes PR_CAPBSET_READ from 0 upwards: the kernel answers EINVAL
// for the first number above CAP_LAST_CAP, which is the value
// /proc/sys/kernel/cap_last_cap shows, so this needs no /proc (the init may
// run it after pivot_root).
func CurrentHost() (Host, error) {
	h := Host{LastCap: -1}
	for c := 0; c < 64; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			break
		}
		if err != nil {
			return Host{}, fmt.Errorf("read bounding set (%s): %w", Name(c), err)
		}
		h.LastCap = c
		if in == 1 {
			h.Bounding |= 1 << uint(c)
		}
	}
	if h.LastCap < 0 {
		return Host{}, errors.New("read bounding set: the kernel knows no capability")
	}
	return h, nil
}

// ApplyBounding drops from the calling thread's bounding set every
// capability not in s.Bounding (PR_CAPBSET_DROP). It needs CAP_SETPCAP in
// the effective set, so the init calls it before switching to the
// container's user. Per-thread: call it on the thread that will exec.
func (s *Set) ApplyBounding() error {
	if s == nil {
		return nil
	}
	for c := 0; c < 64; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			return nil // past the kernel's last capability
		}
		if err != nil {
			return fmt.Errorf("read bounding set (%s): %w", Name(c), err)
		}
		if in == 1 && !s.Bounding.Has(c) {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				return fmt.Errorf("drop %s from the bounding set: %w", Name(c), err)
			}
		}
	}
	return nil
}

// Apply sets the calling thread's effective, permitted and inheritable sets
// (capset, version 3), then its ambient set: PR_CAP_AMBIENT_CLEAR_ALL and a
// PR_CAP_AMBIENT_RAISE for each ambient capability.
//
// The init calls it after ApplyBounding and after the switch to the
// container's user made with PR_SET_KEEPCAPS (package process): the switch
// to a non-zero uid empties the effective set and keeps the permitted one,
// and Apply sets the effective set back. Per-thread: call it on the thread
// that will exec. What survives the exec follows capabilities(7): for uid
// 0 the permitted and effective sets become the bounding set; for another
// uid they become the ambient set.
func (s *Set) Apply() error {
	if s == nil {
		return nil
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		shift := uint(32 * i)
		data[i].Effective = uint32(s.Effective >> shift)
		data[i].Permitted = uint32(s.Permitted >> shift)
		data[i].Inheritable = uint32(s.Inheritable >> shift)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset (effective %s, permitted %s, inheritable %s): %w",
			s.Effective, s.Permitted, s.Inheritable, err)
	}

	// The ambient set may hold capabilities inherited from whoever started
	// rt: clear it even when the config asks for none.
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		if s.Ambient == 0 && errors.Is(err, unix.EINVAL) {
			return nil // kernel < 4.3: no ambient set to clear
		}
		return fmt.Errorf("clear the ambient set: %w", err)
	}
	raisable := s.Permitted & s.Inheritable
	for c := 0; c < 64; c++ {
		if !s.Ambient.Has(c) {
			continue
		}
		if !raisable.Has(c) {
			// ParseFor already drops these; a Set built by hand may not.
			logrus.Warnf("ambient capability %s is not both permitted and inheritable: not raised", Name(c))
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return fmt.Errorf("raise ambient capability %s: %w", Name(c), err)
		}
	}
	return nil
}
