package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var eventsCommand = &cli.Command{
	Name:      "events",
	Usage:     "print a container's stats and OOM events as JSON lines",
	ArgsUsage: "<container-id>",
	Description: `Prints {"type":"stats","id":ID,"data":{...}} every --interval and
{"type":"oom","id":ID} at each out-of-memory event, until the container
stops. With --stats, prints one stats event and exits.`,
	Flags: []cli.Flag{
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats events"},
		&cli.BoolFlag{Name: "stats", Usage: "print one stats event and exit"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		// Read without the lock: the stream must not block kill or delete.
		c, err := container.Get(ctx.String("root"), ctx.Args().First())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		if ctx.Bool("stats") {
			ev, err := c.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(ev)
		}
		return c.Events(ctx.Duration("interval"), func(ev *container.Event) error { return enc.Encode(ev) })
	},
}
