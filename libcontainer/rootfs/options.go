package rootfs

import (
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// flagOption is a mount(2) flag option: it sets flag, or clears it.
type flagOption struct {
	clear bool
	flag  uintptr
}

// flagOptions maps each mount(8)-style option to its MS_* flag, as runc's
// specconv does. Options not found here (nor in the tables below) are
// filesystem data, passed to mount(2) as the data string.
var flagOptions = map[string]flagOption{
	"defaults":      {false, 0},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"nosuid":        {false, unix.MS_NOSUID},
	"suid":          {true, unix.MS_NOSUID},
	"nodev":         {false, unix.MS_NODEV},
	"dev":           {true, unix.MS_NODEV},
	"noexec":        {false, unix.MS_NOEXEC},
	"exec":          {true, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"remount":       {false, unix.MS_REMOUNT},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"noatime":       {false, unix.MS_NOATIME},
	"atime":         {true, unix.MS_NOATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"bind":          {false, unix.MS_BIND},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
	"iversion":      {false, unix.MS_I_VERSION},
	"noiversion":    {true, unix.MS_I_VERSION},
	"acl":           {false, unix.MS_POSIXACL},
	"noacl":         {true, unix.MS_POSIXACL},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW}, // kernel >= 5.10
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
}

// propagationOptions maps the propagation options to the mount(2) flags of a
// separate propagation change, applied after the mount itself.
var propagationOptions = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// attrOption is a recursive mount attribute option, applied with
// mount_setattr(2) and AT_RECURSIVE to the mount and all mounts below it.
type attrOption struct {
	clear bool
	attr  uint64
}

var attrOptions = map[string]attrOption{
	"rro":            {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":            {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":        {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":          {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":         {false, unix.MOUNT_ATTR_NODEV},
	"rdev":           {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":        {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":          {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":    {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":      {true, unix.MOUNT_ATTR_NODIRATIME},
	"rrelatime":      {false, unix.MOUNT_ATTR_RELATIME},
	"rnorelatime":    {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime":       {false, unix.MOUNT_ATTR_NOATIME},
	"ratime":         {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime":   {false, unix.MOUNT_ATTR_STRICTATIME},
	"rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
	"rnosymfollow":   {false, unix.MOUNT_ATTR_NOSYMFOLLOW}, // kernel >= 5.14
	"rsymfollow":     {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// mountOptions is the parsed form of a mount's options.
type mountOptions struct {
	flags       uintptr   // MS_* flags to pass to mount(2)
	cleared     uintptr   // MS_* flags the options explicitly cleared (rw, suid, ...)
	propagation []uintptr // propagation changes, in the order given
	attrSet     uint64    // MOUNT_ATTR_* to set recursively
	attrClr     uint64    // MOUNT_ATTR_* to clear recursively
	data        string    // everything else, comma-separated, for the filesystem
}

// parseMountOptions splits options into flags, propagation, recursive
// attributes and filesystem data. A later option overrides an earlier one
// about the same flag ("ro,rw" is rw).
func parseMountOptions(options []string) mountOptions {
	var (
		o    mountOptions
		data []string
	)
	for _, opt := range options {
		if f, ok := flagOptions[opt]; ok {
			if f.clear {
				o.flags &^= f.flag
				o.cleared |= f.flag
			} else {
				o.flags |= f.flag
				o.cleared &^= f.flag
			}
			continue
		}
		if p, ok := propagationOptions[opt]; ok {
			o.propagation = append(o.propagation, p)
			continue
		}
		if a, ok := attrOptions[opt]; ok {
			if a.clear {
				o.attrClr |= a.attr
				o.attrSet &^= a.attr
				continue
			}
			o.attrSet |= a.attr
			o.attrClr &^= a.attr
			if a.attr&unix.MOUNT_ATTR__ATIME == a.attr {
				// mount_setattr(2): an access-time mode in attr_set
				// needs the whole MOUNT_ATTR__ATIME field in attr_clr.
				o.attrClr |= unix.MOUNT_ATTR__ATIME
			}
			continue
		}
		if opt != "" {
			data = append(data, opt)
		}
	}
	o.data = strings.Join(data, ",")
	return o
}

// hasAttrs reports whether recursive attributes must be applied.
func (o mountOptions) hasAttrs() bool {
	return o.attrSet != 0 || o.attrClr != 0
}

// KnownMountOptions returns, sorted, every mount option name this package
// understands itself (flags, propagation and recursive attributes); any other
// option is handed to the filesystem as data. It is what `rt features`
// reports as mountOptions.
func KnownMountOptions() []string {
	names := make([]string, 0, len(flagOptions)+len(propagationOptions)+len(attrOptions))
	for n := range flagOptions {
		names = append(names, n)
	}
	for n := range propagationOptions {
		names = append(names, n)
	}
	for n := range attrOptions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// rootPropagation returns the flags of linux.rootfsPropagation; ok is false
// when the value is unknown. An empty value gives 0.
func rootPropagation(value string) (flags uintptr, ok bool) {
	if value == "" {
		return 0, true
	}
	flags, ok = propagationOptions[value]
	return flags, ok
}
