/*
 * store_users: who may use the dashboard, the API and /metrics of
 * `tlsrpt serve`: users (a crypt(3) password hash, never the password),
 * the policy domains granted to each (model/domain_scope.h patterns), API
 * tokens and login sessions.  Tokens and session ids are stored only as
 * their SHA-256 (hex, src/auth/auth_secret.h): reading the store does not
 * give a usable credential.  Deleting a user deletes its grants, tokens
 * and sessions.
 */
#ifndef TLSRPT_STORE_STORE_USERS_H
#define TLSRPT_STORE_STORE_USERS_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* The schema step (store_schema.c) that creates the tables. */
extern const char store_users_schema_sql[];

/* Longest user name, token label and stored hash. */
#define STORE_USER_NAME_MAX 64
#define STORE_USER_HASH_MAX 256

/* One user as read back. */
struct store_user {
	int64_t id;
	char name[STORE_USER_NAME_MAX + 1];
	char password_hash[STORE_USER_HASH_MAX + 1];   /* crypt(3) string */
	int admin;                                     /* sees every domain */
};

/* Adds a user.  Returns 1 if added, 0 if the name exists (nothing
 * changed), -1 on error. */
int store_user_add(struct store *s, const char *name, const char *password_hash,
		   int admin, int64_t now, struct err *err);

/* Replaces the password hash and ends the user's sessions.  Returns 1 if
 * done, 0 if there is no such user, -1 on error. */
int store_user_set_password(struct store *s, const char *name, const char *password_hash,
			    struct err *err);

/* Deletes the user with its grants, tokens and sessions.  Returns 1, 0 if
 * there is no such user, -1 on error. */
int store_user_del(struct store *s, const char *name, struct err *err);

/* Reads user `name` into *u.  Returns 1 if found, 0 if not, -1 on error. */
int store_user_get(struct store *s, const char *name, struct store_user *u, struct err *err);

/* Calls cb for each user (name order); the password hash is not read
 * (u->password_hash is "").  cb returns non-zero to stop (returned).
 * Returns 0 when all were visited, -1 on error. */
typedef int (*store_user_cb)(void *ctx, const struct store_user *u);
int store_user_list(struct store *s, store_user_cb cb, void *ctx, struct err *err);

/* Grants (pattern normalized by the caller) to user `name`.  Returns 1 if
 * added, 0 if the user does not exist or already holds it, -1 on error. */
int store_grant_add(struct store *s, const char *name, const char *pattern, struct err *err);

/* Revokes a grant.  Returns 1 if removed, 0 if it was not there, -1. */
int store_grant_del(struct store *s, const char *name, const char *pattern, struct err *err);

/* Calls cb(ctx, pattern) for each grant of user_id, or of every user when
 * user_id is 0 (the intake's accepted domains).  Returns 0, the non-zero
 * value cb stopped with, or -1. */
typedef int (*store_grant_cb)(void *ctx, const char *pattern);
int store_grant_list(struct store *s, int64_t user_id, store_grant_cb cb, void *ctx,
		     struct err *err);

/* Stores the hash of a new API token of user `name` with a label.
 * Returns 1, 0 if there is no such user, -1 on error. */
int store_token_add(struct store *s, const char *name, const char *token_hash,
		    const char *label, int64_t now, struct err *err);

/* Deletes the tokens of user `name` with this label.  Returns how many,
 * or -1. */
int store_token_del(struct store *s, const char *name, const char *label, struct err *err);

/* Finds the user owning the token with this hash.  Returns 1 (u filled,
 * hash not read), 0 if unknown, -1 on error. */
int store_token_user(struct store *s, const char *token_hash, struct store_user *u,
		     struct err *err);

/* Starts a login session: its id hash, its CSRF token and when it ends.
 * Also deletes the sessions already expired at now.  Returns 0 or -1. */
int store_session_add(struct store *s, int64_t user_id, const char *session_hash,
		      const char *csrf, int64_t now, int64_t expires, struct err *err);

/* Finds a live session (expires > now).  Returns 1 (u filled without the
 * hash, csrf copied into csrf[65]), 0 if none, -1 on error. */
int store_session_user(struct store *s, const char *session_hash, int64_t now,
		       struct store_user *u, char csrf[65], struct err *err);

/* Ends a session.  Returns 0 or -1. */
int store_session_del(struct store *s, const char *session_hash, struct err *err);

#endif
