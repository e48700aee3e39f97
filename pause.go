package main

import (
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var pauseCommand = &cli.Command{
	Name:      "pause",
	Usage:     "freeze every process of a container",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		return withContainer(ctx, (*container.Container).Pause)
	},
}

var resumeCommand = &cli.Command{
	Name:      "resume",
	Usage:     "thaw a paused container",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		return withContainer(ctx, (*container.Container).Resume)
	},
}

// withContainer runs f on the locked container named by the one argument.
func withContainer(ctx *cli.Context, f func(*container.Container) error) error {
	if err := checkArgs(ctx, 1, 1); err != nil {
		return err
	}
	c, err := container.Load(ctx.String("root"), ctx.Args().First())
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}
