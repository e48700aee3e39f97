package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// nsFiles maps /proc/self/ns names to the spec's namespace types.
var nsFiles = map[string]specs.LinuxNamespaceType{
	"ipc":    specs.IPCNamespace,
	"mnt":    specs.MountNamespace,
	"net":    specs.NetworkNamespace,
	"pid":    specs.PIDNamespace,
	"uts":    specs.UTSNamespace,
	"cgroup": specs.CgroupNamespace,
	"user":   specs.UserNamespace,
	"time":   specs.TimeNamespace,
}

// nsScript prints "NAME LINK" for every namespace of the container's process.
const nsScript = `for n in ipc mnt net pid uts cgroup user time; do echo "$n $(readlink /proc/self/ns/$n)"; done`

func parseNsLinks(t *testing.T, out string) map[string]string {
	t.Helper()
	links := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("bad namespace line %q in %q", line, out)
		}
		links[f[0]] = f[1]
	}
	return links
}

func hostNs(t *testing.T, pid, name string) string {
	t.Helper()
	l, err := os.Readlink(filepath.Join("/proc", pid, "ns", name))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestNamespacesConfigured: each namespace in the config is a new one, each
// one left out is the host's.
func TestNamespacesConfigured(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		remove []specs.LinuxNamespaceType
	}{
		{"all", nil},
		{"shared", []specs.LinuxNamespaceType{specs.IPCNamespace, specs.NetworkNamespace,
			specs.UTSNamespace, specs.CgroupNamespace, specs.PIDNamespace}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(nsScript)
			removed := map[specs.LinuxNamespaceType]bool{}
			for _, ns := range c.remove {
				b.removeNamespace(ns)
				removed[ns] = true
			}
			if removed[specs.UTSNamespace] {
				b.Spec.Hostname = ""
			}
			links := parseNsLinks(t, r.runOK(b))
			configured := map[specs.LinuxNamespaceType]bool{}
			for _, ns := range b.Spec.Linux.Namespaces {
				configured[ns.Type] = true
			}
			for name, typ := range nsFiles {
				host := hostNs(t, "self", name)
				if configured[typ] && links[name] == host {
					t.Errorf("%s namespace is the host's (%s), the config asks for a new one", name, host)
				}
				if !configured[typ] && links[name] != host {
					t.Errorf("%s namespace %s is not the host's %s, the config does not ask for one", name, links[name], host)
				}
			}
		})
	}
}

// TestPidNamespace: the process is pid 1 and sees only its own processes.
func TestPidNamespace(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	// echo and the glob are the shell's own: no other process exists.
	out := r.runOK(r.sh(`echo $$; echo /proc/[0-9]*`))
	if out != "1\n/proc/1\n" {
		t.Errorf("want pid 1 and only /proc/1, got %q", out)
	}
}

// TestUTSNamespace: hostname and domainname come from the config.
// runc 1.1.5 predates the domainname field and ignores it (known failure).
func TestUTSNamespace(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`hostname; cat /proc/sys/kernel/domainname`)
	b.Spec.Hostname = "rtt-host"
	b.Spec.Domainname = "rtt.example"
	if out := r.runOK(b); out != "rtt-host\nrtt.example\n" {
		t.Errorf("hostname/domainname: %q", out)
	}
	host, _ := os.Hostname()
	if host == "rtt-host" {
		t.Errorf("the host's hostname was changed")
	}
}

// TestNetNamespace: a new network namespace has only the loopback device.
func TestNetNamespace(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	out := r.runOK(r.sh(`cat /proc/net/dev`))
	var ifaces []string
	for _, line := range strings.Split(out, "\n") {
		if i := strings.IndexByte(line, ':'); i > 0 {
			ifaces = append(ifaces, strings.TrimSpace(line[:i]))
		}
	}
	if len(ifaces) != 1 || ifaces[0] != "lo" {
		t.Errorf("interfaces %v, want only lo:\n%s", ifaces, out)
	}
}

// TestCgroupNamespace: with a cgroup namespace the container's cgroups are
// all "/"; without one they are the container's cgroup path.
func TestCgroupNamespace(t *testing.T) {
	t.Parallel()
	for _, private := range []bool{true, false} {
		t.Run(fmt.Sprintf("private=%v", private), func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(`cat /proc/self/cgroup`)
			if !private {
				b.removeNamespace(specs.CgroupNamespace)
			}
			id, res := r.run(b)
			if res.Code != 0 {
				t.Fatalf("run: %s", res)
			}
			checked := 0
			for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
				f := strings.SplitN(line, ":", 3)
				if len(f) != 3 {
					t.Fatalf("bad /proc/self/cgroup line %q", line)
				}
				if private && f[2] != "/" {
					t.Errorf("cgroup namespace: %q should show /", line)
				}
				if !private && hasController(f[1], "pids", "memory", "devices", "freezer", "cpu", "blkio") {
					checked++
					if f[2] != "/"+id {
						t.Errorf("cgroup line %q: want path /%s (the config's cgroupsPath)", line, id)
					}
				}
			}
			if !private && checked == 0 {
				t.Errorf("no v1 controller lines in %q", res.Stdout)
			}
		})
	}
}

func hasController(list string, names ...string) bool {
	for _, c := range strings.Split(list, ",") {
		for _, n := range names {
			if c == n {
				return true
			}
		}
	}
	return false
}

// TestUserNamespace maps several uid and gid ranges and checks the maps the
// process sees and the host ids of files it creates.
func TestUserNamespace(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	out := filepath.Join(r.dir, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o777); err != nil {
		t.Fatal(err)
	}
	b := r.sh(`cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; id -g; ` +
		`touch /out/root-file && touch /out/user-file && chown 1000:1000 /out/user-file`)
	maps := []specs.LinuxIDMapping{
		{ContainerID: 0, HostID: 100000, Size: 1000},
		{ContainerID: 1000, HostID: 200000, Size: 1000},
		{ContainerID: 5000, HostID: 300000, Size: 1},
	}
	b.Spec.Linux.UIDMappings = maps
	b.Spec.Linux.GIDMappings = maps
	b.setNamespace(specs.UserNamespace, "")
	b.chownRootfs(t, 100000, 100000)
	b.Spec.Process.Capabilities.Bounding = append(b.Spec.Process.Capabilities.Bounding, "CAP_CHOWN")
	b.Spec.Process.Capabilities.Effective = append(b.Spec.Process.Capabilities.Effective, "CAP_CHOWN")
	b.Spec.Process.Capabilities.Permitted = append(b.Spec.Process.Capabilities.Permitted, "CAP_CHOWN")
	b.addMount(specs.Mount{Destination: "/out", Type: "bind", Source: out, Options: []string{"rbind", "rw"}})

	got := r.runOK(b)
	parts := strings.Split(got, "--\n")
	if len(parts) != 3 {
		t.Fatalf("container printed %q", got)
	}
	for i, what := range []string{"uid_map", "gid_map"} {
		var seen []specs.LinuxIDMapping
		for _, line := range strings.Split(strings.TrimSpace(parts[i]), "\n") {
			var m specs.LinuxIDMapping
			if _, err := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); err != nil {
				t.Fatalf("%s line %q: %v", what, line, err)
			}
			seen = append(seen, m)
		}
		if fmt.Sprint(seen) != fmt.Sprint(maps) {
			t.Errorf("%s inside: %v, want %v", what, seen, maps)
		}
	}
	if parts[2] != "0\n0\n" {
		t.Errorf("id -u/-g inside: %q, want 0 0", parts[2])
	}
	for file, want := range map[string]uint32{"root-file": 100000, "user-file": 200000} {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(out, file), &st); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if st.Uid != want || st.Gid != want {
			t.Errorf("%s is owned by %d:%d on the host, want %d:%d", file, st.Uid, st.Gid, want, want)
		}
	}
}

// TestTimeNamespace: monotonic and boottime offsets from linux.timeOffsets.
// runc 1.1.5 has no time namespace support (known failure).
func TestTimeNamespace(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/timens_offsets"); err != nil {
		t.Skip("kernel without time namespaces")
	}
	r := newRT(t)
	b := r.sh(`cat /proc/self/timens_offsets; cat /proc/uptime`)
	b.setNamespace(specs.TimeNamespace, "")
	b.Spec.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
		"monotonic": {Secs: 864000},
		"boottime":  {Secs: 1728000, Nanosecs: 500},
	}
	hostUp := uptime(t, readFile(t, "/proc/uptime"))
	out := r.runOK(b)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("container printed %q", out)
	}
	offsets := map[string]string{}
	for _, l := range lines[:2] {
		f := strings.Fields(l)
		if len(f) == 3 {
			offsets[f[0]] = f[1] + " " + f[2]
		}
	}
	if offsets["monotonic"] != "864000 0" || offsets["boottime"] != "1728000 500" {
		t.Errorf("timens_offsets inside: %q", lines[:2])
	}
	if up := uptime(t, lines[2]); up < hostUp+1728000-5 || up > hostUp+1728000+60 {
		t.Errorf("uptime inside %.0f s, want host's %.0f + 1728000", up, hostUp)
	}
}

func uptime(t *testing.T, line string) float64 {
	t.Helper()
	f := strings.Fields(line)
	if len(f) == 0 {
		t.Fatalf("bad /proc/uptime %q", line)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestJoinNamespace joins namespaces by path: those of a running container
// (/proc/PID/ns/*) and a network namespace bind-mounted on a file.
func TestJoinNamespace(t *testing.T) {
	t.Parallel()
	t.Run("proc-path", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		first, _ := r.runDetached(r.sh("exec sleep 1000"))
		pid := strconv.Itoa(r.state(first).Pid)
		b := r.sh(nsScript + "; hostname")
		b.Spec.Hostname = ""
		for _, ns := range []string{"net", "ipc", "uts"} {
			b.setNamespace(nsFiles[ns], filepath.Join("/proc", pid, "ns", ns))
		}
		out := r.runOK(b)
		links := parseNsLinks(t, strings.TrimSuffix(out, "rt\n"))
		for _, ns := range []string{"net", "ipc", "uts"} {
			if want := hostNs(t, pid, ns); links[ns] != want {
				t.Errorf("%s namespace %s, want the first container's %s", ns, links[ns], want)
			}
		}
		if links["pid"] == hostNs(t, pid, "pid") || links["mnt"] == hostNs(t, pid, "mnt") {
			t.Errorf("pid or mount namespace joined though not asked: %v", links)
		}
		if !strings.HasSuffix(out, "\nrt\n") {
			t.Errorf("hostname in the joined uts namespace: %q, want the first container's rt", out)
		}
	})
	t.Run("bind-mounted", func(t *testing.T) {
		t.Parallel()
		r := newRT(t)
		nsFile := filepath.Join(r.dir, "netns")
		writeFile(t, nsFile, "")
		if out, err := exec.Command("unshare", "--net="+nsFile, "true").CombinedOutput(); err != nil {
			t.Skipf("unshare --net=FILE does not work here: %v: %s", err, out)
		}
		t.Cleanup(func() { _ = syscall.Unmount(nsFile, syscall.MNT_DETACH) })
		var st syscall.Stat_t
		if err := syscall.Stat(nsFile, &st); err != nil {
			t.Fatal(err)
		}
		b := r.sh(nsScript)
		b.setNamespace(specs.NetworkNamespace, nsFile)
		links := parseNsLinks(t, r.runOK(b))
		if want := fmt.Sprintf("net:[%d]", st.Ino); links["net"] != want {
			t.Errorf("net namespace %s, want the bind-mounted %s", links["net"], want)
		}
	})
}
