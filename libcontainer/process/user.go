package process

import (
	"bytes"
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// DefaultUmask is the umask of the container's process when the config
// sets none (runc's and crun's).
const DefaultUmask = 0o022

// SwitchUser makes the process run as u: supplementary groups, gid, uid
// (real, effective and saved), then the umask (u.Umask, else DefaultUmask).
//
// It sets PR_SET_KEEPCAPS around the uid change so the calling thread keeps
// its permitted capabilities; the change to a non-zero uid still empties
// the effective set, which caps.Set.Apply, called next, sets again. Keepcaps
// is per-thread: call SwitchUser on the thread that will exec, after
// caps.Set.ApplyBounding (which needs CAP_SETPCAP) and before
// caps.Set.Apply.
//
// In a user namespace whose /proc/self/setgroups says "deny", setgroups(2)
// is impossible: SwitchUser skips it when u.AdditionalGids is empty and
// fails otherwise.
func SwitchUser(u specs.User) error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_KEEPCAPS, 1): %w", err)
	}
	if err := setGroups(u.AdditionalGids); err != nil {
		return err
	}
	gid, uid := int(u.GID), int(u.UID)
	if err := syscall.Setresgid(gid, gid, gid); err != nil {
		return fmt.Errorf("setresgid(%d): %w", gid, err)
	}
	if err := syscall.Setresuid(uid, uid, uid); err != nil {
		return fmt.Errorf("setresuid(%d): %w", uid, err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_KEEPCAPS, 0): %w", err)
	}
	mask := DefaultUmask
	if u.Umask != nil {
		mask = int(*u.Umask & 0o777)
	}
	syscall.Umask(mask)
	return nil
}

// setGroups sets the supplementary groups (none when gids is empty).
func setGroups(gids []uint32) error {
	if setgroupsDenied() {
		if len(gids) > 0 {
			return fmt.Errorf("set additional gids %v: setgroups is denied in this user namespace (/proc/self/setgroups)", gids)
		}
		return nil
	}
	list := make([]int, len(gids))
	for i, g := range gids {
		list[i] = int(g)
	}
	if err := syscall.Setgroups(list); err != nil {
		return fmt.Errorf("setgroups(%v): %w", gids, err)
	}
	return nil
}

// setgroupsDenied reports whether /proc/self/setgroups says "deny". A file
// that cannot be read (no /proc, kernel < 3.19) means setgroups is allowed.
func setgroupsDenied() bool {
	b, err := os.ReadFile("/proc/self/setgroups")
	return err == nil && bytes.Equal(bytes.TrimSpace(b), []byte("deny"))
}
