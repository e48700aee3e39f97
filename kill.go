package main

import (
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
	"rt/libcontainer/signals"
)

var killCommand = &cli.Command{
	Name:      "kill",
	Usage:     "send a signal (default TERM) to a container's init",
	ArgsUsage: "<container-id> [signal]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process of the container"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 2); err != nil {
			return err
		}
		name := "TERM"
		if ctx.NArg() == 2 {
			name = ctx.Args().Get(1)
		}
		sig, err := signals.Parse(name)
		if err != nil {
			return err
		}
		c, err := container.Load(ctx.String("root"), ctx.Args().First())
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Signal(sig, ctx.Bool("all"))
	},
}
