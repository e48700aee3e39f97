package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var psCommand = &cli.Command{
	Name:      "ps",
	Usage:     "list the processes of a container",
	ArgsUsage: "<container-id> [ps options]",
	Description: `With --format table (the default) runs ps(1) with the given options
(default -ef) and prints its header and the rows of the container's
processes. With --format json prints the pids as a JSON array.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, -1); err != nil {
			return err
		}
		c, err := container.Get(ctx.String("root"), ctx.Args().First())
		if err != nil {
			return err
		}
		pids, err := c.Processes()
		if err != nil {
			return err
		}
		switch ctx.String("format") {
		case "json":
			if pids == nil {
				pids = []int{}
			}
			return json.NewEncoder(os.Stdout).Encode(pids)
		case "table":
			return psTable(ctx.Args().Tail(), pids)
		default:
			return fmt.Errorf("invalid format %q: want table or json", ctx.String("format"))
		}
	},
}

// psTable runs ps with args and keeps the header and the rows whose PID
// column is one of pids, as runc does.
func psTable(args []string, pids []int) error {
	if len(args) == 0 {
		args = []string{"-ef"}
	}
	out, err := exec.Command("ps", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ps %s: %w: %s", strings.Join(args, " "), err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	col := -1
	for i, title := range strings.Fields(lines[0]) {
		if title == "PID" {
			col = i
			break
		}
	}
	if col < 0 {
		return errors.New("couldn't find PID field in ps output")
	}
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	fmt.Println(lines[0])
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= col {
			continue
		}
		p, err := strconv.Atoi(fields[col])
		if err != nil {
			return fmt.Errorf("unable to parse pid %q: %w", fields[col], err)
		}
		if in[p] {
			fmt.Println(line)
		}
	}
	return nil
}
