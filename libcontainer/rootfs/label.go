package rootfs

import (
	"fmt"
	"os"
	"strings"
)

// SELinux mount labels.
//
// The label goes into the mount data as context="..." only when SELinux is
// enabled: a kernel without an SELinux policy loaded rejects the option, which
// is how runc breaks on such hosts.
//
// Why not github.com/opencontainers/selinux: its go-selinux package needs
// github.com/cyphar/filepath-securejoin, which go.sum does not list yet. The
// two functions below are what this package needs of it; once go.sum has the
// module, selinuxEnabled can become selinux.GetEnabled and formatMountLabel
// label.FormatMountLabel guarded by it.

// selinuxEnabled reports whether SELinux is enabled on the running kernel:
// selinuxfs is registered only when SELinux was enabled at boot, so it shows
// in /proc/filesystems exactly then. This works before pivot_root (the host's
// /proc) and after it (the container's /proc), and is false when /proc is
// missing.
func selinuxEnabled() bool {
	data, err := os.ReadFile("/proc/filesystems")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[len(f)-1] == "selinuxfs" {
			return true
		}
	}
	return false
}

// formatMountLabel adds the context= option for mountLabel to data when
// enabled is true and there is a label; it returns data unchanged otherwise.
func formatMountLabel(data, mountLabel string, enabled bool) string {
	if !enabled || mountLabel == "" {
		return data
	}
	if data == "" {
		return fmt.Sprintf("context=%q", mountLabel)
	}
	return fmt.Sprintf("%s,context=%q", data, mountLabel)
}
