package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var stateCommand = &cli.Command{
	Name:      "state",
	Usage:     "print the state of a container as JSON",
	ArgsUsage: "<container-id>",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		c, err := container.Get(ctx.String("root"), ctx.Args().First())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c.State())
	},
}
