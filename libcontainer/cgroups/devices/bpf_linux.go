package devices

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bpf(2) attribute layouts rt uses (union bpf_attr, linux/bpf.h).
// Pointers are unsafe.Pointer so the garbage collector sees them during
// the call; rt supports 64-bit platforms only, where they are 8 bytes as
// the kernel's __aligned_u64.

type progLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       unsafe.Pointer
	license     unsafe.Pointer
	logLevel    uint32
	logSize     uint32
	logBuf      unsafe.Pointer
	kernVersion uint32
	progFlags   uint32
	progName    [16]byte
}

type attachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
}

type queryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     unsafe.Pointer
	progCnt     uint32
	_           uint32
}

type getFdAttr struct {
	progID uint32
	nextID uint32
	flags  uint32
}

// Fail to compile where a pointer is not 8 bytes.
var _ = [1]struct{}{}[unsafe.Sizeof(uintptr(0))-8]

func bpf(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// license is the program's license string: the device filter calls no
// GPL-only helper.
var license = []byte("Apache\x00")

// load loads a BPF_PROG_TYPE_CGROUP_DEVICE program and returns its fd. On
// a verifier error it loads once more with the verifier's log, for the
// error message.
func load(p []Insn) (int, error) {
	code := Encode(p)
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(p)),
		insns:    unsafe.Pointer(&code[0]),
		license:  unsafe.Pointer(&license[0]),
	}
	copy(attr.progName[:], "rt_devices")
	fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err == nil {
		return fd, nil
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EACCES) {
		log := make([]byte, 64<<10)
		attr.logLevel, attr.logSize, attr.logBuf = 1, uint32(len(log)), unsafe.Pointer(&log[0])
		if fd, err2 := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err2 == nil {
			return fd, nil // loaded after all
		}
		runtime.KeepAlive(log)
		if n := bytes.IndexByte(log, 0); n > 0 {
			err = fmt.Errorf("%w: verifier: %s", err, bytes.TrimSpace(log[:n]))
		}
	}
	runtime.KeepAlive(code)
	return -1, fmt.Errorf("load device filter (bpf BPF_PROG_LOAD): %w", err)
}

// Attach loads s's filter and attaches it to the cgroup v2 directory dir,
// replacing the device filters attached there before (a second Set).
// It attaches with BPF_F_ALLOW_MULTI, so that filters of the parents (a
// systemd's, say) keep applying: the kernel allows an access only if every
// filter on the way to the root allows it. The cgroup keeps the program
// alive; the fds are closed.
func Attach(dir string, s *Set) error {
	insns, err := s.Program()
	if err != nil {
		return err
	}
	cg, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open cgroup %s: %w", dir, err)
	}
	defer unix.Close(cg)
	old, err := attached(cg)
	if err != nil {
		return fmt.Errorf("query device filters of %s: %w", dir, err)
	}
	prog, err := load(insns)
	if err != nil {
		return err
	}
	defer unix.Close(prog)
	attr := attachAttr{
		targetFd: uint32(cg), attachBpfFd: uint32(prog),
		attachType: unix.BPF_CGROUP_DEVICE, attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if _, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return fmt.Errorf("attach device filter to %s: %w", dir, err)
	}
	for _, id := range old {
		if err := detach(cg, id); err != nil {
			return fmt.Errorf("detach old device filter %d from %s: %w", id, dir, err)
		}
	}
	return nil
}

// attached lists the ids of the device programs attached to cgroup fd cg
// itself (not inherited ones).
func attached(cg int) ([]uint32, error) {
	ids := make([]uint32, 64)
	attr := queryAttr{targetFd: uint32(cg), attachType: unix.BPF_CGROUP_DEVICE,
		progIDs: unsafe.Pointer(&ids[0]), progCnt: uint32(len(ids))}
	if _, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return nil, err
	}
	return ids[:attr.progCnt], nil
}

func detach(cg int, id uint32) error {
	get := getFdAttr{progID: id}
	fd, err := bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&get), unsafe.Sizeof(get))
	if errors.Is(err, unix.ENOENT) {
		return nil // gone meanwhile
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	attr := attachAttr{targetFd: uint32(cg), attachBpfFd: uint32(fd), attachType: unix.BPF_CGROUP_DEVICE}
	_, err = bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}
