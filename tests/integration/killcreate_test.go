package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestKilledCreate kills `rt create` with SIGKILL at several points, among
// them while a createRuntime hook runs (the init exists, its cgroup too,
// the state is half-made), and checks that `delete --force` then leaves no
// state, process, cgroup or mount behind.
func TestKilledCreate(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	cases := []struct {
		delay  time.Duration
		inHook bool
	}{{0, false}, {2 * time.Millisecond, false}, {5 * time.Millisecond, false},
		{10 * time.Millisecond, false}, {20 * time.Millisecond, false}, {0, true}}
	for i, c := range cases {
		b := r.newBundle("sleep", "1000")
		b.Spec.Linux.CgroupsPath = "" // rt's default place
		marker := filepath.Join(r.dir, fmt.Sprintf("hook-started-%d", i))
		if c.inHook {
			b.Spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{
				Path: "/bin/sh", Args: []string{"sh", "-c", "touch " + marker + "; sleep 30"},
			}}}
		}
		id := r.newID()
		b.save(t, id)
		cmd := exec.Command(r.bin, "--root", r.root, "create", "--bundle", b.Dir, id)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the hook goes with it
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if c.inHook {
			if !poll(10*time.Second, func() bool { _, err := os.Stat(marker); return err == nil }) {
				t.Fatal("the createRuntime hook never ran")
			}
		} else {
			time.Sleep(c.delay)
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		r.ok("delete", "--force", id)
		assertNoTrace(t, r, id)
	}
}
