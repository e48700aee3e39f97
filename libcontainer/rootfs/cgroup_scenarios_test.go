package rootfs

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	register("cgroupns", scenario{
		cloneflags: syscall.CLONE_NEWCGROUP | syscall.CLONE_NEWPID,
		config: func(dir string) *Config {
			c := config(dir, runcMounts()[0], runcMounts()[6])
			c.CgroupNS = true
			return c
		},
		check: checkCgroupNS,
	})
	register("userns-cgroupns", scenario{
		userns:     true,
		cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWCGROUP,
		config: func(dir string) *Config {
			c := config(dir, runcMounts()[0], runcMounts()[6])
			c.UserNS, c.CgroupNS = true, true
			return c
		},
		check: checkCgroupNS,
	})
	register("v2", v2Scenario(false, false))
	register("v2-userns", v2Scenario(true, false))
	register("v2-cgroupns", v2Scenario(false, true))
}

func TestCgroupNS(t *testing.T) { runScenario(t, "cgroupns") }

func TestUserNSCgroupNS(t *testing.T) { runScenario(t, "userns-cgroupns") }

// TestUnifiedHost runs the cgroup mount as on a cgroup v2 only host: the
// outer child mounts cgroup2 on /sys/fs/cgroup in its own namespace.
func TestUnifiedHost(t *testing.T) {
	for _, name := range []string{"v2", "v2-userns", "v2-cgroupns"} {
		t.Run(name, func(t *testing.T) { runScenario(t, name) })
	}
}

func v2Scenario(userns, cgroupns bool) scenario {
	flags := uintptr(syscall.CLONE_NEWPID)
	if cgroupns {
		flags |= syscall.CLONE_NEWCGROUP
	}
	return scenario{
		userns:     userns,
		cloneflags: flags,
		setup: func(string) error {
			return unix.Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		},
		config: func(dir string) *Config {
			c := config(dir, runcMounts()[0], runcMounts()[6])
			c.UserNS, c.CgroupNS = userns, cgroupns
			return c
		},
		check: func() error {
			ms, err := topMounts()
			if err != nil {
				return err
			}
			own, err := ownCgroupLines()
			if err != nil {
				return err
			}
			want := "/"
			for _, o := range own {
				if o.v2() && !cgroupns {
					want = o.Path
				}
			}
			if ms["/sys/fs/cgroup"].Root != want {
				return fmt.Errorf("/sys/fs/cgroup shows %s, want %s", ms["/sys/fs/cgroup"].Root, want)
			}
			return all(
				func() error { return wantMount(ms, "/sys/fs/cgroup", "cgroup2", "ro", "nosuid", "nodev", "noexec") },
				func() error { return wantReadonlyDir("/sys/fs/cgroup") },
			)
		},
	}
}

// ownCgroupLines reads /proc/self/cgroup inside the container.
func ownCgroupLines() ([]ownCgroup, error) { return readProcCgroup("/proc/self/cgroup") }

// checkCgroupMounts checks the hierarchies under /sys/fs/cgroup: one per
// line of /proc/self/cgroup (the cgroup2 one only if mounted), read-only,
// each showing the container's own cgroup as its root.
func checkCgroupMounts(ms map[string]mountInfo, wantRoot func(ownCgroup) string) error {
	if err := wantMount(ms, "/sys/fs/cgroup", "tmpfs", "ro", "mode=755"); err != nil {
		return err
	}
	own, err := ownCgroupLines()
	if err != nil {
		return err
	}
	found := 0
	for _, o := range own {
		var hit *mountInfo
		for _, mi := range ms {
			if !strings.HasPrefix(mi.Mountpoint, "/sys/fs/cgroup/") {
				continue
			}
			if m, ok := matchOwnCgroup(mi, []ownCgroup{o}); ok && m.Path == o.Path {
				hit = &mi
				break
			}
		}
		if hit == nil {
			if o.v2() {
				continue
			}
			return fmt.Errorf("no cgroup mount for %v", o.Controllers)
		}
		found++
		if hit.Root != wantRoot(o) {
			return fmt.Errorf("%s: root %s, want %s", hit.Mountpoint, hit.Root, wantRoot(o))
		}
		if err := wantMount(ms, hit.Mountpoint, "", "ro", "nosuid", "nodev", "noexec"); err != nil {
			return err
		}
	}
	if found == 0 {
		return errors.New("no cgroup hierarchy mounted")
	}
	return nil
}

func checkCgroupNS() error {
	ms, err := topMounts()
	if err != nil {
		return err
	}
	if isUnifiedHost() {
		return wantMount(ms, "/sys/fs/cgroup", "cgroup2", "ro")
	}
	err = checkCgroupMounts(ms, func(ownCgroup) string { return "/" })
	if err != nil {
		return err
	}
	for _, mi := range ms {
		if strings.HasPrefix(mi.Mountpoint, "/sys/fs/cgroup/") && mi.Root != "/" {
			return fmt.Errorf("%s shows %s, not the namespace's root", mi.Mountpoint, mi.Root)
		}
	}
	return nil
}
