// Package initproto owns the protocol between the runtime (`rt create`,
// `rt run`, the parent) and the container's init: the file descriptors it
// hands down, the bootstrap data read by the C stage, and every sync message
// in order. It is the one place the protocol is written down; the C stage
// (libcontainer/nsexec/nsexec.h) mirrors its numbers, and a test checks they
// agree. It must never do container work itself.
//
// # Descriptors
//
// The parent starts `/proc/self/exe init` with the user's preserved fds at
// 3..3+N-1 and, after them, these (their numbers travel in the environment):
//
//	_RT_SYNC_FD   one end of a SOCK_STREAM socketpair: the messages below
//	_RT_LOG_FD    write end of a pipe: JSON log lines the parent forwards
//	_RT_FIFO_FD   O_PATH fd of <root>/<id>/exec.fifo (create only)
//	_RT_CONSOLE_FD  a connected unix socket to send the pty master on
//	              (process.terminal only; see package console)
//
// # Messages
//
// Every message is a Header (type, payload length, native endian) and its
// payload. Stage 0 is the C stage in the process the parent started; the
// init is its child, already inside the new namespaces, running Go.
//
//	#  from     to       message       payload         meaning / who waits
//	1  parent   stage 0  Bootstrap     attributes      namespaces to join/create; stage 0 waits for it
//	2  stage 0  parent   UsermapReq    -               user ns unshared: parent writes uid_map/gid_map of stage 0
//	3  parent   stage 0  UsermapAck    -               maps written; stage 0 becomes root in the ns (only with a new user ns)
//	4  stage 0  parent   InitPid       uint32          init forked (host pid); stage 0 exits 0 right after
//	5  parent   init     Config        JSON InitConfig everything the Go init needs
//	5a parent   init     CgroupReady   -               cgroup v1: the init is now in its cgroups (see below)
//	6  init     parent   RunHooks      -               mounts done, before pivot_root: parent runs prestart+createRuntime hooks
//	7  parent   init     HooksDone     -               hooks ran; init runs createContainer hooks, pivots, sets up the process
//	8  init     parent   Ready         -               init is about to wait on the exec fifo (create) or exec (exec)
//	9  parent   init     Created       -               state saved; init may go on (an EOF instead means create failed)
//	-  any      parent   Error         text            the sender failed and exits; ends the exchange
//
// Steps 2-3 happen only with a new user namespace, 6-7 only for create. 5a
// only on cgroup v1 hosts: moving a process there waits for a kernel RCU
// grace period (7-14 ms), so the parent moves the init while it starts
// instead of before; the init waits for 5a before anything the limits must
// cover, and unshares its cgroup namespace itself after it (the namespace's
// root is the cgroup it is in at that moment). On v2 the init is cloned
// straight into its cgroup and the C stage unshares the namespace. For
// `rt exec` the C stage joins the running container's namespaces, the init
// sets up the process only, and after Created it execs at once.
// Every read names the type it expects; any other type, an Error or an EOF
// is returned as an error naming both, so neither side can hang on the other
// past the other's death.
//
// After Created, `rt start` opens the exec fifo for reading: the init's
// blocked open(O_WRONLY) returns, it writes "0", runs startContainer hooks
// and execs. Its write end is O_CLOEXEC, so `start` reads until EOF: "0"
// alone means the exec happened; any further bytes are the init's error.
package initproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Kind is a message type.
type Kind uint32

// The message kinds, in protocol order. Keep in sync with nsexec.h.
const (
	Bootstrap  Kind = 1
	UsermapReq Kind = 2
	UsermapAck Kind = 3
	InitPid    Kind = 4
	Config     Kind = 5
	RunHooks   Kind = 6
	HooksDone  Kind = 7
	Ready      Kind = 8
	Created    Kind = 9
	Error      Kind = 10
	// CgroupReady is 5a in the table (numbered last to keep the others).
	CgroupReady Kind = 11
)

var kindNames = map[Kind]string{
	Bootstrap: "bootstrap", UsermapReq: "usermap-request", UsermapAck: "usermap-ack",
	InitPid: "init-pid", Config: "config", RunHooks: "run-hooks", HooksDone: "hooks-done",
	Ready: "ready", Created: "created", Error: "error", CgroupReady: "cgroup-ready",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("unknown(%d)", uint32(k))
}

// Environment variables carrying descriptor numbers to the init.
const (
	EnvSyncFd    = "_RT_SYNC_FD"
	EnvLogFd     = "_RT_LOG_FD"
	EnvFifoFd    = "_RT_FIFO_FD"
	EnvConsoleFd = "_RT_CONSOLE_FD"
)

// MaxPayload bounds a message so a corrupt header cannot make a reader
// allocate without limit.
const MaxPayload = 16 << 20

// Header precedes every payload on the sync socket.
type Header struct {
	Kind Kind
	Len  uint32
}

// ErrPeer is wrapped by errors that carry the peer's own Error message.
var ErrPeer = errors.New("init failed")

// Send writes one message.
func Send(w io.Writer, k Kind, payload []byte) error {
	buf := make([]byte, 8+len(payload))
	binary.NativeEndian.PutUint32(buf[0:], uint32(k))
	binary.NativeEndian.PutUint32(buf[4:], uint32(len(payload)))
	copy(buf[8:], payload)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("send %s: %w", k, err)
	}
	return nil
}

// Recv reads the next message, which must be of kind want. A peer's Error
// message becomes an error wrapping ErrPeer with the peer's text; an EOF or
// any other kind is an error naming what was expected.
func Recv(r io.Reader, want Kind) ([]byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("waiting for %s: peer closed the sync socket", want)
		}
		return nil, fmt.Errorf("waiting for %s: %w", want, err)
	}
	h := Header{Kind(binary.NativeEndian.Uint32(hdr[0:])), binary.NativeEndian.Uint32(hdr[4:])}
	if h.Len > MaxPayload {
		return nil, fmt.Errorf("waiting for %s: %s message of %d bytes is too large", want, h.Kind, h.Len)
	}
	payload := make([]byte, h.Len)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, fmt.Errorf("waiting for %s: short %s message: %w", want, h.Kind, err)
	}
	switch h.Kind {
	case want:
		return payload, nil
	case Error:
		return nil, fmt.Errorf("%w: %s", ErrPeer, payload)
	default:
		return nil, fmt.Errorf("waiting for %s: got %s", want, h.Kind)
	}
}

// Expect reads a message of kind want that carries no payload.
func Expect(r io.Reader, want Kind) error {
	p, err := Recv(r, want)
	if err == nil && len(p) != 0 {
		err = fmt.Errorf("%s message: unexpected %d-byte payload", want, len(p))
	}
	return err
}
