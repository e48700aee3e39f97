package main

import (
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var deleteCommand = &cli.Command{
	Name:      "delete",
	Usage:     "delete a stopped container (with --force, any container)",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container first"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		return container.DeleteID(ctx.String("root"), ctx.Args().First(), ctx.Bool("force"))
	},
}
