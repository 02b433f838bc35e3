/*
 * serve_sessions: login sessions kept in memory, for `tlsrpt serve
 * --read-only`, whose store cannot hold them (see serve_private.h).
 *
 * A fixed table of SERVE_SESSION_BUCKETS buckets of SERVE_SESSION_WAYS
 * sessions each; a session lives in the bucket its id hash names (the
 * hash is SHA-256 of a random secret, so buckets fill evenly and no client
 * chooses one).  A new session in a full bucket replaces the expired one,
 * or else the one that would end first: memory stays bounded whatever
 * happens, and at worst the oldest session of a bucket is logged out.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_secret.h"
#include "serve/serve_private.h"
#include "util/xalloc.h"

struct slot {
	char session_hash[AUTH_SECRET_HEX + 1];     /* "" when free */
	struct serve_session sess;
};

struct serve_sessions {
	pthread_mutex_t lock;
	struct slot slots[SERVE_SESSION_BUCKETS][SERVE_SESSION_WAYS];
};

struct serve_sessions *
serve_sessions_new(void)
{
	struct serve_sessions *t = xcalloc(1, sizeof(*t));

	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
serve_sessions_free(struct serve_sessions **tp)
{
	if (tp == NULL || *tp == NULL)
		return;
	pthread_mutex_destroy(&(*tp)->lock);
	free(*tp);
	*tp = NULL;
}

/* The bucket of a session hash (64 hex digits): its first six digits. */
static struct slot *
bucket(struct serve_sessions *t, const char *session_hash)
{
	unsigned long v = 0;
	int i;

	for (i = 0; i < 6 && session_hash[i] != '\0'; i++)
		v = v * 16 + (unsigned long)(session_hash[i] <= '9' ? session_hash[i] - '0' :
					     (session_hash[i] | 0x20) - 'a' + 10) % 16;
	return t->slots[v % SERVE_SESSION_BUCKETS];
}

void
serve_sessions_add(struct serve_sessions *t, const char *session_hash,
		   const struct serve_session *sess, int64_t now)
{
	struct slot *b = bucket(t, session_hash), *use = NULL;
	int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < SERVE_SESSION_WAYS; i++) {
		if (b[i].session_hash[0] == '\0' || b[i].sess.expires <= now) {
			use = &b[i];
			break;
		}
		if (use == NULL || b[i].sess.expires < use->sess.expires)
			use = &b[i];
	}
	snprintf(use->session_hash, sizeof(use->session_hash), "%s", session_hash);
	use->sess = *sess;
	pthread_mutex_unlock(&t->lock);
}

int
serve_sessions_find(struct serve_sessions *t, const char *session_hash, int64_t now,
		    struct serve_session *out)
{
	struct slot *b = bucket(t, session_hash);
	int i, found = 0;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < SERVE_SESSION_WAYS && !found; i++) {
		if (b[i].session_hash[0] != '\0' && b[i].sess.expires > now &&
		    strcmp(b[i].session_hash, session_hash) == 0) {
			*out = b[i].sess;
			found = 1;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

void
serve_sessions_del(struct serve_sessions *t, const char *session_hash)
{
	struct slot *b = bucket(t, session_hash);
	int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < SERVE_SESSION_WAYS; i++)
		if (strcmp(b[i].session_hash, session_hash) == 0)
			memset(&b[i], 0, sizeof(b[i]));
	pthread_mutex_unlock(&t->lock);
}
