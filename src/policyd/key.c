/*
 * key: next-hop key → policy domain (see key.h).
 */
#include "policyd/key.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"
#include "util/xalloc.h"

/* 1 if s is LDH labels separated by single dots (no empty label),
 * each 1-63 bytes, 253 bytes at most, and not all digits and dots. */
static int
valid_hostname(const char *s)
{
	size_t lab = 0, n = strlen(s);
	int alpha = 0;

	if (n == 0 || n > 253)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (lab == 0 || s[1] == '\0')
				return 0;
			lab = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
		if ((*s == '-') && (lab == 0 || s[1] == '.' || s[1] == '\0'))
			return 0;
		if (*s < '0' || *s > '9')
			alpha = 1;
		if (++lab > 63)
			return 0;
	}
	return alpha;
}

char *
policyd_key_domain(const char *key, size_t len, const char **why)
{
	char *s = NULL, *colon, *ascii = NULL;
	unsigned char a6[16];
	size_t i;

	*why = "not a domain name";
	if (len == 0 || len > POLICYD_KEY_MAX || memchr(key, '\0', len) != NULL)
		return NULL;
	if (key[0] == '.') {
		*why = "leading dot: a parent-domain lookup";
		return NULL;
	}
	if (key[0] == '[') {
		*why = "bracketed next hop (no MX lookup)";
		return NULL;
	}
	s = xstrndup(key, len);
	for (i = 0; s[i]; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	if (inet_pton(AF_INET6, s, a6) == 1) {
		*why = "IP address";
		goto fail;
	}
	if ((colon = strrchr(s, ':')) != NULL) {
		/* a transport's "domain:port" still delivers to the domain's MX
		 * hosts: its policy applies (as postfix-mta-sts-resolver does) */
		if (colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
			if (strcmp(colon + 1, "smtp") != 0) {
				*why = "not a port after ':'";
				goto fail;
			}
		}
		*colon = '\0';
	}
	i = strlen(s);
	if (i > 0 && s[i - 1] == '.')
		s[--i] = '\0';
	if (inet_pton(AF_INET, s, a6) == 1) {
		*why = "IP address";
		goto fail;
	}
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] >= 0x80)
			break;
	if (s[i] != '\0') {
		ascii = dns_name_to_ascii(s, NULL);
		if (ascii == NULL)
			goto fail;
		free(s);
		s = ascii;
		for (i = 0; s[i]; i++)
			if (s[i] >= 'A' && s[i] <= 'Z')
				s[i] = (char)(s[i] - 'A' + 'a');
	}
	if (!valid_hostname(s))
		goto fail;
	return s;
fail:
	free(s);
	return NULL;
}
