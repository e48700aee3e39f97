package integration

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// bundle is an OCI bundle under construction: tests mutate Spec and the
// run/create helpers write it to config.json (unless Spec is nil, then the
// config.json on disk is used as is).
type bundle struct {
	Dir    string
	Rootfs string
	Spec   *specs.Spec
}

// newBundle builds the same bundle as tests/mkbundle.sh: a busybox rootfs and
// the default spec running args (default sh).
func (r *rtRunner) newBundle(args ...string) *bundle {
	r.t.Helper()
	dir, err := os.MkdirTemp(r.dir, "bundle-")
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		r.t.Fatal(err)
	}
	b := &bundle{Dir: dir, Rootfs: filepath.Join(dir, "rootfs"), Spec: defaultSpec(args...)}
	if err := makeRootfs(b.Rootfs); err != nil {
		r.t.Fatal(err)
	}
	return b
}

// sh returns a bundle running `sh -c script`.
func (r *rtRunner) sh(script string) *bundle {
	return r.newBundle("sh", "-c", script)
}

func makeRootfs(rootfs string) error {
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "etc", "root"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(rootfs, "tmp"), 0o1777); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(rootfs, "root"), 0o700); err != nil {
		return err
	}
	bb := filepath.Join(rootfs, "bin", "busybox")
	if err := os.Link(suite.busybox, bb); err != nil {
		if err := copyFile(suite.busybox, bb, 0o755); err != nil {
			return err
		}
	}
	for _, a := range suite.applets {
		if a == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", a)); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":  "root:x:0:\nnobody:x:65534:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// save writes the spec to config.json for container id. Unless the test set
// one, the cgroup path is made absolute, /<id>: with the default (relative)
// path a runtime nests the cgroups under the caller's own, and on this VM the
// caller's memory cgroup belongs to the machine (memory/process_api).
func (b *bundle) save(t *testing.T, id string) {
	t.Helper()
	if b.Spec == nil {
		return
	}
	if b.Spec.Linux != nil && b.Spec.Linux.CgroupsPath == "" {
		b.Spec.Linux.CgroupsPath = "/" + id
		defer func() { b.Spec.Linux.CgroupsPath = "" }()
	}
	data, err := json.MarshalIndent(b.Spec, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// path returns the host path of a path inside the rootfs.
func (b *bundle) path(p string) string {
	return filepath.Join(b.Rootfs, p)
}

// chownRootfs gives the rootfs to uid:gid (as for a user namespace whose
// root is uid). busybox gets its own copy first: it is a hard link shared
// with every other bundle.
func (b *bundle) chownRootfs(t *testing.T, uid, gid int) {
	t.Helper()
	bb := b.path("bin/busybox")
	if err := os.Remove(bb); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(suite.busybox, bb, 0o755); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(b.Rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// removeNamespace drops namespace typ from the spec.
func (b *bundle) removeNamespace(typ specs.LinuxNamespaceType) {
	ns := b.Spec.Linux.Namespaces[:0]
	for _, n := range b.Spec.Linux.Namespaces {
		if n.Type != typ {
			ns = append(ns, n)
		}
	}
	b.Spec.Linux.Namespaces = ns
}

// setNamespace adds namespace typ (or updates its path).
func (b *bundle) setNamespace(typ specs.LinuxNamespaceType, path string) {
	for i, n := range b.Spec.Linux.Namespaces {
		if n.Type == typ {
			b.Spec.Linux.Namespaces[i].Path = path
			return
		}
	}
	b.Spec.Linux.Namespaces = append(b.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: typ, Path: path})
}

// addMount appends a mount to the spec.
func (b *bundle) addMount(m specs.Mount) {
	b.Spec.Mounts = append(b.Spec.Mounts, m)
}

// defaultSpec is the config `runc spec` writes, with terminal false and
// hostname "rt" — the same as tests/mkbundle.sh.
func defaultSpec(args ...string) *specs.Spec {
	if len(args) == 0 {
		args = []string{"sh"}
	}
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	return &specs.Spec{
		Version: "1.3.0",
		Process: &specs.Process{
			Terminal: false,
			User:     specs.User{UID: 0, GID: 0},
			Args:     args,
			Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"TERM=xterm",
			},
			Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  clone(caps),
				Effective: clone(caps),
				Permitted: clone(caps),
				Ambient:   clone(caps),
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "rt",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
				Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
				Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
				Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs",
				Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
				Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
				{Type: specs.CgroupNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
}

func clone(s []string) []string {
	return append([]string(nil), s...)
}
