/* Numbers of the init protocol. libcontainer/initproto/protocol.go owns the
 * protocol and its table; these mirror it (a Go test checks they agree). */
#ifndef RT_NSEXEC_H
#define RT_NSEXEC_H

#define RT_MSG_BOOTSTRAP 1
#define RT_MSG_USERMAP_REQ 2
#define RT_MSG_USERMAP_ACK 3
#define RT_MSG_INIT_PID 4
#define RT_MSG_ERROR 10

#define RT_ATTR_CLONE_FLAGS 1
#define RT_ATTR_NS_PATH 2
#define RT_ATTR_TIME_OFFSETS 3
#define RT_ATTR_OOM_SCORE_ADJ 4

#define RT_ENV_SYNC_FD "_RT_SYNC_FD"
#define RT_ENV_LOG_FD "_RT_LOG_FD"

#define RT_MAX_PAYLOAD (16 << 20)

/* The RLIMIT_NOFILE this process had before the Go runtime raised it. */
extern unsigned long long rt_orig_nofile_cur, rt_orig_nofile_max;
extern int rt_orig_nofile_set;

#endif
