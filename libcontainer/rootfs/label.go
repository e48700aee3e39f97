package rootfs

import (
	"github.com/opencontainers/selinux/go-selinux"
	"github.com/opencontainers/selinux/go-selinux/label"
)

// SELinux mount labels.
//
// The label goes into the mount data as context="..." only when SELinux is
// enabled: a kernel without an SELinux policy loaded rejects the option,
// which is how runc breaks on such hosts (label.FormatMountLabel itself
// does not check).

// selinuxEnabled reports whether SELinux is enabled on the running kernel.
func selinuxEnabled() bool { return selinux.GetEnabled() }

// formatMountLabel adds the context= option for mountLabel to data when
// enabled is true and there is a label; it returns data unchanged otherwise.
func formatMountLabel(data, mountLabel string, enabled bool) string {
	if !enabled {
		return data
	}
	return label.FormatMountLabel(data, mountLabel)
}
