package rootfs

import (
	"reflect"
	"strings"
	"testing"
)

const hybridMountInfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime master:3 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 27 0:32 / /other/memory rw,relatime - cgroup cgroup rw,memory
60 27 0:40 / /run/c/rootfs/sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
70 27 0:41 / /with\040space rw shared:7 master:2 - tmpfs none\011x rw
80 27 0:42 / /u rw unbindable - tmpfs tmpfs rw
`

func TestParseMountInfo(t *testing.T) {
	mounts, err := parseMountInfo(strings.NewReader(hybridMountInfo))
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 11 {
		t.Fatalf("%d mounts", len(mounts))
	}
	sp := mounts[9]
	want := mountInfo{ID: 70, Parent: 27, Root: "/", Mountpoint: "/with space", Options: "rw",
		Optional: []string{"shared:7", "master:2"}, FSType: "tmpfs", Source: "none\tx", SuperOpts: "rw"}
	if !reflect.DeepEqual(sp, want) {
		t.Errorf("got %+v\nwant %+v", sp, want)
	}
	for i, p := range map[int]string{0: "private", 1: "shared", 3: "slave", 9: "shared,slave", 10: "unbindable"} {
		if got := propagationOf(mounts[i]); got != p {
			t.Errorf("propagation of %s = %s, want %s", mounts[i].Mountpoint, got, p)
		}
	}
	if _, err := parseMountInfo(strings.NewReader("1 2 3\n")); err == nil {
		t.Error("malformed line accepted")
	}
}

func TestCgroupHierarchies(t *testing.T) {
	mounts, err := parseMountInfo(strings.NewReader(hybridMountInfo))
	if err != nil {
		t.Fatal(err)
	}
	own := []ownCgroup{
		{Controllers: []string{"name=systemd"}, Path: "/"},
		{Controllers: []string{"memory"}, Path: "/c1"},
		{Controllers: []string{"cpu", "cpuacct"}, Path: "/c1"},
		{Path: "/c1"},
	}
	got := cgroupHierarchies(mounts, own, "/run/c/rootfs")
	want := []cgroupHierarchy{
		{name: "cpu,cpuacct", fsType: "cgroup", options: []string{"cpu", "cpuacct"}, mountpoint: "/sys/fs/cgroup/cpu,cpuacct", ownDir: "/sys/fs/cgroup/cpu,cpuacct/c1"},
		{name: "memory", fsType: "cgroup", options: []string{"memory"}, mountpoint: "/sys/fs/cgroup/memory", ownDir: "/sys/fs/cgroup/memory/c1"},
		{name: "systemd", fsType: "cgroup", options: []string{"name=systemd"}, mountpoint: "/sys/fs/cgroup/systemd", ownDir: "/sys/fs/cgroup/systemd"},
		{name: "unified", fsType: "cgroup2", mountpoint: "/sys/fs/cgroup/unified", ownDir: "/sys/fs/cgroup/unified/c1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	// A mount whose root is not above the process's cgroup gives no ownDir.
	mounts = []mountInfo{{Root: "/other", Mountpoint: "/sys/fs/cgroup/memory", FSType: "cgroup", SuperOpts: "rw,memory"}}
	got = cgroupHierarchies(mounts, own, "/r")
	if len(got) != 1 || got[0].ownDir != "" {
		t.Errorf("got %+v", got)
	}
}
