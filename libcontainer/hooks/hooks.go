// Package hooks runs OCI hooks: each gets the container's state JSON on its
// stdin, its args and env, and is killed when its timeout expires. Where in
// the lifecycle each kind runs, and what a failure means, is the caller's
// business (container and containerinit); this package only runs them.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// Run runs hooks in order and stops at the first failure, which it returns
// naming the kind and the hook.
func Run(kind string, hs []specs.Hook, state []byte) error {
	for i := range hs {
		if err := runOne(&hs[i], state); err != nil {
			return fmt.Errorf("%s hook #%d: %w", kind, i, err)
		}
	}
	return nil
}

// RunWarn runs every hook and only warns about failures (poststart and
// poststop: the spec says the runtime logs a warning and goes on).
func RunWarn(kind string, hs []specs.Hook, state []byte) {
	for i := range hs {
		if err := runOne(&hs[i], state); err != nil {
			logrus.Warnf("%s hook #%d: %v", kind, i, err)
		}
	}
}

func runOne(h *specs.Hook, state []byte) error {
	ctx := context.Background()
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("%s: timeout must be positive, not %d", h.Path, *h.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	} else {
		cmd.Args = []string{h.Path}
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{} // no env given: the hook gets none, not rt's
	}
	cmd.Stdin = bytes.NewReader(state)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second // a grandchild holding our pipes must not hang us
	err := cmd.Run()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: timed out after %ds", h.Path, *h.Timeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(out.String()); msg != "" {
			return fmt.Errorf("%s: %w: %s", h.Path, err, msg)
		}
		return fmt.Errorf("%s: %w", h.Path, err)
	}
	return nil
}
