package initproto

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Bootstrap attribute types: the payload of a Bootstrap message is a list of
// (type uint32, length uint32, value) records read by the C stage.
const (
	AttrCloneFlags  uint32 = 1 // uint32: CLONE_NEW* flags to unshare
	AttrNsPath      uint32 = 2 // uint32 CLONE_NEW* flag, then a NUL-terminated path to setns
	AttrTimeOffsets uint32 = 3 // text written to /proc/self/timens_offsets
	AttrOOMScoreAdj uint32 = 4 // decimal text written to /proc/self/oom_score_adj
)

// BootstrapData is what the C stage needs, before the Go runtime starts.
type BootstrapData struct {
	CloneFlags  uint32
	NsPaths     []NsPath
	TimeOffsets string
	OOMScoreAdj *int
}

// NsPath is a namespace to join.
type NsPath struct {
	Flag uint32
	Path string
}

// Encode serialises the data as attribute records.
func (b *BootstrapData) Encode() []byte {
	var out []byte
	add := func(t uint32, v []byte) {
		var h [8]byte
		binary.NativeEndian.PutUint32(h[0:], t)
		binary.NativeEndian.PutUint32(h[4:], uint32(len(v)))
		out = append(append(out, h[:]...), v...)
	}
	var f [4]byte
	binary.NativeEndian.PutUint32(f[:], b.CloneFlags)
	add(AttrCloneFlags, f[:])
	for _, p := range b.NsPaths {
		v := binary.NativeEndian.AppendUint32(nil, p.Flag)
		add(AttrNsPath, append(append(v, p.Path...), 0))
	}
	if b.TimeOffsets != "" {
		add(AttrTimeOffsets, []byte(b.TimeOffsets))
	}
	if b.OOMScoreAdj != nil {
		add(AttrOOMScoreAdj, fmt.Appendf(nil, "%d", *b.OOMScoreAdj))
	}
	return out
}

// InitConfig is the payload of the Config message: everything the Go init
// does inside the container.
type InitConfig struct {
	ID           string      `json:"id"`
	Spec         *specs.Spec `json:"spec"`
	Bundle       string      `json:"bundle"`
	Rootfs       string      `json:"rootfs"` // absolute host path
	NoPivot      bool        `json:"noPivot,omitempty"`
	NoNewKeyring bool        `json:"noNewKeyring,omitempty"`
	PreserveFds  int         `json:"preserveFds,omitempty"`
	// ListenFds is LISTEN_FDS for the process (socket activation).
	ListenFds int `json:"listenFds,omitempty"`
	// Private lists the namespace types the container has of its own
	// (created, or joined by path), for validation inside the init.
	Private []specs.LinuxNamespaceType `json:"private,omitempty"`
	// NewUserNS is set when the C stage created a user namespace.
	NewUserNS bool `json:"newUserNS,omitempty"`
	// State is the container's OCI state (host pid, status "creating") for
	// the hooks the init runs; it only changes the status.
	State json.RawMessage `json:"state"`
	Debug bool            `json:"debug,omitempty"`
	// CgroupReady: wait for message 5a, then (UnshareCgroupNS) unshare
	// the cgroup namespace, which the C stage left alone.
	CgroupReady     bool `json:"cgroupReady,omitempty"`
	UnshareCgroupNS bool `json:"unshareCgroupNS,omitempty"`
	// Exec: Spec.Process is to be started in the running container whose
	// namespaces the C stage joined; nothing else is set up.
	Exec bool `json:"exec,omitempty"`
}
