/*
 * privdrop: least privilege for daemons started without systemd's User=.
 *
 * A daemon started as root opens what needs root (a socket in a root-owned
 * directory, a port below 1024, a key only root reads), then becomes the
 * configured user for good: supplementary groups from /etc/group, primary
 * group, then user; afterwards regaining root is checked to fail.  Started
 * as root without a user to become, it refuses to run unless explicitly
 * allowed (--allow-root).  Daemons call:
 *
 *     if (privdrop_check(user, allow_root, &err) < 0)     before any work
 *             exit(EXIT_USAGE);
 *     ... bind sockets, read keys ...
 *     if (privdrop_to_user(user, &err) < 0)               before serving
 *             exit(EXIT_FAILURE_);
 *
 * Both are no-ops when not running as root and user is NULL/empty or
 * names the current user.  Glibc applies setuid()/setgid() to every
 * thread of the process, so threads started before the drop drop too.
 */
#ifndef TLSRPT_UTIL_PRIVDROP_H
#define TLSRPT_UTIL_PRIVDROP_H

#include "util/err.h"

/* Checks, before anything is opened, that the daemon may go on: as root,
 * user must be set (and exist) unless allow_root or the environment has
 * TLSRPT_ALLOW_ROOT=1 (test harnesses); as another user, user
 * must be unset or name that same user.  Returns 0, or -1 with err set
 * (e.g. "refusing to run as root: give --user USER … or --allow-root"). */
int privdrop_check(const char *user, int allow_root, struct err *err);

/* Becomes user (a name or a numeric uid) if running as root; see the top.
 * user NULL or "" does nothing.  Returns 0, or -1 with err set (the
 * process must then exit: it may be half-way). */
int privdrop_to_user(const char *user, struct err *err);

#endif
