package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestBadConfig: create with a broken bundle fails with a one-line error
// and leaves nothing behind. runc 1.1.5 accepts CAP_TEST (known failure).
func TestBadConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(t *testing.T, b *bundle)
	}{
		{"malformed-json", func(t *testing.T, b *bundle) {
			b.Spec = nil
			writeFile(t, filepath.Join(b.Dir, "config.json"), `{"ociVersion": "1.3.0", "process": {`)
		}},
		{"missing-config", func(t *testing.T, b *bundle) { b.Spec = nil }},
		{"missing-rootfs", func(t *testing.T, b *bundle) { b.Spec.Root.Path = "no-such-rootfs" }},
		{"unknown-capability", func(t *testing.T, b *bundle) {
			c := b.Spec.Process.Capabilities
			c.Bounding = append(c.Bounding, "CAP_TEST")
			c.Permitted = append(c.Permitted, "CAP_TEST")
			c.Effective = append(c.Effective, "CAP_TEST")
		}},
		{"unknown-namespace", func(t *testing.T, b *bundle) { b.setNamespace("foo", "") }},
		{"missing-namespace-path", func(t *testing.T, b *bundle) {
			b.setNamespace(specs.NetworkNamespace, filepath.Join(b.Dir, "no-such-netns"))
		}},
		{"failing-hook", func(t *testing.T, b *bundle) {
			b.Spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/false"}}}
		}},
		{"relative-hook-path", func(t *testing.T, b *bundle) {
			b.Spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "true"}}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh("echo should-not-run")
			c.mutate(t, b)
			id, res := r.tryCreate(cmdOpts{}, b)
			if res.Code == 0 {
				t.Fatalf("create succeeded: %s", res)
			}
			oneLineError(t, res)
			if strings.Contains(res.Stdout, "should-not-run") {
				t.Errorf("the container process ran")
			}
			assertNoTrace(t, r, id)
			if _, err := os.Stat(b.path("proc/self")); err == nil {
				t.Errorf("/proc is still mounted in the rootfs")
			}
		})
	}
}

// TestUnknownContainer: every verb on an unknown id exits 1 with
// "container does not exist".
func TestUnknownContainer(t *testing.T) {
	t.Parallel()
	verbs := map[string]func(id string) []string{
		"state":  func(id string) []string { return []string{"state", id} },
		"start":  func(id string) []string { return []string{"start", id} },
		"kill":   func(id string) []string { return []string{"kill", id, "KILL"} },
		"delete": func(id string) []string { return []string{"delete", id} },
		"pause":  func(id string) []string { return []string{"pause", id} },
		"resume": func(id string) []string { return []string{"resume", id} },
		"ps":     func(id string) []string { return []string{"ps", id} },
		"exec":   func(id string) []string { return []string{"exec", id, "true"} },
		"events": func(id string) []string { return []string{"events", "--stats", id} },
		"update": func(id string) []string { return []string{"update", "--pids-limit", "10", id} },
	}
	r := newRT(t)
	// A root that exists (with another container) and one that does not.
	other, _ := r.create(r.sh("true"))
	for verb, args := range verbs {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			for _, root := range []string{r.root, filepath.Join(r.dir, "no-such-root")} {
				res := r.exec(cmdOpts{NoGlobal: true}, append([]string{"--root", root}, args("rtt-unknown-id")...)...)
				// exec reports its own failures as 255, as runc does
				// (1..254 could be the process's status).
				code := map[bool]int{true: 255, false: 1}[verb == "exec"]
				if res.Code != code || !strings.Contains(res.Stderr, "container does not exist") {
					t.Errorf("want exit %d and 'container does not exist': %s", code, res)
				}
				oneLineError(t, res)
			}
		})
	}
	t.Cleanup(func() {
		if st, err := r.tryState(other); err != nil || st.Status != "created" {
			t.Errorf("the other container was disturbed: %+v %v", st, err)
		}
	})
}

// TestBadSignal: an unknown signal is refused and the container keeps running.
func TestBadSignal(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	id, _ := r.runDetached(r.sh("exec sleep 1000"))
	pid := r.state(id).Pid
	trackPid(pid)
	for _, sig := range []string{"FOO", "SIGFOO", "999", "-1"} {
		res := r.exec(cmdOpts{}, "kill", id, sig)
		if res.Code == 0 {
			t.Errorf("kill %s succeeded", sig)
		}
		oneLineError(t, res)
	}
	if st := r.state(id); st.Status != "running" || !processAlive(pid) {
		t.Errorf("container disturbed by bad kills: %+v", st)
	}
}
