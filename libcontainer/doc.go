// Package libcontainer is rt's container library. It holds no code itself;
// each concern lives in its own package:
//
//	bundle         load and validate config.json and the rootfs of a bundle
//	state          the on-disk state of a container under --root (JSON, lock)
//	initproto      THE protocol between `rt create` and the container's init
//	nsexec         the C init stage (runs before the Go runtime starts)
//	container      lifecycle, parent side: create, start, run, kill, delete
//	containerinit  the Go side of the container's init (inside the namespaces)
//	rootfs         mounts, devices, pivot_root, masked and read-only paths
//	process        user switch, rlimits, sysctl, fds, executable lookup
//	security/caps  Linux capabilities: parse names, apply the five sets
//	console        the container's pty: allocation, console socket, proxy
//	hooks          OCI hooks: state on stdin, timeout
//	cgroups        the cgroup Manager interface, host mode and paths;
//	               v1 and v2 drivers, devices (v1 lists, v2 eBPF),
//	               fscommon (file writes with rollback), stats (events JSON)
//	logs           logrus set-up and forwarding of the init's log lines
//	signals        signal names and numbers
//	features       what rt supports, for `rt features`
//
// Commands in the top-level main package parse flags, call these packages
// and print; they hold no container logic.
package libcontainer
