package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"rt/libcontainer/bundle"
	"rt/libcontainer/cgroups"
	"rt/libcontainer/containerinit"
	"rt/libcontainer/hooks"
	"rt/libcontainer/initproto"
	"rt/libcontainer/logs"
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
	// foreground: `rt run` without -d, which may hold the terminal itself.
	foreground bool
}

// Create makes a container whose init waits on the exec fifo. On failure
// nothing is left: no process, cgroup or state directory.
func Create(o *CreateOpts) (*Container, error) {
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
	if err := cg.Apply(p.cmd.Process.Pid); err != nil {
		p.kill()
		return err
	}
	if err := cg.Set(b.Spec.Linux.Resources); err != nil {
		p.kill()
		return err
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
		NewUserNS: bs.CloneFlags&unix.CLONE_NEWUSER != 0,
	}
	if err := p.configure(cfg, func() error { return c.runCreateHooks() }); err != nil {
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

// initProcess is the parent's end of one init being set up.
type initProcess struct {
	cmd     *exec.Cmd
	sync    *os.File
	logDone chan struct{}
}

// namedFd is a descriptor handed to the init, its number in env var Env.
type namedFd struct {
	Env  string
	File *os.File
}

// startInit starts `/proc/self/exe init` with the descriptors initproto
// lists (extra: the optional ones); its stdio is rt's own. With cgroupDir
// (cgroup v2) it is cloned straight into that cgroup: no migration later.
func startInit(preserveFds int, extra []namedFd, cgroupDir *os.File, debug bool) (*initProcess, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sync socketpair: %w", err)
	}
	parentSync, childSync := os.NewFile(uintptr(fds[0]), "sync"), os.NewFile(uintptr(fds[1]), "sync-child")
	defer childSync.Close()
	logR, logW, err := os.Pipe()
	if err != nil {
		parentSync.Close()
		return nil, fmt.Errorf("log pipe: %w", err)
	}
	defer logW.Close()

	cmd := exec.Command("/proc/self/exe", "init")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	for i := 0; i < preserveFds; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved"))
	}
	base := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, childSync, logW)
	cmd.Env = []string{
		fmt.Sprintf("%s=%d", initproto.EnvSyncFd, base),
		fmt.Sprintf("%s=%d", initproto.EnvLogFd, base+1),
	}
	for _, f := range extra {
		if f.File == nil {
			continue
		}
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", f.Env, 3+len(cmd.ExtraFiles)))
		cmd.ExtraFiles = append(cmd.ExtraFiles, f.File)
	}
	if debug {
		cmd.Env = append(cmd.Env, "_RT_DEBUG=1")
	}
	if cgroupDir != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(cgroupDir.Fd())}
	}
	err = cmd.Start()
	if err != nil && cgroupDir != nil {
		// A kernel without clone3 into a cgroup: start normally, and let
		// the cgroup's Apply move the process.
		retry := exec.Command(cmd.Path, cmd.Args[1:]...)
		retry.Stdin, retry.Stdout, retry.Stderr = cmd.Stdin, cmd.Stdout, cmd.Stderr
		retry.ExtraFiles, retry.Env = cmd.ExtraFiles, cmd.Env
		cmd = retry
		err = cmd.Start()
	}
	if err != nil {
		parentSync.Close()
		logR.Close()
		return nil, fmt.Errorf("start init: %w", err)
	}
	p := &initProcess{cmd: cmd, sync: parentSync, logDone: make(chan struct{})}
	go func() {
		logs.Forward(logR)
		logR.Close()
		close(p.logDone)
	}()
	return p, nil
}

// bootstrap drives the C stage (messages 1-4) and returns the init's pid.
func (p *initProcess) bootstrap(bs *initproto.BootstrapData, l *specs.Linux) (int, error) {
	if err := initproto.Send(p.sync, initproto.Bootstrap, bs.Encode()); err != nil {
		return 0, p.fail(err)
	}
	if bs.CloneFlags&unix.CLONE_NEWUSER != 0 {
		if err := initproto.Expect(p.sync, initproto.UsermapReq); err != nil {
			return 0, p.fail(err)
		}
		if err := writeIDMaps(p.cmd.Process.Pid, l); err != nil {
			return 0, p.fail(err)
		}
		if err := initproto.Send(p.sync, initproto.UsermapAck, nil); err != nil {
			return 0, p.fail(err)
		}
	}
	payload, err := initproto.Recv(p.sync, initproto.InitPid)
	if err != nil {
		return 0, p.fail(err)
	}
	if len(payload) != 4 {
		return 0, p.fail(fmt.Errorf("init-pid message of %d bytes", len(payload)))
	}
	pid := int(int32(nativeUint32(payload)))
	if err := p.cmd.Wait(); err != nil {
		return 0, fmt.Errorf("init stage 0: %w", err)
	}
	return pid, nil
}

// configure drives messages 5-8: sends the config, runs the runtime hooks
// when the init asks, and waits until the init is ready.
func (p *initProcess) configure(cfg *initproto.InitConfig, runHooks func() error) error {
	data, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode init config: %w", err)
	}
	if err := initproto.Send(p.sync, initproto.Config, data); err != nil {
		return err
	}
	if runHooks != nil {
		if err := initproto.Expect(p.sync, initproto.RunHooks); err != nil {
			return p.initErr(err)
		}
		if err := runHooks(); err != nil {
			return err
		}
		if err := initproto.Send(p.sync, initproto.HooksDone, nil); err != nil {
			return err
		}
	}
	if err := initproto.Expect(p.sync, initproto.Ready); err != nil {
		return p.initErr(err)
	}
	// The init closed its log pipe before Ready: every line is forwarded.
	<-p.logDone
	return nil
}

// finish tells the init its container is saved (message 9).
func (p *initProcess) finish() error {
	return initproto.Send(p.sync, initproto.Created, nil)
}

// initErr returns the init's own error once its logs are forwarded.
func (p *initProcess) initErr(err error) error {
	if errors.Is(err, initproto.ErrPeer) {
		select {
		case <-p.logDone:
		case <-time.After(time.Second):
		}
	}
	return err
}

// fail kills stage 0 after a protocol failure and returns err.
func (p *initProcess) fail(err error) error {
	p.kill()
	return p.initErr(err)
}

func (p *initProcess) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

func (p *initProcess) close() { p.sync.Close() }
