/*
 * auth_secret: random secrets and their SHA-256 (see auth_secret.h).
 */
#include "auth/auth_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

static void
to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
auth_secret_new(char out[AUTH_SECRET_HEX + 1], struct err *err)
{
	unsigned char b[AUTH_SECRET_HEX / 2];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		err_set(err, "the random number generator failed");
		return -1;
	}
	to_hex(b, sizeof(b), out);
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

void
auth_secret_hash(const char *s, char out[AUTH_SECRET_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
		/* cannot happen with a working libcrypto; never match anything */
		memset(out, 'x', AUTH_SECRET_HEX);
		out[AUTH_SECRET_HEX] = '\0';
		return;
	}
	to_hex(md, n, out);
}

int
auth_secret_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}
