package containerinit

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"rt/libcontainer/nsexec"
	"rt/libcontainer/process"
	"rt/libcontainer/security/caps"
)

// proc is the user's process, validated before any set-up.
type proc struct {
	spec *specs.Process
	caps *caps.Set
	path string
	env  []string
}

// prepareProcess validates the config (see Validate) and returns the
// process to set up, nil for a config without one (valid until start).
func prepareProcess(s *specs.Spec, ns process.NamespaceSet) (*proc, error) {
	if err := validate(s, ns); err != nil {
		return nil, err
	}
	if s.Process == nil {
		return nil, nil
	}
	set, err := caps.Parse(s.Process.Capabilities) // logs what it drops
	if err != nil {
		return nil, err
	}
	return &proc{spec: s.Process, caps: set}, nil
}

// Validate checks, without side effects, what the init would refuse, so
// that the parent can fail `create` before it makes anything. ns is the
// set of the container's own namespaces, as the parent sees them.
func Validate(s *specs.Spec, ns process.NamespaceSet) error {
	return validate(s, ns)
}

func validate(s *specs.Spec, ns process.NamespaceSet) error {
	if err := process.ValidateSysctl(s.Linux.Sysctl, ns); err != nil {
		return err
	}
	if (s.Hostname != "" || s.Domainname != "") && !ns.Has(specs.UTSNamespace) {
		return errors.New("hostname and domainname need a UTS namespace")
	}
	if s.Process == nil {
		return nil
	}
	if err := process.ValidateOOMScoreAdj(s.Process.OOMScoreAdj); err != nil {
		return err
	}
	if len(s.Process.Args) == 0 {
		return errors.New("process.args must not be empty")
	}
	if s.Process.Capabilities != nil {
		h, err := caps.CurrentHost()
		if err != nil {
			return err
		}
		if _, _, err := caps.ParseFor(s.Process.Capabilities, h); err != nil {
			return err
		}
	}
	return process.ValidateRlimits(s.Process.Rlimits)
}

// setup does, inside the pivoted root, everything up to the exec that
// `create` must have done. Order matters: rlimits before the uid switch
// (raising a hard limit needs CAP_SYS_RESOURCE), the bounding set before it
// (needs CAP_SETPCAP), the executable's lookup after the chdir.
func (p *proc) setup(preserveFds, listenFds int) error {
	if err := process.SetRlimits(p.spec.Rlimits, nsexec.OrigNofile()); err != nil {
		return err
	}
	if err := process.CloseExecFrom(3 + preserveFds); err != nil {
		return err
	}
	if err := p.caps.ApplyBounding(); err != nil {
		return err
	}
	if err := process.SwitchUser(p.spec.User); err != nil {
		return err
	}
	if err := p.caps.Apply(); err != nil {
		return err
	}
	path, err := process.LookPath(p.spec.Args[0], p.spec.Env)
	if err != nil {
		return err
	}
	p.path = path
	p.env = process.ListenFDsEnv(process.Env(p.spec.Env, int(p.spec.User.UID)), listenFds)
	if p.spec.NoNewPrivileges {
		return process.SetNoNewPrivileges()
	}
	return nil
}

// finish runs right before the exec, after startContainer hooks: the place
// for the security layer (seccomp, LSM labels) that must come last.
func (p *proc) finish() error {
	return nil
}
