package rootfs

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		in   string
		want mountOptions
	}{
		{"", mountOptions{}},
		{"ro,nosuid,nodev,noexec", mountOptions{flags: unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC}},
		{"ro,rw", mountOptions{cleared: unix.MS_RDONLY}},
		{"rw,ro", mountOptions{flags: unix.MS_RDONLY}},
		{"rbind,suid,dev,exec", mountOptions{flags: unix.MS_BIND | unix.MS_REC, cleared: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC}},
		{"bind,relatime,strictatime,noatime,nodiratime", mountOptions{flags: unix.MS_BIND | unix.MS_RELATIME | unix.MS_STRICTATIME | unix.MS_NOATIME | unix.MS_NODIRATIME}},
		{"atime,diratime,norelatime,nostrictatime", mountOptions{cleared: unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME}},
		{"sync,dirsync,mand,lazytime,silent,iversion,remount", mountOptions{flags: unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_MANDLOCK | unix.MS_LAZYTIME | unix.MS_SILENT | unix.MS_I_VERSION | unix.MS_REMOUNT}},
		{"async,nomand,nolazytime,loud,noiversion", mountOptions{cleared: unix.MS_SYNCHRONOUS | unix.MS_MANDLOCK | unix.MS_LAZYTIME | unix.MS_SILENT | unix.MS_I_VERSION}},
		{"mode=755,size=65536k,nosuid", mountOptions{flags: unix.MS_NOSUID, data: "mode=755,size=65536k"}},
		{"newinstance,ptmxmode=0666,mode=0620,gid=5", mountOptions{data: "newinstance,ptmxmode=0666,mode=0620,gid=5"}},
		{"rbind,rslave,private", mountOptions{flags: unix.MS_BIND | unix.MS_REC, propagation: []uintptr{unix.MS_SLAVE | unix.MS_REC, unix.MS_PRIVATE}}},
		{"shared,rshared,unbindable,runbindable,rprivate,slave", mountOptions{propagation: []uintptr{
			unix.MS_SHARED, unix.MS_SHARED | unix.MS_REC, unix.MS_UNBINDABLE, unix.MS_UNBINDABLE | unix.MS_REC,
			unix.MS_PRIVATE | unix.MS_REC, unix.MS_SLAVE}}},
		{"rro,rnosuid,rnodev,rnoexec", mountOptions{attrSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC}},
		{"rro,rrw", mountOptions{attrClr: unix.MOUNT_ATTR_RDONLY}},
		{"rsuid,rdev,rexec", mountOptions{attrClr: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC}},
		// An access-time mode needs the whole atime field cleared too.
		{"rnoatime", mountOptions{attrSet: unix.MOUNT_ATTR_NOATIME, attrClr: unix.MOUNT_ATTR__ATIME}},
		{"rstrictatime", mountOptions{attrSet: unix.MOUNT_ATTR_STRICTATIME, attrClr: unix.MOUNT_ATTR__ATIME}},
		{"ratime", mountOptions{attrClr: unix.MOUNT_ATTR_NOATIME}},
		{"rnodiratime", mountOptions{attrSet: unix.MOUNT_ATTR_NODIRATIME}},
		{"defaults,,x-custom", mountOptions{data: "x-custom"}},
	}
	for _, tc := range tests {
		var in []string
		if tc.in != "" {
			in = strings.Split(tc.in, ",")
		}
		got := parseMountOptions(in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseMountOptions(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestKnownMountOptions(t *testing.T) {
	got := KnownMountOptions()
	if !sort.StringsAreSorted(got) {
		t.Error("not sorted")
	}
	have := map[string]bool{}
	for _, o := range got {
		if have[o] {
			t.Errorf("%q listed twice", o)
		}
		have[o] = true
	}
	must := strings.Fields(`ro rw suid nosuid dev nodev exec noexec sync async dirsync remount mand nomand
		atime noatime diratime nodiratime bind rbind relatime norelatime strictatime nostrictatime
		lazytime nolazytime silent loud iversion noiversion
		private rprivate shared rshared slave rslave unbindable runbindable
		rro rrw rnosuid rsuid rnodev rdev rnoexec rexec ratime rnoatime rnodiratime rdiratime
		rrelatime rnorelatime rstrictatime rnostrictatime`)
	for _, o := range must {
		if !have[o] {
			t.Errorf("%q missing", o)
		}
	}
	// Every listed option is handled, none falls through to data.
	for _, o := range got {
		if p := parseMountOptions([]string{o}); p.data != "" {
			t.Errorf("%q parsed as data", o)
		}
	}
}

func TestRootPropagation(t *testing.T) {
	for v, want := range map[string]uintptr{
		"":           0,
		"shared":     unix.MS_SHARED,
		"rslave":     unix.MS_SLAVE | unix.MS_REC,
		"unbindable": unix.MS_UNBINDABLE,
	} {
		got, ok := rootPropagation(v)
		if !ok || got != want {
			t.Errorf("rootPropagation(%q) = %#x, %v", v, got, ok)
		}
	}
	if _, ok := rootPropagation("bogus"); ok {
		t.Error("bogus accepted")
	}
	c := &Config{Spec: &specs.Spec{Linux: &specs.Linux{RootfsPropagation: "bogus"}}, Rootfs: "/x"}
	if err := c.check(); err == nil {
		t.Error("Config with a bogus rootfsPropagation accepted")
	}
}

func TestStatfsToMountFlags(t *testing.T) {
	got := statfsToMountFlags(unix.ST_RDONLY | unix.ST_NODEV | unix.ST_RELATIME | unix.ST_NOATIME | stNoSymfollow)
	want := uintptr(unix.MS_RDONLY | unix.MS_NODEV | unix.MS_RELATIME | unix.MS_NOATIME | unix.MS_NOSYMFOLLOW)
	if got != want {
		t.Errorf("got %#x, want %#x", got, want)
	}
}

func TestFormatMountLabel(t *testing.T) {
	if got := formatMountLabel("mode=755", "system_u:object_r:container_file_t:s0", false); got != "mode=755" {
		t.Errorf("label added with SELinux disabled: %q", got)
	}
	if got := formatMountLabel("mode=755", "l", true); got != `mode=755,context="l"` {
		t.Errorf("got %q", got)
	}
	if got := formatMountLabel("", "l", true); got != `context="l"` {
		t.Errorf("got %q", got)
	}
	if got := formatMountLabel("x", "", true); got != "x" {
		t.Errorf("got %q", got)
	}
}

func TestCheckProcMount(t *testing.T) {
	ok := []struct {
		rel string
		e   entry
	}{
		{"proc", entry{typ: "proc"}},
		{"proc", entry{bind: true, source: "/proc"}},
		{"proc/cpuinfo", entry{bind: true, source: "/etc/hostname"}},
		{"proc/sys/kernel/ns_last_pid", entry{bind: true, source: "/etc/hostname"}},
		{"procfoo/x", entry{typ: "tmpfs"}},
		{"sys", entry{typ: "sysfs"}},
	}
	for _, tc := range ok {
		if err := checkProcMount(tc.rel, &tc.e); err != nil {
			t.Errorf("checkProcMount(%q, %+v): %v", tc.rel, tc.e, err)
		}
	}
	bad := []struct {
		rel string
		e   entry
	}{
		{"proc", entry{typ: "tmpfs"}},
		{"proc", entry{bind: true, source: "/etc"}},
		{"proc/self/attr", entry{typ: "tmpfs"}},
		{"proc/sys", entry{bind: true, source: "/etc"}},
		{"proc/cpuinfo/x", entry{typ: "tmpfs"}},
	}
	for _, tc := range bad {
		if err := checkProcMount(tc.rel, &tc.e); err == nil || !strings.Contains(err.Error(), ErrProcMount.Error()) {
			t.Errorf("checkProcMount(%q, %+v) = %v, want ErrProcMount", tc.rel, tc.e, err)
		}
	}
}

func TestNeedsDevSetupAndDevices(t *testing.T) {
	spec := &specs.Spec{Mounts: []specs.Mount{{Destination: "/dev", Type: "tmpfs"}}}
	if !needsDevSetup(spec) {
		t.Error("tmpfs /dev: no set-up")
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/dev/", Type: "none", Source: "/dev", Options: []string{"rbind"}})
	if needsDevSetup(spec) {
		t.Error("bind /dev: set-up")
	}

	mode := specs.LinuxDevice{}.FileMode
	spec = &specs.Spec{Linux: &specs.Linux{Devices: []specs.LinuxDevice{
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: mode},
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
	}}}
	devs := containerDevices(spec)
	var paths []string
	for _, d := range devs {
		paths = append(paths, d.Path)
	}
	want := []string{"/dev/null", "/dev/fuse", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("devices %v, want %v", paths, want)
	}
}
