/*
 * auth_password: crypt(3) (libxcrypt) hashing and checking, see
 * auth_password.h.  crypt_ra() keeps its work area in memory we own, so
 * this is thread-safe; the area is wiped and freed after each call.
 */
#include "auth/auth_password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* yescrypt (libxcrypt default cost) of a password nobody keeps */
const char auth_password_dummy_hash[] =
	"$y$j9T$MEua4wqnIQc4b23zHrEmb.$Bk.daNwBlxjwxkmSZpDaG5BrA/BEzbo8kwUhxfWLsvB";

int
auth_password_hash_supported(const char *hash)
{
	return hash != NULL && (strncmp(hash, "$y$", 3) == 0 || strncmp(hash, "$2b$", 4) == 0 ||
				strncmp(hash, "$2y$", 4) == 0 || strncmp(hash, "$2a$", 4) == 0);
}

/* crypt_ra() into a fresh work area; returns a copy of the result (which
 * starts with '*' on failure) or NULL. */
static char *
crypt_copy(const char *password, const char *setting)
{
	void *data = NULL;
	int size = 0;
	char *out, *res = NULL;

	out = crypt_ra(password, setting, &data, &size);
	if (out != NULL && out[0] != '*')
		res = xstrdup(out);
	if (data != NULL) {
		OPENSSL_cleanse(data, (size_t)size);
		free(data);
	}
	return res;
}

char *
auth_password_hash(const char *password, struct err *err)
{
	char *setting, *hash;

	if (strlen(password) > AUTH_PASSWORD_MAX) {
		err_set(err, "password longer than %d bytes", AUTH_PASSWORD_MAX);
		return NULL;
	}
	setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (setting == NULL) {
		err_set(err, "crypt_gensalt: cannot make a yescrypt salt");
		return NULL;
	}
	hash = crypt_copy(password, setting);
	free(setting);
	if (hash == NULL)
		err_set(err, "crypt: yescrypt hashing failed");
	return hash;
}

int
auth_password_verify(const char *password, const char *hash)
{
	char *got;
	size_t n;
	int ok;

	if (!auth_password_hash_supported(hash) || strlen(password) > AUTH_PASSWORD_MAX)
		hash = auth_password_dummy_hash, password = "";
	got = crypt_copy(password, hash);
	n = strlen(hash);
	ok = got != NULL && strlen(got) == n && CRYPTO_memcmp(got, hash, n) == 0 &&
	     hash != auth_password_dummy_hash;
	free(got);
	return ok;
}
