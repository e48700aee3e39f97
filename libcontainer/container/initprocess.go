package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"rt/libcontainer/cgroups"
	"rt/libcontainer/initproto"
	"rt/libcontainer/logs"
)

// The parent's end of the init protocol (initproto): starting the init and
// driving its messages, for create and exec alike.

// namedFd is a descriptor handed to the init, its number in env var Env.
type namedFd struct {
	Env  string
	File *os.File
}

// initProcess is the parent's end of one init being set up.
type initProcess struct {
	cmd     *exec.Cmd
	sync    *os.File
	logDone chan struct{}
	// inCgroup: cloned straight into its (v2) cgroup, no move needed.
	inCgroup bool
}

// startMove begins moving stage 0 into cg's cgroups, in the background: a
// cgroup v1 move waits for a kernel RCU grace period (7-14 ms), so the init
// starts meanwhile and is placed later (message 5a). place finishes the job
// with the init's own pid; wait must be called before anything may race
// the move (cleanup included).
func (p *initProcess) startMove(cg cgroups.Manager) (place func(initPid int) error, wait func()) {
	early := make(chan struct{})
	go func() {
		// Stage 0's child is then likely born inside; a failure shows
		// again in place, for the init itself.
		_ = cg.Apply(p.cmd.Process.Pid)
		close(early)
	}()
	wait = func() { <-early }
	place = func(initPid int) error {
		<-early
		return cg.Apply(initPid)
	}
	return place, wait
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
	inCgroup := err == nil && cgroupDir != nil
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
	p := &initProcess{cmd: cmd, sync: parentSync, logDone: make(chan struct{}), inCgroup: inCgroup}
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

// configure drives messages 5-8: sends the config, places the init in its
// cgroups (5a, when placeCgroup is given), runs the runtime hooks when the
// init asks, and waits until the init is ready.
func (p *initProcess) configure(cfg *initproto.InitConfig, placeCgroup, runHooks func() error) error {
	cfg.CgroupReady = placeCgroup != nil
	data, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode init config: %w", err)
	}
	if err := initproto.Send(p.sync, initproto.Config, data); err != nil {
		return err
	}
	if placeCgroup != nil {
		if err := placeCgroup(); err != nil {
			return err
		}
		if err := initproto.Send(p.sync, initproto.CgroupReady, nil); err != nil {
			return err
		}
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
