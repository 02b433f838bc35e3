/*
 * serve_throttle: failed logins slow the next try (see serve_private.h).
 * A fixed table of SERVE_THROTTLE_SLOTS keys ("user:NAME", "addr:IP");
 * when it is full the slot tried longest ago is reused, so memory stays
 * bounded whatever an attacker sends.  Refusing early (429) instead of
 * sleeping keeps the worker threads free.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_private.h"
#include "util/xalloc.h"

struct slot {
	char key[96];
	unsigned failures;
	double last;              /* time of the last failure */
	double until;             /* no try before this */
};

struct serve_throttle {
	pthread_mutex_t lock;
	struct slot slots[SERVE_THROTTLE_SLOTS];
};

struct serve_throttle *
serve_throttle_new(void)
{
	struct serve_throttle *t = xcalloc(1, sizeof(*t));

	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
serve_throttle_free(struct serve_throttle **tp)
{
	if (tp == NULL || *tp == NULL)
		return;
	pthread_mutex_destroy(&(*tp)->lock);
	free(*tp);
	*tp = NULL;
}

/* The slot of key, or NULL (lock held). */
static struct slot *
find(struct serve_throttle *t, const char *key)
{
	for (size_t i = 0; i < SERVE_THROTTLE_SLOTS; i++)
		if (t->slots[i].key[0] != '\0' && strcmp(t->slots[i].key, key) == 0)
			return &t->slots[i];
	return NULL;
}

unsigned
serve_throttle_wait(struct serve_throttle *t, const char *key, double now)
{
	struct slot *sl;
	unsigned wait = 0;

	pthread_mutex_lock(&t->lock);
	sl = find(t, key);
	if (sl != NULL && sl->until > now)
		wait = (unsigned)(sl->until - now) + 1;
	pthread_mutex_unlock(&t->lock);
	return wait;
}

unsigned
serve_throttle_fail(struct serve_throttle *t, const char *key, double now)
{
	struct slot *sl, *old;
	unsigned n, delay;

	pthread_mutex_lock(&t->lock);
	sl = find(t, key);
	if (sl == NULL) {
		old = &t->slots[0];
		for (size_t i = 0; i < SERVE_THROTTLE_SLOTS; i++) {
			if (t->slots[i].key[0] == '\0') {
				old = &t->slots[i];
				break;
			}
			if (t->slots[i].last < old->last)
				old = &t->slots[i];
		}
		sl = old;
		memset(sl, 0, sizeof(*sl));
		snprintf(sl->key, sizeof(sl->key), "%s", key);
	}
	n = ++sl->failures;
	delay = n > 9 ? SERVE_THROTTLE_MAX_S : 1u << (n - 1);
	if (delay > SERVE_THROTTLE_MAX_S)
		delay = SERVE_THROTTLE_MAX_S;
	sl->last = now;
	sl->until = now + delay;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void
serve_throttle_clear(struct serve_throttle *t, const char *key)
{
	struct slot *sl;

	pthread_mutex_lock(&t->lock);
	sl = find(t, key);
	if (sl != NULL)
		memset(sl, 0, sizeof(*sl));
	pthread_mutex_unlock(&t->lock);
}
