// Package rootfs builds the container's filesystem view inside the init
// process: it owns mount propagation of the new mount namespace, every mount
// of config.json (bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup, ...),
// the device nodes and symlinks of /dev, the switch into the rootfs
// (pivot_root or MS_MOVE+chroot), and the masked, read-only and root
// read-only paths applied afterwards.
//
// The init calls it in three steps, in this order:
//
//	Prepare  on the host's root, in the new mount namespace: propagation,
//	         rootfs self-bind, config mounts in order, /dev set-up
//	         (createRuntime/createContainer hooks run after it)
//	Enter    pivot_root into the rootfs (or MS_MOVE + chroot with NoPivot)
//	Finish   inside the rootfs: readonlyPaths, maskedPaths, read-only tmpfs
//	         remounts, root.readonly, rootfsPropagation on "/"
//
// What it must never do:
//   - run outside a mount namespace of its own: every call mounts, and
//     Prepare first makes "/" rslave so that nothing propagates back to the
//     host (unless rootfsPropagation asks for shared, rshared or rprivate);
//   - follow a symlink of the rootfs out of it: every destination is resolved
//     with ResolveIn (symlinks relative to the rootfs, ".." clamped at its
//     root), and the final mount is done through an O_PATH fd re-opened with
//     openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), so a path swapped after
//     resolution fails instead of escaping;
//   - mount over /proc, except the few lxcfs-style files runc allows
//     (CVE-2019-19921);
//   - keep state between calls: Prepare, Enter and Finish recompute what they
//     need from the Config, so the caller may run hooks in between.
//
// Errors wrap their cause with %w and name the object acted on, as in
// "mount tmpfs on /run/x/rootfs/dev: ...".
package rootfs
