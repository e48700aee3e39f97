package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"rt/libcontainer/bundle"
	"rt/libcontainer/cgroups"
	"rt/libcontainer/containerinit"
	"rt/libcontainer/hooks"
	"rt/libcontainer/initproto"
	"rt/libcontainer/process"
	"rt/libcontainer/rootfs"
	"rt/libcontainer/state"
)

// CreateOpts are `rt create`'s options.
type CreateOpts struct {
	Root          string
	ID            string
	Bundle        string
	PidFile       string
	ConsoleSocket string
	NoPivot       bool
	NoNewKeyring  bool
	PreserveFds   int
	Debug         bool
	SystemdCgroup bool // --systemd-cgroup: refused, rt has no systemd driver yet
	// foreground: `rt run` without -d, which may hold the terminal itself.
	foreground bool
}

// Create makes a container whose init waits on the exec fifo. On failure
// nothing is left: no process, cgroup or state directory.
func Create(o *CreateOpts) (*Container, error) {
	if o.SystemdCgroup {
		// Better than putting a "slice:prefix:name" path under /rt.
		return nil, errors.New("the systemd cgroup driver (--systemd-cgroup) is not supported yet: use cgroupfs")
	}
	b, err := bundle.Load(o.Bundle)
	if err != nil {
		return nil, err
	}
	ns, err := process.PrivateNamespaces(b.Spec.Linux.Namespaces)
	if err != nil {
		return nil, err
	}
	if err := containerinit.Validate(b.Spec, ns); err != nil {
		return nil, err
	}
	bs, err := bootstrapData(b.Spec)
	if err != nil {
		return nil, err
	}
	warnUnsupported(b.Spec)
	var private []specs.LinuxNamespaceType
	for t := range ns {
		private = append(private, t)
	}
	store := &state.Store{Root: o.Root}
	lock, err := store.Create(o.ID)
	if err != nil {
		return nil, err
	}
	c := &Container{store: store, lock: lock, st: &state.State{
		ID: o.ID, Bundle: b.Dir, Rootfs: b.Rootfs, Created: time.Now(), Creating: true, Spec: b.Spec,
	}}
	if err := c.create(o, b, bs, private); err != nil {
		c.abort()
		return nil, err
	}
	return c, nil
}

// warnUnsupported says which security settings of the config rt does not
// apply yet (they belong to the security layer): silently running a
// container with less confinement than asked would be worse.
func warnUnsupported(s *specs.Spec) {
	if s.Linux.Seccomp != nil {
		logrus.Warn("linux.seccomp is not supported yet: the container runs without a seccomp filter")
	}
	if s.Process != nil && s.Process.ApparmorProfile != "" {
		logrus.Warnf("process.apparmorProfile %q is not applied: AppArmor is not supported yet", s.Process.ApparmorProfile)
	}
}

// abort undoes a failed create.
func (c *Container) abort() {
	if c.st.InitPid > 0 {
		c.killAll()
	}
	if c.cg != nil {
		_ = c.cg.Destroy()
	}
	if !c.hasNamespace(specs.MountNamespace) {
		_ = rootfs.Release(c.st.Rootfs)
	}
	_ = c.store.Remove(c.st.ID)
	c.lock.Unlock()
}

func (c *Container) create(o *CreateOpts, b *bundle.Bundle, bs *initproto.BootstrapData, private []specs.LinuxNamespaceType) error {
	cg, err := cgroups.New(b.Spec.Linux.CgroupsPath, o.ID)
	if err != nil {
		return err
	}
	c.cg = cg
	if c.st.Cgroups, err = cg.Marshal(); err != nil {
		return err
	}
	// Saved before anything else exists, so that `delete --force` can clean
	// up after an `rt create` killed at any later point.
	if err := c.store.Save(c.st); err != nil {
		return err
	}
	fifo, err := makeFifo(c.fifoPath())
	if err != nil {
		return err
	}
	defer fifo.Close()

	consoleChild, err := c.consoleSocket(o.ConsoleSocket, o.foreground)
	if err != nil {
		return err
	}
	if consoleChild != nil {
		defer consoleChild.Close()
	}
	cgDir, err := cg.CloneFD()
	if err != nil {
		return err
	}
	preserve, listen := passedFds(o.PreserveFds)
	p, err := startInit(preserve, []namedFd{{initproto.EnvFifoFd, fifo}, {initproto.EnvConsoleFd, consoleChild}}, cgDir, o.Debug)
	if cgDir != nil {
		cgDir.Close()
	}
	if err != nil {
		return err
	}
	defer p.close()
	// placeCgroup, when set, puts the forked init in its cgroups while it
	// starts (message 5a in initproto: the cgroup v1 case).
	var placeCgroup func() error
	unshareCgroupNS := false
	if p.inCgroup {
		if err := cg.Set(b.Spec.Linux.Resources); err != nil {
			p.kill()
			return err
		}
	} else {
		// The move overlaps the init's start; its cgroup namespace must
		// then be made after the move, by the init itself.
		place, wait := p.startMove(cg)
		defer wait()
		if bs.CloneFlags&unix.CLONE_NEWCGROUP != 0 {
			bs.CloneFlags &^= unix.CLONE_NEWCGROUP
			unshareCgroupNS = true
		}
		placeCgroup = func() error {
			if err := place(c.st.InitPid); err != nil {
				return err
			}
			return cg.Set(b.Spec.Linux.Resources)
		}
	}
	pid, err := p.bootstrap(bs, b.Spec.Linux)
	if err != nil {
		return err
	}
	c.st.InitPid = pid
	if c.st.InitStart, _, err = state.ProcStart(pid); err != nil {
		return fmt.Errorf("init %d: %w", pid, err)
	}
	// Hooks may ask `rt state` for the pid; without hooks nobody can look
	// before the final save (and a killed create is cleaned up through the
	// cgroup saved above), so spare the write.
	//lint:ignore SA1019 Prestart is deprecated but still honoured.
	if h := b.Spec.Hooks; h != nil && (len(h.Prestart) > 0 || len(h.CreateRuntime) > 0) {
		if err := c.store.Save(c.st); err != nil {
			return err
		}
	}
	hookState, err := json.Marshal(c.ociState(Creating))
	if err != nil {
		return err
	}
	cfg := &initproto.InitConfig{
		State: hookState, Debug: o.Debug,
		ID: o.ID, Spec: b.Spec, Bundle: b.Dir, Rootfs: b.Rootfs, NoPivot: o.NoPivot,
		NoNewKeyring: o.NoNewKeyring, PreserveFds: preserve, ListenFds: listen, Private: private,
		NewUserNS: bs.CloneFlags&unix.CLONE_NEWUSER != 0, UnshareCgroupNS: unshareCgroupNS,
	}
	if err := p.configure(cfg, placeCgroup, func() error { return c.runCreateHooks() }); err != nil {
		return err
	}
	c.st.Creating = false
	if err := c.store.Save(c.st); err != nil {
		return err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, pid); err != nil {
			return err
		}
	}
	return p.finish()
}

// runCreateHooks runs prestart and createRuntime hooks in rt's namespaces.
func (c *Container) runCreateHooks() error {
	h := c.st.Spec.Hooks
	if h == nil {
		return nil
	}
	st, err := json.Marshal(c.ociState(Creating))
	if err != nil {
		return err
	}
	//lint:ignore SA1019 Prestart is deprecated but still honoured.
	if err := hooks.Run("prestart", h.Prestart, st); err != nil {
		return err
	}
	return hooks.Run("createRuntime", h.CreateRuntime, st)
}

// passedFds returns how many fds from 3 on go to the container, and its
// LISTEN_FDS. Under socket activation (LISTEN_PID is rt) the activation fds
// come first, then --preserve-fds ones, as with runc.
func passedFds(preserve int) (total, listen int) {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 || os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return preserve, preserve
	}
	return n + preserve, n
}

func makeFifo(path string) (*os.File, error) {
	old := unix.Umask(0)
	err := unix.Mkfifo(path, 0o622)
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("create exec fifo %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open exec fifo %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// writePidFile writes the pid in decimal, no newline, atomically.
func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(abs, []byte(strconv.Itoa(pid)), 0o644)
}
