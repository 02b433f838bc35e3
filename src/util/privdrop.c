/*
 * privdrop: becoming an unprivileged user after start-up (see privdrop.h).
 */
#include "util/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Looks user up by name, then as a number.  Returns NULL with err set. */
static struct passwd *
lookup(const char *user, struct err *err)
{
	struct passwd *pw;
	char *end;
	unsigned long uid;

	errno = 0;
	if ((pw = getpwnam(user)) != NULL)
		return pw;
	uid = strtoul(user, &end, 10);
	if (*user != '\0' && *end == '\0' && (pw = getpwuid((uid_t)uid)) != NULL)
		return pw;
	err_set(err, "user \"%s\": %s", user, errno != 0 ? strerror(errno) :
		"no such user (create it, e.g. adduser --system --group _tlsrpt)");
	return NULL;
}

int
privdrop_check(const char *user, int allow_root, struct err *err)
{
	struct passwd *pw;

	const char *env = getenv("TLSRPT_ALLOW_ROOT");

	if (env != NULL && strcmp(env, "1") == 0)
		allow_root = 1;
	if (user == NULL || *user == '\0') {
		if (geteuid() == 0 && !allow_root) {
			err_set(err, "refusing to run as root: give --user USER (e.g. _tlsrpt) "
				"to drop privileges after start-up, or --allow-root");
			return -1;
		}
		return 0;
	}
	if ((pw = lookup(user, err)) == NULL)
		return -1;
	if (geteuid() != 0 && geteuid() != pw->pw_uid) {
		err_set(err, "--user %s: only root can become another user (running as "
			"uid %ld)", user, (long)geteuid());
		return -1;
	}
	if (pw->pw_uid == 0 && !allow_root) {
		err_set(err, "--user %s is root: give an unprivileged user, or --allow-root",
			user);
		return -1;
	}
	return 0;
}

int
privdrop_to_user(const char *user, struct err *err)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (user == NULL || *user == '\0' || geteuid() != 0)
		return 0;
	if ((pw = lookup(user, err)) == NULL)
		return -1;
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		return 0;
	if (initgroups(pw->pw_name, gid) < 0) {
		err_set(err, "--user %s: initgroups: %s", user, strerror(errno));
		return -1;
	}
	if (setgid(gid) < 0 || setuid(uid) < 0) {
		err_set(err, "--user %s: setgid/setuid: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		err_set(err, "--user %s: root could be regained after dropping it", user);
		return -1;
	}
	return 0;
}
