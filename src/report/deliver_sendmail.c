/*
 * deliver_sendmail: posix_spawn of `/bin/sh -c COMMAND`, the message
 * written to its stdin through a pipe (see deliver_sendmail.h).
 */
#include "report/deliver_sendmail.h"
#include "util/monotime.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Writes msg with CRLF turned into LF. Returns 0 or -1 (errno set). */
static int
write_lf(int fd, const char *msg, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		ssize_t w;

		while (j < len && !(msg[j] == '\r' && j + 1 < len && msg[j + 1] == '\n'))
			j++;
		while (i < j) {
			if ((w = write(fd, msg + i, j - i)) < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			i += (size_t)w;
		}
		if (j < len)
			i = j + 1;      /* skip the CR, keep the LF */
	}
	return 0;
}

/* Waits for pid until deadline_ms (monotonic); then SIGTERM, and SIGKILL
 * 2 s later.  Returns 0 with *status set, 1 if it had to be killed (it is
 * reaped), -1 on a waitpid error (errno set). */
static int
wait_until(pid_t pid, int *status, int64_t deadline_ms)
{
	int sig = SIGTERM;
	long nap_us = 500;      /* doubles up to 50 ms: a quick command costs ~its own time */

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return sig == SIGTERM ? 0 : 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && monotime_ms() >= deadline_ms) {
			if (sig == 0) {
				/* SIGKILL was sent: it ends now */
				while (waitpid(pid, status, 0) < 0)
					if (errno != EINTR)
						return -1;
				return 1;
			}
			kill(pid, sig);
			deadline_ms = monotime_ms() + 2000;
			sig = sig == SIGTERM ? SIGKILL : 0;
			continue;
		}
		if (r == 0) {
			struct timespec ts = { 0, nap_us * 1000L };

			nanosleep(&ts, NULL);
			if (nap_us < 50000)
				nap_us *= 2;
		}
	}
}

enum deliver_result
deliver_sendmail(const char *command, const char *msg, size_t len, long timeout, struct err *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "/bin/sh", "-c", (char *)(uintptr_t)command, NULL };
	int fds[2], status, rc, werr = 0;
	pid_t pid;

	if (pipe(fds) < 0) {
		err_set(err, "sendmail: pipe: %s", strerror(errno));
		return DELIVER_TEMPFAIL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		err_set(err, "sendmail: cannot run \"%s\": %s", command, strerror(rc));
		return DELIVER_TEMPFAIL;
	}
	if (write_lf(fds[1], msg, len) < 0)
		werr = errno;
	close(fds[1]);
	if (timeout <= 0)
		timeout = DELIVER_SENDMAIL_TIMEOUT;
	rc = wait_until(pid, &status, monotime_ms() + (int64_t)timeout * 1000);
	if (rc < 0) {
		err_set(err, "sendmail: waitpid: %s", strerror(errno));
		return DELIVER_TEMPFAIL;
	}
	if (rc > 0) {
		err_set(err, "sendmail: \"%s\" still running after %ld s: killed", command, timeout);
		return DELIVER_TEMPFAIL;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && werr == 0)
		return DELIVER_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		err_set(err, "sendmail: \"%s\" exited with status %d", command,
			WEXITSTATUS(status));
		return WEXITSTATUS(status) == 75 ? DELIVER_TEMPFAIL : DELIVER_PERMFAIL;
	}
	if (werr != 0) {
		err_set(err, "sendmail: writing to \"%s\": %s", command, strerror(werr));
		return DELIVER_TEMPFAIL;
	}
	err_set(err, "sendmail: \"%s\" killed by signal %d", command, WTERMSIG(status));
	return DELIVER_TEMPFAIL;
}
