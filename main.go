// rt is a daemonless OCI container runtime with runc's command line.
//
// Every container start runs this binary twice (rt and the container's
// init), so start-up matters: the runtime must not read cgroup files to
// size GOMAXPROCS, nor re-read them later.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"rt/libcontainer/containerinit"
	"rt/libcontainer/logs"
	_ "rt/libcontainer/nsexec" // the C init stage: a constructor run before Go starts
)

// version is set by the Makefile.
var version = "0.1.0"

func main() {
	// The container's init takes no flags and must start fast.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		containerinit.Main()
	}
	app := &cli.App{
		Name:    "rt",
		Usage:   "a daemonless OCI container runtime",
		Version: version,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: "/run/rt", Usage: "directory for container state"},
			&cli.StringFlag{Name: "log", Usage: "log file (default: stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "debug logging"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "use the systemd cgroup driver (not supported)"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "rootless mode: true, false or auto"},
			&cli.StringFlag{Name: "criu", Hidden: true},
		},
		Commands: []*cli.Command{
			createCommand, startCommand, runCommand, execCommand, stateCommand, killCommand, deleteCommand,
			listCommand, specCommand, featuresCommand,
			updateCommand, pauseCommand, resumeCommand, psCommand, eventsCommand,
		},
		Before: func(ctx *cli.Context) error {
			return logs.Setup(ctx.String("log"), ctx.String("log-format"), ctx.Bool("debug"))
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	cli.VersionPrinter = func(ctx *cli.Context) {
		fmt.Printf("rt version %s\nspec: %s\n", ctx.App.Version, specs.Version)
	}
	if err := app.Run(os.Args); err != nil {
		fatal(err)
	}
}

// exitError carries an exit code other than 1: the status of run's or
// exec's process, or exec's own 255 with its error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

// fatal logs err once where the logs go and on stderr, and exits 1 (or
// the exitError's code).
func fatal(err error) {
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			os.Exit(ee.code)
		}
		code, err = ee.code, ee.err
	}
	logrus.Error(err)
	if logrus.StandardLogger().Out != os.Stderr {
		fmt.Fprintln(os.Stderr, "rt:", err)
	}
	os.Exit(code)
}

// checkArgs enforces a command's number of positional arguments.
func checkArgs(ctx *cli.Context, min, max int) error {
	n := ctx.NArg()
	if n < min || (max >= 0 && n > max) {
		return fmt.Errorf("%s: wrong number of arguments (%d); usage: rt %s %s",
			ctx.Command.Name, n, ctx.Command.Name, ctx.Command.ArgsUsage)
	}
	return nil
}
