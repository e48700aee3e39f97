package process

import (
	"fmt"
	"os"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// NamespaceSet holds the namespace types in which the container does not
// share the runtime's namespace. Build it with PrivateNamespaces.
type NamespaceSet map[specs.LinuxNamespaceType]bool

// Has tells whether the container has its own namespace of type t.
func (s NamespaceSet) Has(t specs.LinuxNamespaceType) bool { return s[t] }

// procNsName is the name of a namespace type under /proc/<pid>/ns.
func procNsName(t specs.LinuxNamespaceType) (string, bool) {
	switch t {
	case specs.PIDNamespace:
		return "pid", true
	case specs.NetworkNamespace:
		return "net", true
	case specs.MountNamespace:
		return "mnt", true
	case specs.IPCNamespace:
		return "ipc", true
	case specs.UTSNamespace:
		return "uts", true
	case specs.UserNamespace:
		return "user", true
	case specs.CgroupNamespace:
		return "cgroup", true
	case specs.TimeNamespace:
		return "time", true
	}
	return "", false
}

// PrivateNamespaces tells which of linux.namespaces are the container's
// own: a namespace without a path is created, hence private; one joined by
// path is private unless it is the caller's own namespace of that type
// (same device and inode as /proc/self/ns/<type>, runc's test for the net
// namespace, applied to all). It compares with the caller's namespaces, so
// call it from `rt create`, before any namespace is entered.
func PrivateNamespaces(list []specs.LinuxNamespace) (NamespaceSet, error) {
	set := NamespaceSet{}
	for _, ns := range list {
		if ns.Path == "" {
			set[ns.Type] = true
			continue
		}
		name, ok := procNsName(ns.Type)
		if !ok {
			return nil, fmt.Errorf("unknown namespace type %q", ns.Type)
		}
		var mine, theirs unix.Stat_t
		own := "/proc/self/ns/" + name
		if err := unix.Stat(own, &mine); err != nil {
			return nil, &os.PathError{Op: "stat", Path: own, Err: err}
		}
		if err := unix.Stat(ns.Path, &theirs); err != nil {
			return nil, fmt.Errorf("%s namespace path: %w", ns.Type, &os.PathError{Op: "stat", Path: ns.Path, Err: err})
		}
		set[ns.Type] = mine.Dev != theirs.Dev || mine.Ino != theirs.Ino
	}
	return set, nil
}

// ipcSysctls are the kernel.* sysctls the IPC namespace isolates
// (fs.mqueue.* too, matched by prefix).
func isIPCSysctl(key string) bool {
	switch key {
	case "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced":
		return true
	}
	return strings.HasPrefix(key, "fs.mqueue.")
}

// sysctlDots returns a key in its dotted form. As in sysctl(8), a key whose
// first separator is "/" uses "/" between components and may hold dots
// inside them ("net/ipv4/conf/eth0.100/forwarding"); its dotted form swaps
// the two ("net.ipv4.conf.eth0/100.forwarding").
func sysctlDots(key string) string {
	i := strings.IndexAny(key, "./")
	if i < 0 || key[i] == '.' {
		return key
	}
	return swapDotsSlashes(key)
}

func swapDotsSlashes(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, s)
}

// sysctlPath returns the file under /proc/sys for a key, refusing keys that
// would leave /proc/sys.
func sysctlPath(key string) (string, error) {
	rel := swapDotsSlashes(sysctlDots(key))
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." || c == ".." {
			return "", fmt.Errorf("sysctl %q: invalid name", key)
		}
	}
	return "/proc/sys/" + rel, nil
}

// ValidateSysctl checks linux.sysctl against runc's rules: /proc/sys is only
// partly namespaced, so a key is allowed only when the container has its
// own namespace for it:
//
//	kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni,
//	shm_rmid_forced and fs.mqueue.*       need an IPC namespace
//	net.*                                 needs a network namespace
//	kernel.domainname                     needs a UTS namespace
//	kernel.hostname                       is refused: process.hostname sets it
//	anything else                         is refused
//
// Keys may use "/" as separator (see sysctl(8)).
func ValidateSysctl(sysctl map[string]string, ns NamespaceSet) error {
	for _, key := range sortedKeys(sysctl) {
		if _, err := sysctlPath(key); err != nil {
			return err
		}
		s := sysctlDots(key)
		switch {
		case isIPCSysctl(s):
			if !ns.Has(specs.IPCNamespace) {
				return fmt.Errorf("sysctl %q is not allowed in the hosts ipc namespace", s)
			}
		case strings.HasPrefix(s, "net."):
			if !ns.Has(specs.NetworkNamespace) {
				return fmt.Errorf("sysctl %q not allowed in host network namespace", s)
			}
		case s == "kernel.domainname" && ns.Has(specs.UTSNamespace):
		case s == "kernel.hostname" && ns.Has(specs.UTSNamespace):
			return fmt.Errorf("sysctl %q is not allowed as it conflicts with the OCI %q field", s, "hostname")
		default:
			return fmt.Errorf("sysctl %q is not in a separate kernel namespace", s)
		}
	}
	return nil
}

// WriteSysctl writes each value to /proc/sys/<key with dots as slashes>, in
// key order. Call it in the init, after ValidateSysctl (done at create),
// with the container's /proc mounted; the write is refused unless the file
// is on procfs.
func WriteSysctl(sysctl map[string]string) error {
	for _, key := range sortedKeys(sysctl) {
		path, err := sysctlPath(key)
		if err != nil {
			return err
		}
		if err := writeProcFile(path, sysctl[key]); err != nil {
			return fmt.Errorf("sysctl %s: %w", key, err)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
