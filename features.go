package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"

	"rt/libcontainer/features"
)

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print what rt supports, as JSON",
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 0, 0); err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(features.Get())
	},
}
