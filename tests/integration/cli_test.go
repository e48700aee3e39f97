package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// TestVersion: `--version` prints "<name> version X" and "spec: 1.x".
func TestVersion(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	res := r.exec(cmdOpts{NoGlobal: true}, "--version")
	if res.Code != 0 {
		t.Fatalf("--version: %s", res)
	}
	first := strings.SplitN(res.Stdout, "\n", 2)[0]
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(suite.name) + ` version \S+$`).MatchString(first) {
		t.Errorf("first line %q, want %q", first, suite.name+" version X")
	}
	if !regexp.MustCompile(`(?m)^spec: 1\.\d+`).MatchString(res.Stdout) {
		t.Errorf("no 'spec: 1.x' line in %q", res.Stdout)
	}
}

// TestSpec: `spec` writes a valid config.json in the cwd or in -b DIR;
// --rootless adds a user namespace with mappings.
func TestSpec(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     func(dir string) []string
		inCwd    bool
		rootless bool
	}{
		{"cwd", func(string) []string { return []string{"spec"} }, true, false},
		{"b", func(d string) []string { return []string{"spec", "-b", d} }, false, false},
		{"bundle", func(d string) []string { return []string{"spec", "--bundle", d} }, false, false},
		{"rootless", func(d string) []string { return []string{"spec", "--rootless", "-b", d} }, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			dir := filepath.Join(r.dir, "specdir")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			o := cmdOpts{Dir: r.dir}
			if c.inCwd {
				o.Dir = dir
			}
			if res := r.exec(o, c.args(dir)...); res.Code != 0 {
				t.Fatalf("spec: %s", res)
			}
			data, err := os.ReadFile(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatalf("no config.json: %v", err)
			}
			var s specs.Spec
			if err := json.Unmarshal(data, &s); err != nil {
				t.Fatalf("config.json: %v", err)
			}
			if !strings.HasPrefix(s.Version, "1.") || s.Process == nil || len(s.Process.Args) == 0 ||
				s.Root == nil || s.Root.Path != "rootfs" || s.Linux == nil {
				t.Fatalf("spec lacks the basics: %s", data)
			}
			types := map[specs.LinuxNamespaceType]bool{}
			for _, ns := range s.Linux.Namespaces {
				types[ns.Type] = true
			}
			want := []specs.LinuxNamespaceType{"pid", "ipc", "uts", "mount"}
			if !c.rootless { // a rootless spec keeps the host's network
				want = append(want, "network")
			}
			for _, typ := range want {
				if !types[typ] {
					t.Errorf("spec has no %s namespace", typ)
				}
			}
			if types["user"] != c.rootless {
				t.Errorf("user namespace %v, want %v", types["user"], c.rootless)
			}
			if c.rootless {
				for what, m := range map[string][]specs.LinuxIDMapping{"uid": s.Linux.UIDMappings, "gid": s.Linux.GIDMappings} {
					if len(m) == 0 || m[0].ContainerID != 0 || m[0].Size == 0 {
						t.Errorf("rootless spec %s mappings %+v", what, m)
					}
				}
				if len(s.Linux.UIDMappings) > 0 && s.Linux.UIDMappings[0].HostID != uint32(os.Geteuid()) {
					t.Errorf("rootless uid mapping %+v does not map the caller's uid %d", s.Linux.UIDMappings[0], os.Geteuid())
				}
			}
		})
	}
}

// TestFeatures: `features`, called without global flags, prints the
// runtime-spec features JSON.
func TestFeatures(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	res := r.exec(cmdOpts{NoGlobal: true}, "features")
	if res.Code != 0 {
		t.Fatalf("features: %s", res)
	}
	var f features.Features
	if err := json.Unmarshal([]byte(res.Stdout), &f); err != nil {
		t.Fatalf("features output is not JSON: %v: %s", err, res.Stdout)
	}
	if !strings.HasPrefix(f.OCIVersionMin, "1.") || !strings.HasPrefix(f.OCIVersionMax, "1.") {
		t.Errorf("ociVersionMin %q ociVersionMax %q", f.OCIVersionMin, f.OCIVersionMax)
	}
	for _, h := range []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"} {
		if !contains(f.Hooks, h) {
			t.Errorf("features hooks %v lack %s", f.Hooks, h)
		}
	}
	for _, o := range []string{"bind", "rbind", "ro", "nosuid", "nodev", "noexec"} {
		if !contains(f.MountOptions, o) {
			t.Errorf("features mountOptions lack %s", o)
		}
	}
	if f.Linux == nil {
		t.Fatal("features without linux")
	}
	for _, ns := range []string{"pid", "network", "ipc", "uts", "mount", "user", "cgroup"} {
		if !contains(f.Linux.Namespaces, ns) {
			t.Errorf("features linux.namespaces %v lack %s", f.Linux.Namespaces, ns)
		}
	}
	if !contains(f.Linux.Capabilities, "CAP_SYS_ADMIN") {
		t.Errorf("features linux.capabilities lack CAP_SYS_ADMIN")
	}
}

// TestGlobalRootFlag: --root DIR and --root=DIR name the same state.
func TestGlobalRootFlag(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh("exec sleep 1000")
	id := r.newID()
	b.save(t, id)
	if res := r.exec(cmdOpts{NoGlobal: true}, "--root="+r.root, "run", "-d", "--bundle", b.Dir, id); res.Code != 0 {
		t.Fatalf("run with --root=DIR: %s", res)
	}
	st := r.state(id) // --root DIR
	trackPid(st.Pid)
	if st.Status != "running" {
		t.Errorf("status %q", st.Status)
	}
	res := r.exec(cmdOpts{NoGlobal: true}, "--root="+r.root, "list", "-q")
	if strings.TrimSpace(res.Stdout) != id {
		t.Errorf("--root=DIR list -q: %s", res)
	}
	if _, err := os.Stat(filepath.Join(r.root, id)); err != nil {
		t.Errorf("no state under --root: %v", err)
	}
	r.ok("delete", "--force", id)
}

// TestLogJSON: --log FILE --log-format json writes logrus-shaped JSON lines;
// an error is logged at level "error".
func TestLogJSON(t *testing.T) {
	t.Parallel()
	forms := map[string]func(string) []string{
		"separate": func(f string) []string { return []string{"--log", f, "--log-format", "json"} },
		"equals":   func(f string) []string { return []string{"--log=" + f, "--log-format=json"} },
	}
	for name, flags := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			log := filepath.Join(r.dir, "log.json")
			res := r.exec(cmdOpts{}, append(flags(log), "state", "rtt-no-such-container")...)
			if res.Code != 1 {
				t.Errorf("state of an unknown container: %s", res)
			}
			data := readFile(t, log)
			foundError := false
			for _, line := range strings.Split(strings.TrimSpace(data), "\n") {
				var entry map[string]any
				if err := json.Unmarshal([]byte(line), &entry); err != nil {
					t.Errorf("log line %q is not JSON: %v", line, err)
					continue
				}
				level, _ := entry["level"].(string)
				msg, _ := entry["msg"].(string)
				ts, _ := entry["time"].(string)
				if level == "" || level != strings.ToLower(level) || msg == "" {
					t.Errorf("log line %q lacks a lower-case level or a msg", line)
				}
				if _, err := time.Parse(time.RFC3339, ts); err != nil {
					t.Errorf("log line %q: time: %v", line, err)
				}
				if level == "error" && strings.Contains(msg, "container does not exist") {
					foundError = true
				}
			}
			if !foundError {
				t.Errorf("no error line with 'container does not exist' in %q", data)
			}
		})
	}
}

// TestList: table, -q and --format json over a created and a running container.
func TestList(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	created, _ := r.create(r.sh("true"))
	running, _ := r.runDetached(r.sh("exec sleep 1000"))
	want := map[string]string{created: "created", running: "running"}

	table := r.ok("list").Stdout
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID PID STATUS BUNDLE CREATED OWNER" {
		t.Errorf("list table:\n%s", table)
	}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) < 5 || want[f[0]] != f[2] {
			t.Errorf("list row %q", line)
		}
	}

	ids := strings.Fields(r.ok("list", "-q").Stdout)
	sort.Strings(ids)
	wantIDs := []string{created, running}
	sort.Strings(wantIDs)
	if strings.Join(ids, " ") != strings.Join(wantIDs, " ") {
		t.Errorf("list -q: %v, want %v", ids, wantIDs)
	}

	for _, flag := range [][]string{{"--format", "json"}, {"-f", "json"}} {
		out := r.ok(append([]string{"list"}, flag...)...).Stdout
		var states []containerState
		if err := json.Unmarshal([]byte(out), &states); err != nil {
			t.Fatalf("list %v: %v: %q", flag, err, out)
		}
		if len(states) != 2 {
			t.Errorf("list %v: %d entries, want 2", flag, len(states))
		}
		for _, st := range states {
			if want[st.ID] != st.Status || st.Pid <= 0 || !strings.HasPrefix(st.Bundle, r.dir) {
				t.Errorf("list %v entry %+v", flag, st)
			}
		}
	}
}

// TestSystemdCgroupRefused: rt has no systemd cgroup driver; --systemd-cgroup
// must fail clearly rather than put a "slice:prefix:name" path under /rt,
// and leave nothing behind.
func TestSystemdCgroupRefused(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh("true")
	id := r.newID()
	b.save(t, id)
	res := r.exec(cmdOpts{}, "--systemd-cgroup", "create", "--bundle", b.Dir, id)
	if res.Code == 0 || !strings.Contains(res.Stderr, "systemd cgroup driver") {
		t.Errorf("create with --systemd-cgroup: %s", res)
	}
	oneLineError(t, res)
	assertNoTrace(t, r, id)
}
