package container

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"rt/libcontainer/initproto"
)

var nsFlags = map[specs.LinuxNamespaceType]uint32{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

// bootstrapData turns the config's namespaces into the C stage's input.
func bootstrapData(s *specs.Spec) (*initproto.BootstrapData, error) {
	bs := &initproto.BootstrapData{}
	for _, ns := range s.Linux.Namespaces {
		flag := nsFlags[ns.Type]
		if ns.Path == "" {
			bs.CloneFlags |= flag
			continue
		}
		if err := checkNsPath(ns); err != nil {
			return nil, err
		}
		bs.NsPaths = append(bs.NsPaths, initproto.NsPath{Flag: flag, Path: ns.Path})
	}
	if len(s.Linux.TimeOffsets) > 0 {
		var b strings.Builder
		for clock, off := range s.Linux.TimeOffsets {
			fmt.Fprintf(&b, "%s %d %d\n", clock, off.Secs, off.Nanosecs)
		}
		bs.TimeOffsets = b.String()
	}
	if s.Process != nil {
		bs.OOMScoreAdj = s.Process.OOMScoreAdj
	}
	return bs, nil
}

// checkNsPath makes sure a path names a namespace of the right type, so a
// wrong path fails create with a clear error rather than setns's EINVAL.
func checkNsPath(ns specs.LinuxNamespace) error {
	fd, err := unix.Open(ns.Path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("namespace %s path %s: %w", ns.Type, ns.Path, err)
	}
	defer unix.Close(fd)
	// NS_GET_NSTYPE returns the CLONE_NEW* flag of the namespace.
	t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("namespace %s path %s is not a namespace: %w", ns.Type, ns.Path, err)
	}
	if uint32(t) != nsFlags[ns.Type] {
		return fmt.Errorf("namespace path %s is not a %s namespace", ns.Path, ns.Type)
	}
	return nil
}

// writeIDMaps writes the user namespace's maps of stage 0.
func writeIDMaps(pid int, l *specs.Linux) error {
	write := func(file string, m []specs.LinuxIDMapping) error {
		if len(m) == 0 {
			return nil
		}
		var b strings.Builder
		for _, r := range m {
			fmt.Fprintf(&b, "%d %d %d\n", r.ContainerID, r.HostID, r.Size)
		}
		p := fmt.Sprintf("/proc/%d/%s", pid, file)
		if err := os.WriteFile(p, []byte(b.String()), 0); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		return nil
	}
	if err := write("uid_map", l.UIDMappings); err != nil {
		return err
	}
	return write("gid_map", l.GIDMappings)
}

func nativeUint32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }
