package caps

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// ErrUnknown is wrapped by the error for a capability name not in the table.
// Its text makes the error read `unknown capability "CAP_TEST"`.
var ErrUnknown = errors.New("unknown capability")

// names maps capability numbers to their names, as in
// include/uapi/linux/capability.h. It is a read-only table.
var names = [...]string{
	0:  "CAP_CHOWN",
	1:  "CAP_DAC_OVERRIDE",
	2:  "CAP_DAC_READ_SEARCH",
	3:  "CAP_FOWNER",
	4:  "CAP_FSETID",
	5:  "CAP_KILL",
	6:  "CAP_SETGID",
	7:  "CAP_SETUID",
	8:  "CAP_SETPCAP",
	9:  "CAP_LINUX_IMMUTABLE",
	10: "CAP_NET_BIND_SERVICE",
	11: "CAP_NET_BROADCAST",
	12: "CAP_NET_ADMIN",
	13: "CAP_NET_RAW",
	14: "CAP_IPC_LOCK",
	15: "CAP_IPC_OWNER",
	16: "CAP_SYS_MODULE",
	17: "CAP_SYS_RAWIO",
	18: "CAP_SYS_CHROOT",
	19: "CAP_SYS_PTRACE",
	20: "CAP_SYS_PACCT",
	21: "CAP_SYS_ADMIN",
	22: "CAP_SYS_BOOT",
	23: "CAP_SYS_NICE",
	24: "CAP_SYS_RESOURCE",
	25: "CAP_SYS_TIME",
	26: "CAP_SYS_TTY_CONFIG",
	27: "CAP_MKNOD",
	28: "CAP_LEASE",
	29: "CAP_AUDIT_WRITE",
	30: "CAP_AUDIT_CONTROL",
	31: "CAP_SETFCAP",
	32: "CAP_MAC_OVERRIDE",
	33: "CAP_MAC_ADMIN",
	34: "CAP_SYSLOG",
	35: "CAP_WAKE_ALARM",
	36: "CAP_BLOCK_SUSPEND",
	37: "CAP_AUDIT_READ",
	38: "CAP_PERFMON",
	39: "CAP_BPF",
	40: "CAP_CHECKPOINT_RESTORE",
}

// Last is the highest capability number rt knows by name.
const Last = len(names) - 1

// Known returns every capability name rt knows, in kernel number order
// (for `rt features`).
func Known() []string {
	out := make([]string, len(names))
	copy(out, names[:])
	return out
}

// Name returns the name of capability number c; a number beyond the table
// (a kernel newer than rt) is named "cap_<n>".
func Name(c int) string {
	if c >= 0 && c <= Last {
		return names[c]
	}
	return fmt.Sprintf("cap_%d", c)
}

// Number returns the kernel number of a capability name. Names are exact
// (upper case, with the CAP_ prefix), as the OCI spec writes them.
func Number(name string) (int, error) {
	for n, s := range names {
		if s == name {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknown, name)
}

// Mask is a set of capabilities: bit n stands for capability number n.
type Mask uint64

// Has tells whether capability number c is in m.
func (m Mask) Has(c int) bool {
	return c >= 0 && c < 64 && m&(1<<uint(c)) != 0
}

// Names returns the names of the capabilities in m, in number order.
func (m Mask) Names() []string {
	out := make([]string, 0, bits.OnesCount64(uint64(m)))
	for c := 0; c < 64; c++ {
		if m.Has(c) {
			out = append(out, Name(c))
		}
	}
	return out
}

// String formats m as /proc/<pid>/status does (16 hex digits).
func (m Mask) String() string {
	return fmt.Sprintf("%016x", uint64(m))
}

// maskOf turns a list of names into a Mask; an unknown name is an error.
func maskOf(list []string) (Mask, error) {
	var m Mask
	for _, name := range list {
		c, err := Number(name)
		if err != nil {
			return 0, err
		}
		m |= 1 << uint(c)
	}
	return m, nil
}

// joinNames is for messages: "CAP_A, CAP_B".
func joinNames(m Mask) string {
	return strings.Join(m.Names(), ", ")
}
