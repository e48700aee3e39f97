package main

import (
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container, and wait for it unless detached",
	ArgsUsage: "<container-id>",
	Flags: append([]cli.Flag{
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the container"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "accepted for runc compatibility"},
	}, createFlags...),
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		code, err := container.Run(createOpts(ctx), ctx.Bool("detach"), ctx.Bool("keep"))
		if err != nil {
			return err
		}
		if code != 0 {
			return &exitError{code: code}
		}
		return nil
	},
}
