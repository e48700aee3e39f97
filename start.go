package main

import (
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "start the process of a created container",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		c, err := container.Load(ctx.String("root"), ctx.Args().First())
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Start()
	},
}
