package devices

import (
	"encoding/binary"
	"fmt"
)

// Why rt writes its own eBPF instructions instead of using cilium/ebpf (what
// runc does): a device filter is a straight list of compares and at most a
// few dozen instructions; the generator below is 100 lines that a unit test
// checks instruction by instruction, and loading is two bpf(2) calls
// (bpf_linux.go). cilium/ebpf would add a large dependency (ELF loading,
// BTF, maps, link management) for none of which rt has a use.

// Insn is one eBPF instruction (struct bpf_insn).
type Insn struct {
	Code uint8
	Regs uint8 // dst in the low nibble, src in the high one
	Off  int16
	Imm  int32
}

// Registers and opcodes used by the filter (linux/bpf.h, linux/bpf_common.h).
const (
	r0, r1, r2, r3, r4, r5 = 0, 1, 2, 3, 4, 5

	opLdxW   = 0x61 // BPF_LDX|BPF_MEM|BPF_W: dst = *(u32 *)(src + off)
	opAnd32  = 0x54 // BPF_ALU|BPF_AND|BPF_K: dst &= imm
	opRsh32  = 0x74 // BPF_ALU|BPF_RSH|BPF_K: dst >>= imm
	opMov32  = 0xb4 // BPF_ALU|BPF_MOV|BPF_K: dst = imm
	opMov32X = 0xbc // BPF_ALU|BPF_MOV|BPF_X: dst = src
	opJneK   = 0x55 // BPF_JMP|BPF_JNE|BPF_K: if dst != imm goto +off
	opJeqK   = 0x15 // BPF_JMP|BPF_JEQ|BPF_K: if dst == imm goto +off
	opJneX   = 0x5d // BPF_JMP|BPF_JNE|BPF_X: if dst != src goto +off
	opExit   = 0x95 // BPF_JMP|BPF_EXIT

	devBlock = 1 // BPF_DEVCG_DEV_BLOCK
	devChar  = 2 // BPF_DEVCG_DEV_CHAR
)

func ins(code, dst, src uint8, off int16, imm int32) Insn {
	return Insn{Code: code, Regs: dst | src<<4, Off: off, Imm: imm}
}

// Program is the filter for s. The kernel runs it at every open or mknod
// of a device by a process of the cgroup, with the context
// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// (access_type = access << 16 | type), and allows the access iff it
// returns 1. Layout:
//
//	r2 = type, r3 = access, r4 = major, r5 = minor
//	for each exception:
//	    if r2 != its type goto next
//	    allow exception: if the access asked is not within its accesses goto next
//	    deny exception:  if the access asked shares none of its accesses goto next
//	    if r4 != its major goto next   (unless wildcard)
//	    if r5 != its minor goto next   (unless wildcard)
//	    return !default
//	next: ...
//	return default
//
// The access checks are the kernel's own for v1: an allow exception must
// cover every access asked for, a deny exception refuses any overlap.
func (s *Set) Program() ([]Insn, error) {
	p := []Insn{
		ins(opLdxW, r2, r1, 0, 0),
		ins(opAnd32, r2, 0, 0, 0xffff),
		ins(opLdxW, r3, r1, 0, 0),
		ins(opRsh32, r3, 0, 0, 16),
		ins(opLdxW, r4, r1, 4, 0),
		ins(opLdxW, r5, r1, 8, 0),
	}
	verdict := func(allow bool) []Insn {
		v := int32(0)
		if allow {
			v = 1
		}
		return []Insn{ins(opMov32, r0, 0, 0, v), ins(opExit, 0, 0, 0, 0)}
	}
	for _, e := range s.Exceptions {
		var typ int32
		switch e.Type {
		case 'b':
			typ = devBlock
		case 'c':
			typ = devChar
		default:
			return nil, fmt.Errorf("device rule %q: no eBPF form for type %q", e.String(), e.Type)
		}
		// Jump offsets are filled in once the block's length is known.
		var block []Insn
		block = append(block, ins(opJneK, r2, 0, 0, typ))
		if e.Access != All {
			block = append(block, ins(opMov32X, r1, r3, 0, 0), ins(opAnd32, r1, 0, 0, int32(e.Access)))
			if e.Allow {
				block = append(block, ins(opJneX, r1, r3, 0, 0))
			} else {
				block = append(block, ins(opJeqK, r1, 0, 0, 0))
			}
		}
		if e.Major != Wildcard {
			block = append(block, ins(opJneK, r4, 0, 0, int32(e.Major)))
		}
		if e.Minor != Wildcard {
			block = append(block, ins(opJneK, r5, 0, 0, int32(e.Minor)))
		}
		block = append(block, verdict(e.Allow)...)
		for i := range block {
			switch block[i].Code {
			case opJneK, opJeqK, opJneX:
				block[i].Off = int16(len(block) - i - 1) // to the next block's first instruction
			}
		}
		p = append(p, block...)
	}
	return append(p, verdict(s.DefaultAllow)...), nil
}

// Encode lays out instructions as the kernel reads them: struct bpf_insn
// in the host's byte order, whose register bitfields swap on big endian.
func Encode(p []Insn) []byte {
	little := binary.NativeEndian.Uint16([]byte{1, 0}) == 1
	out := make([]byte, 0, 8*len(p))
	for _, i := range p {
		regs := i.Regs
		if !little {
			regs = regs<<4 | regs>>4
		}
		out = append(out, i.Code, regs)
		out = binary.NativeEndian.AppendUint16(out, uint16(i.Off))
		out = binary.NativeEndian.AppendUint32(out, uint32(i.Imm))
	}
	return out
}
