package main

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var execCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run a process in a running container",
	ArgsUsage: "<container-id> [command args...]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "JSON file with the process (runtime-spec Process)"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the process's pid to"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket to send the pty master to"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "environment variable (repeatable)"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-TTY"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID]"},
		&cli.Int64SliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "additional gid (repeatable)"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability (repeatable)"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass fds 3..3+N-1 to the process"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "exec even if the container is paused"},
		&cli.StringFlag{Name: "process-label", Hidden: true},
		&cli.StringFlag{Name: "apparmor", Hidden: true},
		&cli.StringFlag{Name: "cgroup", Hidden: true},
	},
	Action: func(ctx *cli.Context) error {
		code, err := doExec(ctx)
		if err != nil {
			// runc's exit code for a failed exec, which callers expect.
			return &exitError{code: 255, err: fmt.Errorf("exec failed: %w", err)}
		}
		if code != 0 {
			return &exitError{code: code}
		}
		return nil
	},
}

func doExec(ctx *cli.Context) (int, error) {
	if err := checkArgs(ctx, 1, -1); err != nil {
		return 0, err
	}
	root, id := ctx.String("root"), ctx.Args().First()
	a := &container.ExecArgs{
		Args: ctx.Args().Tail(), Env: ctx.StringSlice("env"), Cwd: ctx.String("cwd"),
		Caps: ctx.StringSlice("cap"), NoNewPrivs: ctx.Bool("no-new-privs"), Terminal: ctx.Bool("tty"),
	}
	for _, g := range ctx.Int64Slice("additional-gids") {
		a.AdditionalGids = append(a.AdditionalGids, uint32(g))
	}
	if u := ctx.String("user"); u != "" {
		user, err := parseUser(u)
		if err != nil {
			return 0, err
		}
		a.User = user
	}
	p, err := container.ExecProcess(root, id, ctx.String("process"), a)
	if err != nil {
		return 0, err
	}
	return container.Exec(&container.ExecOpts{
		Root: root, ID: id, Process: p, Detach: ctx.Bool("detach"), PidFile: ctx.String("pid-file"),
		ConsoleSocket: ctx.String("console-socket"), PreserveFds: ctx.Int("preserve-fds"), IgnorePaused: ctx.Bool("ignore-paused"), Debug: ctx.Bool("debug"),
	})
}

// parseUser reads UID[:GID].
func parseUser(s string) (*specs.User, error) {
	us, gs, hasGid := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("invalid --user %q: want UID[:GID]", s)
	}
	u := &specs.User{UID: uint32(uid)}
	if hasGid {
		gid, err := strconv.ParseUint(gs, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("invalid --user %q: want UID[:GID]", s)
		}
		u.GID = uint32(gid)
	}
	return u, nil
}
