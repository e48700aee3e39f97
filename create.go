package main

import (
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the bundle"},
	&cli.StringFlag{Name: "pid-file", Usage: "file to write the init's pid to"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket to send the pty master to"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE and chroot instead of pivot_root"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass fds 3..3+N-1 to the container"},
}

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "create a container; its process waits for start",
	ArgsUsage: "<container-id>",
	Flags:     createFlags,
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		c, err := container.Create(createOpts(ctx))
		if err != nil {
			return err
		}
		c.Close()
		return nil
	},
}

func createOpts(ctx *cli.Context) *container.CreateOpts {
	return &container.CreateOpts{
		Root:          ctx.String("root"),
		ID:            ctx.Args().First(),
		Bundle:        ctx.String("bundle"),
		PidFile:       ctx.String("pid-file"),
		ConsoleSocket: ctx.String("console-socket"),
		NoPivot:       ctx.Bool("no-pivot"),
		NoNewKeyring:  ctx.Bool("no-new-keyring"),
		PreserveFds:   ctx.Int("preserve-fds"),
		Debug:         ctx.Bool("debug"),
		SystemdCgroup: ctx.Bool("systemd-cgroup"),
	}
}
