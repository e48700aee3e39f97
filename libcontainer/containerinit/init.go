// Package containerinit is the Go side of the container's init: it runs in
// the process the C stage forked into the new namespaces, sets up the
// rootfs and the process as config.json says, waits on the exec fifo and
// execs the user's process. It speaks initproto to the parent and owns the
// order of the set-up steps; each step's mechanics live in rootfs, process,
// security/caps and hooks. It must never outlive its parent's interest: an
// EOF on the sync socket before Created ends it.
package containerinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"rt/libcontainer/bundle"
	"rt/libcontainer/console"
	"rt/libcontainer/hooks"
	"rt/libcontainer/initproto"
	"rt/libcontainer/logs"
	"rt/libcontainer/process"
	"rt/libcontainer/rootfs"
)

// Main is `rt init`. It never returns: it execs the user's process or exits.
func Main() {
	// Capabilities, keepcaps and no_new_privs are per thread: everything,
	// up to the exec, happens on this one.
	runtime.LockOSThread()

	syncFile, err := envFile(initproto.EnvSyncFd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rt init:", err)
		os.Exit(1)
	}
	logFile, _ := envFile(initproto.EnvLogFd)
	if logFile != nil {
		logs.ToPipe(logFile, os.Getenv("_RT_DEBUG") != "")
	}
	if err := run(syncFile, logFile); err != nil {
		// The parent may be gone already: nothing else to report to.
		_ = initproto.Send(syncFile, initproto.Error, []byte(err.Error()))
		os.Exit(1)
	}
	os.Exit(0) // not reached: run execs or fails
}

func envFile(name string) (*os.File, error) {
	fd, err := strconv.Atoi(os.Getenv(name))
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s not set: rt init is internal to rt", name)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// run is the init's whole sequence; its order follows runc's.
func run(sync, logFile *os.File) error {
	data, err := initproto.Recv(sync, initproto.Config)
	if err != nil {
		return err
	}
	var cfg initproto.InitConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("decode init config: %w", err)
	}
	// Computed by the parent: from inside, a joined namespace looks like
	// our own.
	ns := process.NamespaceSet{}
	for _, t := range cfg.Private {
		ns[t] = true
	}
	p, err := prepareProcess(cfg.Spec, ns)
	if err != nil {
		return err
	}
	if cfg.Exec {
		return runExec(sync, logFile, &cfg, p)
	}
	return runCreate(sync, logFile, &cfg, ns, p)
}

// placed waits until the parent has put us in our cgroups (message 5a) and
// then makes the cgroup namespace, whose root is the cgroup we are in. It
// is this thread's (the one that execs): unshare(2) of a cgroup namespace
// changes the calling thread only.
func placed(sync *os.File, cfg *initproto.InitConfig) error {
	if err := initproto.Expect(sync, initproto.CgroupReady); err != nil {
		return err
	}
	if cfg.UnshareCgroupNS {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("unshare cgroup namespace: %w", err)
		}
	}
	return nil
}

// runCreate sets up a new container: rootfs, hooks, the process; then it
// waits for `rt start`.
func runCreate(sync, logFile *os.File, cfg *initproto.InitConfig, ns process.NamespaceSet, p *proc) (err error) {
	spec := cfg.Spec

	rc := &rootfs.Config{
		Spec: spec, Rootfs: cfg.Rootfs, Bundle: cfg.Bundle, NoPivot: cfg.NoPivot,
		UserNS: cfg.NewUserNS || joinedUserNS(spec), CgroupNS: ns.Has(specs.CgroupNamespace),
		HostMountNS: !ns.Has(specs.MountNamespace),
	}
	if cfg.CgroupReady {
		// Mount what needs no cgroup while the parent moves us.
		rc.WaitCgroup = func() error { return placed(sync, cfg) }
	}
	if rc.HostMountNS {
		// Our mounts are in the runtime's namespace: a failed create must
		// take them away (a successful one leaves that to delete).
		defer func() {
			if err != nil {
				_ = rootfs.Release(rc.Rootfs)
			}
		}()
	}
	if err = rootfs.Prepare(rc); err != nil {
		return err
	}
	// Message 6/7: the parent runs prestart and createRuntime hooks.
	if err := initproto.Send(sync, initproto.RunHooks, nil); err != nil {
		return err
	}
	if err := initproto.Expect(sync, initproto.HooksDone); err != nil {
		return err
	}
	if h := spec.Hooks; h != nil && len(h.CreateContainer) > 0 {
		if err := hooks.Run("createContainer", h.CreateContainer, inContainer(cfg.State, "creating")); err != nil {
			return err
		}
	}
	if err := rootfs.Enter(rc); err != nil {
		return err
	}
	if p != nil {
		// As root and before the root turns read-only: a missing cwd is
		// created, as runc does.
		if err := process.Chdir(p.spec.Cwd); err != nil {
			return err
		}
		if err := setupTerminal(p.spec, true); err != nil {
			return err
		}
	}
	if !cfg.NoNewKeyring {
		// A private session keyring, so containers do not share the host's.
		if _, err := unix.KeyctlJoinSessionKeyring("_ses." + cfg.ID); err != nil && !errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("join session keyring: %w", err)
		}
	}
	if ns.Has(specs.UTSNamespace) {
		if err := process.SetHostname(spec.Hostname, spec.Domainname); err != nil {
			return err
		}
	}
	// Before readonlyPaths make /proc/sys read-only.
	if err := process.WriteSysctl(spec.Linux.Sysctl); err != nil {
		return err
	}
	if err := rootfs.Finish(rc); err != nil {
		return err
	}
	if p != nil {
		if err := p.setup(cfg.PreserveFds, cfg.ListenFds); err != nil {
			return err
		}
	}

	if err := ready(sync, logFile); err != nil {
		return err
	}
	return waitStart(cfg, p)
}

// runExec starts a process in a running container's namespaces (joined by
// the C stage): no rootfs to set up, no fifo to wait on.
func runExec(sync, logFile *os.File, cfg *initproto.InitConfig, p *proc) error {
	if p == nil {
		return errors.New("exec: no process given")
	}
	if cfg.CgroupReady {
		if err := placed(sync, cfg); err != nil {
			return err
		}
	}
	if _, ok := bundle.Namespace(cfg.Spec, specs.MountNamespace); !ok {
		// No mount namespace to join: the container's root is a chroot.
		if err := unix.Chroot(cfg.Rootfs); err != nil {
			return fmt.Errorf("chroot %s: %w", cfg.Rootfs, err)
		}
	}
	if err := setupTerminal(p.spec, false); err != nil {
		return err
	}
	if err := process.Chdir(p.spec.Cwd); err != nil {
		return err
	}
	if err := p.setup(cfg.PreserveFds, cfg.ListenFds); err != nil {
		return err
	}
	if err := ready(sync, logFile); err != nil {
		return err
	}
	if err := p.finish(); err != nil {
		return err
	}
	return fmt.Errorf("exec %s: %w", p.path, syscall.Exec(p.path, p.spec.Args, p.env))
}

// ready is messages 8/9: the init closes its log (so the parent has every
// line), reports ready and waits for the parent's Created.
func ready(sync, logFile *os.File) error {
	logrus.SetOutput(io.Discard)
	if logFile != nil {
		logFile.Close()
	}
	if err := initproto.Send(sync, initproto.Ready, nil); err != nil {
		return err
	}
	if err := initproto.Expect(sync, initproto.Created); err != nil {
		return err
	}
	return sync.Close()
}

// joinedUserNS tells whether the config joins a user namespace by path.
func joinedUserNS(s *specs.Spec) bool {
	n, ok := bundle.Namespace(s, specs.UserNamespace)
	return ok && n.Path != ""
}

// waitStart blocks on the exec fifo until `rt start`, then execs. From here
// on, errors go to `rt start` through the fifo.
func waitStart(cfg *initproto.InitConfig, p *proc) error {
	fifoFile, err := envFile(initproto.EnvFifoFd)
	if err != nil {
		return err
	}
	// The fd is O_PATH: reopen it for writing through /proc. This blocks
	// until `rt start` opens the other end.
	fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fifoFile.Fd()), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	fifoFile.Close()
	fifo := os.NewFile(uintptr(fd), "exec.fifo")
	fail := func(err error) error {
		_, _ = fifo.Write([]byte(err.Error()))
		os.Exit(1)
		return err
	}
	if _, err := fifo.Write([]byte("0")); err != nil {
		return fmt.Errorf("write exec fifo: %w", err)
	}
	if p == nil {
		return fail(errors.New("config.json has no process to start"))
	}
	if h := cfg.Spec.Hooks; h != nil && len(h.StartContainer) > 0 {
		st := inContainer(cfg.State, "created")
		if err := hooks.Run("startContainer", h.StartContainer, st); err != nil {
			return fail(err)
		}
	}
	if err := p.finish(); err != nil {
		return fail(err)
	}
	err = syscall.Exec(p.path, p.spec.Args, p.env)
	return fail(fmt.Errorf("exec %s: %w", p.path, err))
}

// setupTerminal gives the process a pty from the container's /dev/pts,
// sends the master to the caller and, for a new container, binds the slave
// on /dev/console.
func setupTerminal(p *specs.Process, devConsole bool) error {
	if !p.Terminal {
		return nil
	}
	sock, err := envFile(initproto.EnvConsoleFd)
	if err != nil {
		return fmt.Errorf("process.terminal: %w", err)
	}
	defer sock.Close()
	master, slave, err := console.OpenPty()
	if err != nil {
		return err
	}
	defer master.Close()
	defer slave.Close()
	if cs := p.ConsoleSize; cs != nil {
		if err := console.SetSize(slave, cs.Height, cs.Width); err != nil {
			return err
		}
	}
	if devConsole {
		if err := console.BindConsole(slave); err != nil {
			return err
		}
	}
	if err := console.SendMaster(sock, master); err != nil {
		return err
	}
	return console.BecomeStdio(slave)
}

// inContainer returns the state JSON for a hook run in the container's
// namespaces: the pid as the container sees it (the spec, since 1.0.2).
func inContainer(st json.RawMessage, status string) []byte {
	var m map[string]any
	if json.Unmarshal(st, &m) != nil {
		return st
	}
	m["status"] = status
	m["pid"] = os.Getpid()
	out, err := json.Marshal(m)
	if err != nil {
		return st
	}
	return out
}
