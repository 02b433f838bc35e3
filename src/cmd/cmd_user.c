/*
 * cmd_user: `tlsrpt user` manages who may use the dashboard, API and
 * /metrics of `tlsrpt serve` (store_users.h):
 *   add NAME [--admin]      a user; the password is asked on the terminal
 *                           (twice, without echo) or read from stdin
 *                           (--password-stdin, one line): never from argv
 *   passwd NAME             a new password (ends the user's sessions)
 *   del NAME                the user, its grants, tokens and sessions
 *   list                    users, admin flag and grants
 *   grant NAME PATTERN…     policy domains the user may see
 *                           (example.com, *.example.com)
 *   revoke NAME PATTERN…
 *   token NAME [--label L]  prints a new API token once (only its SHA-256
 *                           is stored); --revoke LABEL deletes them
 * Passwords are hashed with crypt(3) (auth_password.h) and wiped.
 */
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth_password.h"
#include "auth/auth_secret.h"
#include "cmd/cmd.h"
#include "model/domain_scope.h"
#include "store/store_users.h"

int cmd_user(int argc, char **argv);
extern const char cmd_user_summary[];
const char cmd_user_summary[] = "dashboard users: add, passwd, del, list, grant, revoke, token";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: tlsrpt user add NAME [--admin] [--password-stdin] [--db URL]\n"
"       tlsrpt user passwd NAME [--password-stdin] [--db URL]\n"
"       tlsrpt user del NAME [--db URL]\n"
"       tlsrpt user list [--db URL]\n"
"       tlsrpt user grant NAME PATTERN... [--db URL]\n"
"       tlsrpt user revoke NAME PATTERN... [--db URL]\n"
"       tlsrpt user token NAME [--label LABEL | --revoke LABEL] [--db URL]\n"
"\n"
"  --admin             the user sees every domain (else only its grants)\n"
"  --password-stdin    read the password from the first line of stdin\n"
"                      (default: ask twice on the terminal, without echo)\n"
"  --label LABEL       name of the new API token (default \"api\")\n"
"  --revoke LABEL      delete the user's tokens with this label\n"
"  --db URL            the store (default: $TLSRPT_DB, else the configured one)\n"
"\n"
"PATTERN: example.com (that name) or *.example.com (every name under it).\n");
}

/* Reads one line (without the newline) into buf; 0, or -1 at EOF/too long. */
static int
read_line(FILE *f, char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, f) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1)
		return -1;            /* no newline: longer than the buffer */
	buf[n] = '\0';
	return 0;
}

#define NO_TERMINAL (-2)         /* ask(): said so already */

/* Asks for a password on the terminal without echo.  Returns 0, -1 when
 * nothing was read, or NO_TERMINAL after saying that there is none. */
static int
ask(const char *prompt, char *buf, size_t size)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, quiet;
	int rc, restore = 0;

	if (tty == NULL) {
		fprintf(stderr, "tlsrpt user: no terminal to ask the password on; "
			"use --password-stdin\n");
		return NO_TERMINAL;
	}
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	rc = read_line(tty, buf, size);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	return rc;
}

/* Gets the new password (terminal twice, or stdin) and returns its hash
 * (caller frees) or NULL after saying why. */
static char *
new_password_hash(int from_stdin)
{
	char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2], *hash = NULL;
	struct err err;
	int r;

	r = from_stdin ? read_line(stdin, pw, sizeof(pw)) : ask("Password: ", pw, sizeof(pw));
	if (r != 0) {
		if (r != NO_TERMINAL)   /* one reason only */
			fprintf(stderr, "tlsrpt user: no password read (at most %d bytes, "
				"one line)\n", AUTH_PASSWORD_MAX);
		goto out;
	}
	if (strlen(pw) < AUTH_PASSWORD_MIN) {
		fprintf(stderr, "tlsrpt user: the password must have at least %d characters\n",
			AUTH_PASSWORD_MIN);
		goto out;
	}
	if (!from_stdin && (ask("Again: ", again, sizeof(again)) != 0 ||
			    strcmp(pw, again) != 0)) {
		fprintf(stderr, "tlsrpt user: the passwords differ\n");
		goto out;
	}
	hash = auth_password_hash(pw, &err);
	if (hash == NULL)
		fprintf(stderr, "tlsrpt user: %s\n", err.msg);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(again, sizeof(again));
	return hash;
}

/* A user name: 1 to 64 of letters, digits and . _ @ - */
static int
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > STORE_USER_NAME_MAX)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._@-") == n;
}

struct list_ctx {
	struct store *st;
	int rc;
};

static int
print_grant(void *ctx, const char *pattern)
{
	(void)ctx;
	printf(" %s", pattern);
	return 0;
}

static int
print_user(void *vctx, const struct store_user *u)
{
	struct list_ctx *c = vctx;
	struct err err;

	printf("%s\t%s\t", u->name, u->admin ? "admin" : "user");
	if (u->admin)
		printf(" *");
	else if (store_grant_list(c->st, u->id, print_grant, NULL, &err) < 0) {
		fprintf(stderr, "tlsrpt user: store: %s\n", err.msg);
		c->rc = -1;
	}
	printf("\n");
	return 0;
}

/* grant / revoke each pattern; returns an exit code. */
static int
grants(struct store *st, int add, const char *name, char **pats, int n)
{
	struct err err;
	char *p;
	int rc = EXIT_OK, r;

	for (int i = 0; i < n; i++) {
		p = domain_pattern_normalize(pats[i], &err);
		if (p == NULL || strcmp(p, "*") == 0) {
			fprintf(stderr, "tlsrpt user: %s\n", p == NULL ? err.msg :
				"\"*\": make the user an administrator instead (--admin)");
			free(p);
			rc = EXIT_USAGE;
			continue;
		}
		r = add ? store_grant_add(st, name, p, &err) : store_grant_del(st, name, p, &err);
		if (r < 0) {
			fprintf(stderr, "tlsrpt user: store: %s\n", err.msg);
			rc = EXIT_FAILURE_;
		} else if (r == 0) {
			fprintf(stderr, "tlsrpt user: %s %s: %s\n", name, p,
				add ? "no such user, or already granted" : "was not granted");
			if (rc == EXIT_OK)
				rc = EXIT_PARTIAL;
		}
		free(p);
	}
	return rc;
}

/* token NAME: prints a new token; --revoke LABEL deletes. */
static int
token(struct store *st, const char *name, const char *label, const char *revoke)
{
	char secret[AUTH_SECRET_HEX + 1], tok[AUTH_TOKEN_LEN + 1], hash[AUTH_SECRET_HEX + 1];
	struct err err;
	int r;

	if (revoke != NULL) {
		r = store_token_del(st, name, revoke, &err);
		if (r < 0) {
			fprintf(stderr, "tlsrpt user: store: %s\n", err.msg);
			return EXIT_FAILURE_;
		}
		fprintf(stderr, "%d token(s) of %s with label %s deleted\n", r, name, revoke);
		return r > 0 ? EXIT_OK : EXIT_PARTIAL;
	}
	if (auth_secret_new(secret, &err) != 0) {
		fprintf(stderr, "tlsrpt user: %s\n", err.msg);
		return EXIT_FAILURE_;
	}
	snprintf(tok, sizeof(tok), "%s%s", AUTH_TOKEN_PREFIX, secret);
	auth_secret_hash(tok, hash);
	r = store_token_add(st, name, hash, label, (int64_t)time(NULL), &err);
	if (r <= 0) {
		fprintf(stderr, "tlsrpt user: %s\n", r < 0 ? err.msg : "no such user");
		OPENSSL_cleanse(tok, sizeof(tok));
		return r < 0 ? EXIT_FAILURE_ : EXIT_USAGE;
	}
	printf("%s\n", tok);
	fprintf(stderr, "token \"%s\" of %s: shown once, keep it (Authorization: Bearer …)\n",
		label, name);
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(secret, sizeof(secret));
	return EXIT_OK;
}

/* add / passwd */
static int
set_password(struct store *st, int add, const char *name, int admin, int from_stdin)
{
	struct err err;
	char *hash = new_password_hash(from_stdin);
	int r;

	if (hash == NULL)
		return EXIT_USAGE;
	r = add ? store_user_add(st, name, hash, admin, (int64_t)time(NULL), &err)
		: store_user_set_password(st, name, hash, &err);
	free(hash);
	if (r < 0) {
		fprintf(stderr, "tlsrpt user: store: %s\n", err.msg);
		return EXIT_FAILURE_;
	}
	if (r == 0) {
		fprintf(stderr, "tlsrpt user: %s: %s\n", name, add ? "exists already" : "no such user");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Checks the verb and its arguments args[0..nargs-1] (how many); says
 * what is wrong and returns -1, or 0. */
static int
verb_arguments(const char *verb, char **args, int nargs)
{
	static const struct { const char *verb; int min, max; const char *args; } verbs[] = {
		{ "add", 1, 1, "NAME" }, { "passwd", 1, 1, "NAME" }, { "del", 1, 1, "NAME" },
		{ "list", 0, 0, "nothing" }, { "grant", 2, 1000, "NAME and PATTERN..." },
		{ "revoke", 2, 1000, "NAME and PATTERN..." }, { "token", 1, 1, "NAME" },
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verb, verbs[i].verb) != 0)
			continue;
		if (nargs < verbs[i].min)
			fprintf(stderr, "tlsrpt user: %s: missing %s\n", verb, verbs[i].args);
		else if (nargs > verbs[i].max)
			fprintf(stderr, "tlsrpt user: %s: unexpected argument \"%s\" (it takes "
				"%s)\n", verb, args[verbs[i].max], verbs[i].args);
		return nargs < verbs[i].min || nargs > verbs[i].max ? -1 : 0;
	}
	fprintf(stderr, "tlsrpt user: unknown verb \"%s\" (add, passwd, del, list, grant, "
		"revoke, token)\n", verb);
	return -1;
}

int
cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "admin", no_argument, NULL, 'a' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ "label", required_argument, NULL, 'l' },
		{ "revoke", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *label = "api", *revoke = NULL, *verb, *name = NULL;
	struct store *st = NULL;
	struct list_ctx lc;
	struct err err;
	int c, admin = 0, from_stdin = 0, rc = EXIT_USAGE, r, nargs;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': admin = 1; break;
		case 's': from_stdin = 1; break;
		case 'l': label = optarg; break;
		case 'r': revoke = optarg; break;
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tlsrpt user: missing the verb (add, passwd, del, list, grant, "
			"revoke, token)\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	verb = argv[optind++];
	nargs = argc - optind;
	if (verb_arguments(verb, argv + optind, nargs) < 0)
		return EXIT_USAGE;
	if (strcmp(verb, "list") != 0) {
		name = argv[optind];
		if (!name_ok(name)) {
			fprintf(stderr, "tlsrpt user: %s: \"%s\" is not a user name (1 to %d of "
				"letters, digits, . _ @ -)\n", verb, name, STORE_USER_NAME_MAX);
			return EXIT_USAGE;
		}
	}
	if (strlen(label) == 0 || strlen(label) > STORE_USER_NAME_MAX) {
		fprintf(stderr, "tlsrpt user: --label: 1 to %d characters\n", STORE_USER_NAME_MAX);
		return EXIT_USAGE;
	}
	if ((st = cmd_store_open(db)) == NULL)
		return EXIT_FAILURE_;
	if ((strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0) && nargs == 1) {
		rc = set_password(st, verb[0] == 'a', name, admin, from_stdin);
	} else if (strcmp(verb, "del") == 0 && nargs == 1) {
		r = store_user_del(st, name, &err);
		if (r < 0)
			fprintf(stderr, "tlsrpt user: store: %s\n", err.msg);
		else if (r == 0)
			fprintf(stderr, "tlsrpt user: %s: no such user\n", name);
		rc = r < 0 ? EXIT_FAILURE_ : r == 0 ? EXIT_USAGE : EXIT_OK;
	} else if (strcmp(verb, "list") == 0 && nargs == 0) {
		lc.st = st;
		lc.rc = 0;
		r = store_user_list(st, print_user, &lc, &err);
		if (r < 0)
			fprintf(stderr, "tlsrpt user: store: %s\n", err.msg);
		rc = r < 0 || lc.rc < 0 ? EXIT_FAILURE_ : EXIT_OK;
	} else if ((strcmp(verb, "grant") == 0 || strcmp(verb, "revoke") == 0) && nargs >= 2) {
		rc = grants(st, verb[0] == 'g', name, argv + optind + 1, nargs - 1);
	} else if (strcmp(verb, "token") == 0 && nargs == 1) {
		rc = token(st, name, label, revoke);
	}
	store_close(&st);
	return rc;
}
