package container

import (
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"rt/libcontainer/initproto"
	"rt/libcontainer/process"
)

// ExecOpts are `rt exec`'s options; Process is complete (see ExecProcess).
type ExecOpts struct {
	Root          string
	ID            string
	Process       *specs.Process
	Detach        bool
	PidFile       string
	PreserveFds   int
	ConsoleSocket string
	IgnorePaused  bool
	Debug         bool
}

// nsFiles names each namespace type's file under /proc/<pid>/ns.
var nsFiles = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// Exec starts o.Process in the container's namespaces and cgroup. Unless
// detached it waits, forwarding signals, and returns the exit code.
func Exec(o *ExecOpts) (int, error) {
	c, err := Get(o.Root, o.ID)
	if err != nil {
		return 0, err
	}
	switch c.Status() {
	case Stopped, Creating:
		return 0, fmt.Errorf("cannot exec in a stopped container: %w", ErrNotRunning)
	case Paused:
		if !o.IgnorePaused {
			return 0, fmt.Errorf("cannot exec in a paused container: %w", ErrPaused)
		}
	}
	spec := *c.st.Spec
	spec.Process = o.Process
	ns, err := process.PrivateNamespaces(spec.Linux.Namespaces)
	if err != nil {
		return 0, err
	}
	bs := &initproto.BootstrapData{}
	private := make([]specs.LinuxNamespaceType, 0, len(ns))
	for t := range ns {
		private = append(private, t)
	}
	for _, n := range spec.Linux.Namespaces {
		bs.NsPaths = append(bs.NsPaths, initproto.NsPath{
			Flag: nsFlags[n.Type], Path: fmt.Sprintf("/proc/%d/ns/%s", c.st.InitPid, nsFiles[n.Type]),
		})
	}
	var sigs chan os.Signal
	if !o.Detach {
		s, stop, err := foreground()
		if err != nil {
			return 0, err
		}
		defer stop()
		sigs = s
	}
	c.st.Spec = &spec // the terminal is the exec'd process's
	consoleChild, err := c.consoleSocket(o.ConsoleSocket, !o.Detach)
	if err != nil {
		return 0, err
	}
	if consoleChild != nil {
		defer consoleChild.Close()
	}
	preserve, listen := passedFds(o.PreserveFds)
	var cgDir *os.File
	if c.cg != nil {
		if cgDir, err = c.cg.CloneFD(); err != nil {
			return 0, err
		}
	}
	p, err := startInit(preserve, []namedFd{{initproto.EnvConsoleFd, consoleChild}}, cgDir, o.Debug)
	if cgDir != nil {
		cgDir.Close()
	}
	if err != nil {
		return 0, err
	}
	defer p.close()
	var placeCgroup func() error
	pid := 0
	if c.cg != nil && !p.inCgroup {
		place, wait := p.startMove(c.cg)
		defer wait()
		placeCgroup = func() error { return place(pid) }
	}
	pid, err = p.bootstrap(bs, spec.Linux)
	if err != nil {
		return 0, err
	}
	st, err := json.Marshal(c.State())
	if err != nil {
		return 0, err
	}
	cfg := &initproto.InitConfig{
		ID: c.st.ID, Spec: &spec, Bundle: c.st.Bundle, Rootfs: c.st.Rootfs, Exec: true,
		PreserveFds: preserve, ListenFds: listen, Private: private, State: st, Debug: o.Debug,
	}
	if err := p.configure(cfg, placeCgroup, nil); err != nil {
		killPid(pid)
		return 0, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, pid); err != nil {
			killPid(pid)
			return 0, err
		}
	}
	if err := p.finish(); err != nil {
		killPid(pid)
		return 0, err
	}
	if o.Detach {
		return 0, nil
	}
	finishTerminal, err := c.proxyTerminal()
	if err != nil {
		killPid(pid)
		return 0, err
	}
	code := waitProcess(pid, sigs)
	finishTerminal()
	return code, nil
}

// ExecArgs are the command-line parts of an exec'd process.
type ExecArgs struct {
	Args           []string
	Env            []string
	Cwd            string
	User           *specs.User
	AdditionalGids []uint32
	Caps           []string
	NoNewPrivs     bool
	Terminal       bool
}

// ExecProcess builds the process for `rt exec` from the container's own
// process (env, user, capabilities, rlimits...) and the command line, as
// runc does; a --process file replaces all of it.
func ExecProcess(root, id, processFile string, a *ExecArgs) (*specs.Process, error) {
	if processFile != "" {
		data, err := os.ReadFile(processFile)
		if err != nil {
			return nil, fmt.Errorf("read process file: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("parse process file %s: %w", processFile, err)
		}
		return &p, nil
	}
	if len(a.Args) == 0 {
		return nil, fmt.Errorf("exec: no command given")
	}
	c, err := Get(root, id)
	if err != nil {
		return nil, err
	}
	p := specs.Process{Cwd: "/"}
	if base := c.st.Spec.Process; base != nil {
		p = *base
	}
	p.Args = a.Args
	p.Terminal = a.Terminal
	p.Env = append(append([]string(nil), p.Env...), a.Env...)
	if a.Cwd != "" {
		p.Cwd = a.Cwd
	}
	if a.User != nil {
		p.User.UID, p.User.GID = a.User.UID, a.User.GID
	}
	p.User.AdditionalGids = append(p.User.AdditionalGids, a.AdditionalGids...)
	if len(a.Caps) > 0 {
		caps := specs.LinuxCapabilities{}
		if p.Capabilities != nil {
			caps = *p.Capabilities
		}
		for _, cp := range a.Caps {
			caps.Bounding = append(caps.Bounding, cp)
			caps.Effective = append(caps.Effective, cp)
			caps.Permitted = append(caps.Permitted, cp)
			caps.Ambient = append(caps.Ambient, cp)
		}
		p.Capabilities = &caps
	}
	if a.NoNewPrivs {
		p.NoNewPrivileges = true
	}
	return &p, nil
}
