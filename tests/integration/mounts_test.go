package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// mountHost mounts in the host's mount namespace (under the test's dir) and
// unmounts at the end of the test, after its containers are deleted.
func mountHost(t *testing.T, source, target, fstype string, flags uintptr, data string) {
	t.Helper()
	if err := syscall.Mount(source, target, fstype, flags, data); err != nil {
		t.Fatalf("mount %s on %s: %v", source, target, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(target, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", target, err)
		}
	})
}

// containerMounts runs b, whose script, which must print /proc/self/mountinfo
// last after a line "--", and returns the lines before it and the parsed mounts.
func containerMounts(t *testing.T, r *rtRunner, b *bundle, flags ...string) (string, []mountEntry) {
	t.Helper()
	out := r.runOK(b, flags...)
	head, mi, ok := strings.Cut(out, "--\n")
	if !ok {
		t.Fatalf("container printed %q, want output -- mountinfo", out)
	}
	return head, parseMountinfo(mi)
}

const mountinfoTail = "; echo --; cat /proc/self/mountinfo"

// TestBindMounts covers bind options: ro, rw, noexec, and bind vs rbind of a
// source that has a submount.
func TestBindMounts(t *testing.T) {
	t.Parallel()
	const script = `cat /data/hello; ls /data/sub; ` +
		`if touch /data/new 2>/dev/null; then echo writable; else echo readonly; fi; ` +
		`if /data/busybox true 2>/dev/null; then echo exec; else echo noexec; fi` + mountinfoTail
	cases := []struct {
		name    string
		options []string
		want    string // output before the mountinfo
		opts    []string
	}{
		{"ro", []string{"bind", "ro"}, "hi\nreadonly\nexec\n", []string{"ro"}},
		{"rw", []string{"bind"}, "hi\nwritable\nexec\n", []string{"rw"}},
		{"noexec-nosuid-nodev", []string{"bind", "noexec", "nosuid", "nodev"}, "hi\nwritable\nnoexec\n",
			[]string{"noexec", "nosuid", "nodev"}},
		{"rbind", []string{"rbind", "ro"}, "hi\nsubfile\nreadonly\nexec\n", []string{"ro"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			src := filepath.Join(r.dir, "src")
			writeFile(t, filepath.Join(src, "hello"), "hi\n")
			if err := copyFile(suite.busybox, filepath.Join(src, "busybox"), 0o755); err != nil {
				t.Fatal(err)
			}
			sub := filepath.Join(src, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			mountHost(t, "tmpfs", sub, "tmpfs", 0, "size=1m")
			writeFile(t, filepath.Join(sub, "subfile"), "")

			b := r.sh(script)
			b.addMount(specs.Mount{Destination: "/data", Type: "bind", Source: src, Options: c.options})
			out, mounts := containerMounts(t, r, b)
			if out != c.want {
				t.Errorf("container printed %q, want %q", out, c.want)
			}
			m, ok := findMount(mounts, "/data")
			if !ok {
				t.Fatalf("no mount at /data in the container")
			}
			for _, o := range c.opts {
				if !m.hasOpt(o) {
					t.Errorf("/data mount options %v lack %s", m.Opts, o)
				}
			}
			_, err := os.Stat(filepath.Join(src, "new"))
			if writable := strings.Contains(c.want, "writable"); writable != (err == nil) {
				t.Errorf("host file written by the container: exists=%v, want %v", err == nil, writable)
			}
		})
	}
}

// TestTmpfsMount checks size, mode and flags of a tmpfs mount.
func TestTmpfsMount(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`stat -c %a /scratch` + mountinfoTail)
	b.addMount(specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs",
		Options: []string{"nosuid", "nodev", "noexec", "size=2m", "mode=1750"}})
	out, mounts := containerMounts(t, r, b)
	if out != "1750\n" {
		t.Errorf("mode of /scratch: %q, want 1750", out)
	}
	m, ok := findMount(mounts, "/scratch")
	if !ok {
		t.Fatal("no mount at /scratch")
	}
	if m.FSType != "tmpfs" || !m.hasSuper("size=2048k") {
		t.Errorf("/scratch: type %s super options %v, want tmpfs with size=2048k", m.FSType, m.Super)
	}
	for _, o := range []string{"nosuid", "nodev", "noexec", "rw"} {
		if !m.hasOpt(o) {
			t.Errorf("/scratch options %v lack %s", m.Opts, o)
		}
	}
}

// TestRootfsPropagation checks linux.rootfsPropagation on the container's
// root mount, with the bundle on a shared mount so that a runtime which lets
// the rootfs mount propagate back to the host is caught too. "slave" of a
// root that must first be made private (pivot_root needs it) cannot show a
// master, so slave accepts private. runc 1.1.5 never sets the propagation
// of / and fails unbindable with EINVAL (known failures).
func TestRootfsPropagation(t *testing.T) {
	t.Parallel()
	for _, prop := range []string{"shared", "slave", "private", "unbindable"} {
		t.Run(prop, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(`true` + mountinfoTail)
			mountHost(t, b.Dir, b.Dir, "", syscall.MS_BIND|syscall.MS_REC, "")
			if err := syscall.Mount("", b.Dir, "", syscall.MS_SHARED, ""); err != nil {
				t.Fatal(err)
			}
			b.Spec.Linux.RootfsPropagation = prop
			_, mounts := containerMounts(t, r, b)
			root, ok := findMount(mounts, "/")
			if !ok {
				t.Fatal("no / mount in the container")
			}
			got := root.propagation()
			if got != prop && !(prop == "slave" && got == "private") {
				t.Errorf("/ in the container is %s (%v), want %s", got, root.Optional, prop)
			}
			if m := mountsUnder(b.Dir); len(m) != 1 {
				t.Errorf("container mounts propagated to the host: %v", m)
			}
		})
	}
}

// TestRootReadonly checks root.readonly both ways.
func TestRootReadonly(t *testing.T) {
	t.Parallel()
	for _, ro := range []bool{true, false} {
		name := map[bool]string{true: "readonly", false: "writable"}[ro]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			b := r.sh(`if touch /rootfile 2>/dev/null; then echo writable; else echo readonly; fi` + mountinfoTail)
			b.Spec.Root.Readonly = ro
			out, mounts := containerMounts(t, r, b)
			if out != name+"\n" {
				t.Errorf("container says %q, want %s", out, name)
			}
			root, _ := findMount(mounts, "/")
			if root.hasOpt("ro") != ro {
				t.Errorf("/ options %v, readonly=%v", root.Opts, ro)
			}
			if _, err := os.Stat(b.path("rootfile")); (err == nil) == ro {
				t.Errorf("rootfs/rootfile on the host: exists=%v with readonly=%v", err == nil, ro)
			}
		})
	}
}

// TestMaskedPaths: masked files read empty, masked directories list empty.
func TestMaskedPaths(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	// /proc/timer_list and /proc/acpi are in the default maskedPaths and
	// exist on this kernel (/proc/kcore does not).
	b := r.sh(`cat /secret; echo "|"; ls -A /secretdir; echo "|"; wc -c < /proc/timer_list; ls -A /proc/acpi | wc -l`)
	writeFile(t, b.path("secret"), "s3cret\n")
	writeFile(t, b.path("secretdir/file"), "s3cret\n")
	b.Spec.Linux.MaskedPaths = append(b.Spec.Linux.MaskedPaths, "/secret", "/secretdir")
	if out := r.runOK(b); out != "|\n|\n0\n0\n" {
		t.Errorf("masked paths are visible: %q", out)
	}
}

// TestReadonlyPaths: readonlyPaths are read-only even when the root is writable.
func TestReadonlyPaths(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`cat /rodir/file; ` +
		`if touch /rodir/new 2>/dev/null; then echo rodir-writable; else echo rodir-readonly; fi; ` +
		`if touch /other 2>/dev/null; then echo other-writable; else echo other-readonly; fi` + mountinfoTail)
	writeFile(t, b.path("rodir/file"), "content\n")
	b.Spec.Root.Readonly = false
	b.Spec.Linux.ReadonlyPaths = append(b.Spec.Linux.ReadonlyPaths, "/rodir")
	out, mounts := containerMounts(t, r, b)
	if out != "content\nrodir-readonly\nother-writable\n" {
		t.Errorf("container printed %q", out)
	}
	for _, p := range []string{"/rodir", "/proc/sys"} {
		if m, ok := findMount(mounts, p); !ok || !m.hasOpt("ro") {
			t.Errorf("%s is not a read-only mount in the container: %+v", p, m)
		}
	}
}

// TestDevices creates linux.devices with the configured numbers, mode and owner.
func TestDevices(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`stat -c '%F %t %T %a %u %g' /dev/rttchar /dev/rttblock`)
	mode := os.FileMode(0o620)
	mode2 := os.FileMode(0o600)
	uid, gid := uint32(1234), uint32(5678)
	b.Spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/rttchar", Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &uid, GID: &gid},
		{Path: "/dev/rttblock", Type: "b", Major: 7, Minor: 10, FileMode: &mode2},
	}
	want := "character special file 1 3 620 1234 5678\nblock special file 7 a 600 0 0\n"
	if out := r.runOK(b); out != want {
		t.Errorf("devices:\n%s\nwant:\n%s", out, want)
	}
}

// TestDefaultDevices checks the default /dev: nodes, links and that the
// device cgroup lets them be used despite the config's deny-all rule.
func TestDefaultDevices(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`for d in null zero full random urandom tty; do stat -c "$d %F %t:%T %a" /dev/$d; done; ` +
		`for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done; ` +
		`for d in pts shm mqueue; do [ -d /dev/$d ] && echo "$d dir"; done; ` +
		`echo x > /dev/null && echo null-writable; head -c 4 /dev/zero | od -An -tx1; head -c 16 /dev/urandom | wc -c`)
	want := `null character special file 1:3 666
zero character special file 1:5 666
full character special file 1:7 666
random character special file 1:8 666
urandom character special file 1:9 666
tty character special file 5:0 666
fd -> /proc/self/fd
stdin -> /proc/self/fd/0
stdout -> /proc/self/fd/1
stderr -> /proc/self/fd/2
ptmx -> pts/ptmx
pts dir
shm dir
mqueue dir
null-writable
 00 00 00 00
16
`
	if out := r.runOK(b); out != want {
		t.Errorf("default /dev:\n%s\nwant:\n%s", out, want)
	}
}

// TestPivotAndNoPivot: with pivot_root and with --no-pivot the process sees
// exactly the rootfs.
func TestPivotAndNoPivot(t *testing.T) {
	t.Parallel()
	for _, flags := range [][]string{nil, {"--no-pivot"}} {
		t.Run(strings.Join(append([]string{"pivot"}, flags...), ""), func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			out := r.runOK(r.sh(`ls /; cat /etc/passwd | head -n 1`), flags...)
			want := "bin\ndev\netc\nproc\nroot\nsys\ntmp\nroot:x:0:0:root:/root:/bin/sh\n"
			if out != want {
				t.Errorf("container sees %q, want the rootfs %q", out, want)
			}
		})
	}
}

// TestMountSymlinkEscape: a mount destination that is a symlink in the
// rootfs pointing outside it must be resolved inside the rootfs.
func TestMountSymlinkEscape(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"absolute", "relative"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			r := newRT(t)
			hostDir := filepath.Join(r.dir, "hostdir")
			src := filepath.Join(r.dir, "src")
			writeFile(t, filepath.Join(hostDir, "host-file"), "host\n")
			writeFile(t, filepath.Join(src, "from-src"), "src\n")
			b := r.sh(`cat /escape/from-src; touch /escape/written && echo wrote`)
			b.Spec.Root.Readonly = false
			target := hostDir
			if kind == "relative" {
				target = strings.Repeat("../", 20) + strings.TrimPrefix(hostDir, "/")
			}
			if err := os.Symlink(target, b.path("escape")); err != nil {
				t.Fatal(err)
			}
			b.addMount(specs.Mount{Destination: "/escape", Type: "bind", Source: src, Options: []string{"bind"}})
			if out := r.runOK(b); out != "src\nwrote\n" {
				t.Errorf("container printed %q", out)
			}
			if _, err := os.Stat(filepath.Join(src, "written")); err != nil {
				t.Errorf("the mount did not reach the source: %v", err)
			}
			entries, _ := os.ReadDir(hostDir)
			if len(entries) != 1 || entries[0].Name() != "host-file" {
				t.Errorf("host dir %s was touched: %v", hostDir, entries)
			}
			if mounts := mountsUnder(hostDir); len(mounts) > 0 {
				t.Errorf("mounted over the host dir: %v", mounts)
			}
		})
	}
}
