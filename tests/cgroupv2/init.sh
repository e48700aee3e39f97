#!/bin/busybox sh
# /init of the cgroup v2 test VM (see run.sh). Runs twice:
#   stage 1, PID 1 on the initramfs: copies the initramfs into a tmpfs and
#     switch_roots into it (a runtime cannot pivot_root while the system root
#     is the initramfs itself);
#   stage 2, PID 1 on the tmpfs: mounts the kernel file systems and cgroup2,
#     enables every controller, loads the modules, runs /tests/tests.sh (TAP on
#     the console) and the optional conformance programs, then powers off.
# Everything it prints goes to the serial console, which run.sh parses; the
# line "CGROUPV2-END" tells run.sh that the VM got to the end.
export PATH=/bin:/sbin
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s /bin 2>/dev/null

if [ ! -e /.stage2 ]; then
	mount -t proc proc /proc
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mkdir -p /newroot
	mount -t tmpfs -o mode=0755 tmpfs /newroot
	for f in /* /.[!.]*; do
		case $f in
		/newroot | /proc | /sys | /dev | '/.[!.]*') ;;
		*) cp -a "$f" /newroot/ ;;
		esac
	done
	mkdir -p /newroot/proc /newroot/sys /newroot/dev
	touch /newroot/.stage2
	umount /dev 2>/dev/null
	umount /proc
	exec switch_root /newroot /init
	echo "init: switch_root failed"
	echo "CGROUPV2-END"
	poweroff -f
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue /run /tmp /sys/fs/cgroup
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
# Only serious kernel messages on the console: an OOM report in the middle of
# a TAP line would break it.
dmesg -n 1 2>/dev/null
hostname rt-cgroupv2
ip link set lo up 2>/dev/null
echo "init: kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"

# Modules copied by run.sh: brd gives block devices for io.max and the device
# filter; bfq provides io.bfq.weight; dummy a second network interface (the
# conformance program linux_cgroups_network takes the first two it finds).
for m in /lib/modules/*.ko; do
	[ -e "$m" ] && { insmod "$m" 2>/dev/null || echo "init: insmod $m failed"; }
done
ip link add dummy0 type dummy 2>/dev/null && ip link set dummy0 up

# Every controller for the children of the root (rt's cgroups live below it).
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
		echo "init: cannot enable controller $c"
done
echo "init: controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
# A few huge pages, so that hugetlb limits can be tested against real pages.
echo 4 > /proc/sys/vm/nr_hugepages 2>/dev/null

cd /
[ -f /tests/params ] && . /tests/params
echo "init: tests start at $(cut -d' ' -f1 /proc/uptime) s uptime"
sh /tests/tests.sh
if [ -d /conformance ]; then
	sh /tests/conformance.sh
fi
echo "init: tests end at $(cut -d' ' -f1 /proc/uptime) s uptime"
sync
echo "CGROUPV2-END"
poweroff -f
