/* The C stage of rt's init: runs as a constructor, before the Go runtime
 * starts (the process is still single-threaded, so setns and unshare of
 * user and mount namespaces are allowed). It joins and creates the
 * container's namespaces, forks the init into them and exits; only the init
 * goes on into Go. In any process without _RT_SYNC_FD it returns at once.
 * The protocol it speaks is described in libcontainer/initproto. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include "nsexec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

unsigned long long rt_orig_nofile_cur, rt_orig_nofile_max;
int rt_orig_nofile_set;

static int sync_fd = -1, log_fd = -1;

/* Writes one JSON log line for the parent to forward; msg is escaped. */
static void log_line(const char *level, const char *msg)
{
	char buf[2048];
	size_t n = 0;
	if (log_fd < 0)
		return;
	n += snprintf(buf, sizeof(buf), "{\"level\":\"%s\",\"msg\":\"", level);
	for (const char *p = msg; *p && n < sizeof(buf) - 8; p++) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = c;
		} else if (c < 0x20) {
			n += snprintf(buf + n, sizeof(buf) - n, "\\u%04x", c);
		} else {
			buf[n++] = c;
		}
	}
	n += snprintf(buf + n, sizeof(buf) - n, "\"}\n");
	if (write(log_fd, buf, n) < 0) {
		/* the parent is gone: nothing to tell */
	}
}

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	while (len > 0) {
		ssize_t n = write(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t len)
{
	char *c = p;
	while (len > 0) {
		ssize_t n = read(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= n;
	}
	return 0;
}

static int send_msg(uint32_t kind, const void *payload, uint32_t len)
{
	uint32_t hdr[2] = { kind, len };
	if (write_all(sync_fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? write_all(sync_fd, payload, len) : 0;
}

/* Reports a failure to the parent (Error message and a log line) and exits. */
static void __attribute__((noreturn, format(printf, 1, 2))) bail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int saved = errno;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (saved && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	log_line("error", msg);
	send_msg(RT_MSG_ERROR, msg, strlen(msg));
	_exit(1);
}

/* Reads a message that must be of kind want; returns its malloc'ed payload. */
static char *recv_msg(uint32_t want, uint32_t *len)
{
	uint32_t hdr[2];
	char *payload;

	errno = 0;
	if (read_all(sync_fd, hdr, sizeof(hdr)) < 0)
		bail("nsexec: waiting for message %u: sync socket closed", want);
	if (hdr[0] != want) {
		errno = 0;
		bail("nsexec: waiting for message %u: got %u", want, hdr[0]);
	}
	if (hdr[1] > RT_MAX_PAYLOAD) {
		errno = 0;
		bail("nsexec: message %u of %u bytes is too large", want, hdr[1]);
	}
	payload = calloc(1, hdr[1] + 1);
	if (payload == NULL)
		bail("nsexec: alloc");
	if (hdr[1] && read_all(sync_fd, payload, hdr[1]) < 0)
		bail("nsexec: short message %u", want);
	*len = hdr[1];
	return payload;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		bail("nsexec: open %s", path);
	if (write_all(fd, data, len) < 0)
		bail("nsexec: write %s", path);
	close(fd);
}

static int env_fd(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long fd;
	if (v == NULL)
		return -1;
	fd = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || fd < 0 || fd > 65535)
		return -1;
	return (int)fd;
}

struct nspath {
	uint32_t flag;
	const char *path;
	int fd;
};

#define MAX_NS 16

static void join_namespaces(struct nspath *ns, int n)
{
	int i, pass;

	/* Open all first: after joining a user namespace we may no longer be
	 * allowed to open the others. */
	for (i = 0; i < n; i++) {
		ns[i].fd = open(ns[i].path, O_RDONLY | O_CLOEXEC);
		if (ns[i].fd < 0)
			bail("nsexec: open namespace %s", ns[i].path);
	}
	/* The user namespace first, so we hold capabilities over the others. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			int is_user = ns[i].flag == CLONE_NEWUSER;
			if (is_user != (pass == 0))
				continue;
			if (setns(ns[i].fd, ns[i].flag) < 0)
				bail("nsexec: setns %s", ns[i].path);
			close(ns[i].fd);
		}
	}
}

static void become_root(void)
{
	if (setresgid(0, 0, 0) < 0)
		bail("nsexec: setresgid 0 in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		bail("nsexec: setresuid 0 in the user namespace");
	/* Changing ids made us non-dumpable, which hands /proc/self to the
	 * host's root: take it back so we can write timens_offsets etc. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		bail("nsexec: prctl dumpable");
}

__attribute__((constructor)) static void nsexec(void)
{
	struct nspath ns[MAX_NS];
	struct rlimit rl;
	uint32_t len, off, flags = 0, nns = 0, joined_user = 0;
	const char *time_offsets = NULL, *oom = NULL;
	uint32_t time_len = 0, oom_len = 0;
	char *data;
	pid_t pid;

	sync_fd = env_fd(RT_ENV_SYNC_FD);
	if (sync_fd < 0)
		return;
	log_fd = env_fd(RT_ENV_LOG_FD);

	/* Go raises the soft RLIMIT_NOFILE at start-up: keep the real one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rt_orig_nofile_cur = rl.rlim_cur;
		rt_orig_nofile_max = rl.rlim_max;
		rt_orig_nofile_set = 1;
	}

	data = recv_msg(RT_MSG_BOOTSTRAP, &len);
	for (off = 0; off + 8 <= len;) {
		uint32_t type, alen;
		char *val;
		memcpy(&type, data + off, 4);
		memcpy(&alen, data + off + 4, 4);
		val = data + off + 8;
		if (alen > len - off - 8) {
			errno = 0;
			bail("nsexec: bootstrap attribute %u overruns the message", type);
		}
		switch (type) {
		case RT_ATTR_CLONE_FLAGS:
			if (alen != 4) {
				errno = 0;
				bail("nsexec: clone flags of %u bytes", alen);
			}
			memcpy(&flags, val, 4);
			break;
		case RT_ATTR_NS_PATH:
			if (alen < 6 || val[alen - 1] != '\0' || nns >= MAX_NS) {
				errno = 0;
				bail("nsexec: malformed namespace path attribute");
			}
			memcpy(&ns[nns].flag, val, 4);
			ns[nns].path = val + 4;
			if (ns[nns].flag == CLONE_NEWUSER)
				joined_user = 1;
			nns++;
			break;
		case RT_ATTR_TIME_OFFSETS:
			time_offsets = val;
			time_len = alen;
			break;
		case RT_ATTR_OOM_SCORE_ADJ:
			oom = val;
			oom_len = alen;
			break;
		default:
			errno = 0;
			bail("nsexec: unknown bootstrap attribute %u", type);
		}
		off += 8 + alen;
	}
	if (off != len) {
		errno = 0;
		bail("nsexec: %u stray bytes after the bootstrap attributes", len - off);
	}

	/* Before any user namespace, while we hold the host's privileges. */
	if (oom != NULL)
		write_file("/proc/self/oom_score_adj", oom, oom_len);

	join_namespaces(ns, nns);
	if (joined_user)
		become_root();

	if (flags & CLONE_NEWUSER) {
		uint32_t n;
		if (unshare(CLONE_NEWUSER) < 0)
			bail("nsexec: unshare user namespace");
		/* The parent writes our maps: /proc/self must stay ours to write. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			bail("nsexec: prctl dumpable");
		if (send_msg(RT_MSG_USERMAP_REQ, NULL, 0) < 0)
			bail("nsexec: send usermap request");
		free(recv_msg(RT_MSG_USERMAP_ACK, &n));
		become_root();
	}

	if (unshare(flags & ~CLONE_NEWUSER) < 0)
		bail("nsexec: unshare namespaces 0x%x", flags & ~CLONE_NEWUSER);
	if ((flags & CLONE_NEWTIME) && time_offsets != NULL)
		write_file("/proc/self/timens_offsets", time_offsets, time_len);

	/* New pid and time namespaces apply to children: fork the init. */
	pid = fork();
	if (pid < 0)
		bail("nsexec: fork init");
	if (pid == 0) {
		free(data);
		return; /* the init: on into the Go runtime */
	}
	{
		uint32_t p = (uint32_t)pid;
		if (send_msg(RT_MSG_INIT_PID, &p, sizeof(p)) < 0)
			bail("nsexec: send init pid");
	}
	_exit(0);
}
