package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"rt/libcontainer/container"
)

var updateCommand = &cli.Command{
	Name:      "update",
	Usage:     "update a container's resource limits",
	ArgsUsage: "<container-id>",
	Description: `Fields given replace the current ones; the others stay. With --resources
(a runtime-spec LinuxResources JSON file, or - for stdin) the other flags
are ignored. An update the kernel refuses changes nothing.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "LinuxResources JSON file, or - for stdin"},
		&cli.IntFlag{Name: "blkio-weight", Usage: "block I/O weight, 10 to 1000"},
		&cli.StringFlag{Name: "cpu-period", Usage: "CPU CFS period (microseconds)"},
		&cli.StringFlag{Name: "cpu-quota", Usage: "CPU CFS quota per period (microseconds)"},
		&cli.StringFlag{Name: "cpu-burst", Usage: "CPU CFS burst (microseconds)"},
		&cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight)"},
		&cli.StringFlag{Name: "cpu-rt-period", Usage: "CPU realtime period (microseconds)"},
		&cli.StringFlag{Name: "cpu-rt-runtime", Usage: "CPU realtime runtime per period (microseconds)"},
		&cli.StringFlag{Name: "cpu-idle", Usage: "1: SCHED_IDLE for the cgroup, 0: default"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to use (e.g. 0-2,4)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (bytes, or with k/m/g; -1: unlimited)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory+swap limit; -1: unlimited swap"},
		&cli.StringFlag{Name: "kernel-memory", Usage: "(obsolete, ignored)", Hidden: true},
		&cli.StringFlag{Name: "kernel-memory-tcp", Usage: "(obsolete, ignored)", Hidden: true},
		&cli.IntFlag{Name: "pids-limit", Usage: "maximum number of processes; -1: unlimited"},
		&cli.StringFlag{Name: "l3-cache-schema", Usage: "Intel RDT L3 cache schema (not supported)"},
		&cli.StringFlag{Name: "mem-bw-schema", Usage: "Intel RDT memory bandwidth schema (not supported)"},
	},
	Action: func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		r, err := updateResources(ctx)
		if err != nil {
			return err
		}
		c, err := container.Load(ctx.String("root"), ctx.Args().First())
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Update(r)
	},
}

// updateResources reads --resources, or else builds the update from the
// flags given (a flag not given leaves its value as it is).
func updateResources(ctx *cli.Context) (*specs.LinuxResources, error) {
	for _, f := range []string{"l3-cache-schema", "mem-bw-schema"} {
		if ctx.String(f) != "" {
			return nil, fmt.Errorf("--%s: Intel RDT is not supported", f)
		}
	}
	r := &specs.LinuxResources{}
	if in := ctx.String("resources"); in != "" {
		var src io.Reader = os.Stdin
		if in != "-" {
			f, err := os.Open(in)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			src = f
		}
		if err := json.NewDecoder(src).Decode(r); err != nil {
			return nil, fmt.Errorf("parse resources %s: %w", in, err)
		}
		return r, nil
	}
	mem, cpu := &specs.LinuxMemory{}, &specs.LinuxCPU{}
	var errs []error
	parse := func(name string, conv func(string) error) {
		if s := ctx.String(name); s != "" {
			if err := conv(s); err != nil {
				errs = append(errs, fmt.Errorf("invalid value for --%s: %w", name, err))
			}
		}
	}
	u64 := func(dst **uint64) func(string) error {
		return func(s string) error { v, err := strconv.ParseUint(s, 10, 64); *dst = &v; return err }
	}
	i64 := func(dst **int64) func(string) error {
		return func(s string) error { v, err := strconv.ParseInt(s, 10, 64); *dst = &v; return err }
	}
	bytes := func(dst **int64) func(string) error {
		return func(s string) error { v, err := parseBytes(s); *dst = &v; return err }
	}
	parse("cpu-period", u64(&cpu.Period))
	parse("cpu-quota", i64(&cpu.Quota))
	parse("cpu-burst", u64(&cpu.Burst))
	parse("cpu-share", u64(&cpu.Shares))
	parse("cpu-rt-period", u64(&cpu.RealtimePeriod))
	parse("cpu-rt-runtime", i64(&cpu.RealtimeRuntime))
	parse("cpu-idle", i64(&cpu.Idle))
	parse("memory", bytes(&mem.Limit))
	parse("memory-reservation", bytes(&mem.Reservation))
	parse("memory-swap", bytes(&mem.Swap))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, f := range []string{"kernel-memory", "kernel-memory-tcp"} {
		if ctx.String(f) != "" {
			logrus.Debugf("--%s is obsolete and ignored", f)
		}
	}
	cpu.Cpus, cpu.Mems = ctx.String("cpuset-cpus"), ctx.String("cpuset-mems")
	r.Memory, r.CPU = mem, cpu
	if ctx.IsSet("blkio-weight") {
		w := ctx.Int("blkio-weight")
		if w < 0 || w > 0xffff {
			return nil, fmt.Errorf("invalid value for --blkio-weight: %d", w)
		}
		w16 := uint16(w)
		r.BlockIO = &specs.LinuxBlockIO{Weight: &w16}
	}
	if ctx.IsSet("pids-limit") {
		n := int64(ctx.Int("pids-limit"))
		r.Pids = &specs.LinuxPids{Limit: &n}
	}
	return r, nil
}

var bytesRe = regexp.MustCompile(`^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$`)

// parseBytes reads a size as runc does (docker's units.RAMInBytes): a
// number with an optional binary unit k, m, g, t, p (any case, optional
// "b" or "ib"); "-1" is unlimited.
func parseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	m := bytesRe.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	if m[2] != "" {
		n *= float64(int64(1) << (10 * (strings.Index("kmgtp", m[2]) + 1)))
	}
	return int64(n), nil
}
