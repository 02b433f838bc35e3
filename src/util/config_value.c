/*
 * config_value: the value syntax of tlsrpt.conf (see config.h): integers,
 * booleans, durations ("30s", "5m", "4h", "1d", "2w"; bare numbers are
 * seconds) and sizes ("512", "64k", "10M", "1G"; powers of 1024).
 * Every parser takes the whole string: trailing junk is an error, and so
 * is a result that does not fit in int64_t.
 */
#include "util/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Leading decimal number of s into *n; *end after it.  No sign, no blanks. */
static int
parse_number(const char *s, int64_t *n, const char **end, struct err *err)
{
	char *e;
	long long v;

	if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && isdigit((unsigned char)s[1]))) {
		err_set(err, "'%s' is not a number", s);
		return -1;
	}
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno == ERANGE) {
		err_set(err, "'%s' is out of range", s);
		return -1;
	}
	*n = (int64_t)v;
	*end = e;
	return 0;
}

int
config_parse_int(const char *s, int64_t *out, struct err *err)
{
	const char *end;

	if (parse_number(s, out, &end, err) < 0)
		return -1;
	if (*end != '\0') {
		err_set(err, "'%s' is not an integer", s);
		return -1;
	}
	return 0;
}

int
config_parse_bool(const char *s, int *out, struct err *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	err_set(err, "'%s' is not a boolean (yes or no)", s);
	return -1;
}

/* n * mult into *out, or -1 on overflow. */
static int
scale(const char *s, int64_t n, int64_t mult, int64_t *out, struct err *err)
{
	if (n > INT64_MAX / mult || n < INT64_MIN / mult) {
		err_set(err, "'%s' is out of range", s);
		return -1;
	}
	*out = n * mult;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *out, struct err *err)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	const char *end;
	int64_t n;

	if (parse_number(s, &n, &end, err) < 0)
		goto bad;
	if (*end == '\0')
		return scale(s, n, 1, out, err);
	if (end[1] == '\0')
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*end == units[i].unit)
				return scale(s, n, units[i].secs, out, err);
bad:
	err_set(err, "'%s' is not a duration (a number with unit s, m, h, d or w)", s);
	return -1;
}

int
config_parse_size(const char *s, int64_t *out, struct err *err)
{
	static const struct { char unit; int64_t bytes; } units[] = {
		{ 'k', 1024 }, { 'K', 1024 }, { 'm', 1024 * 1024 }, { 'M', 1024 * 1024 },
		{ 'g', 1024 * 1024 * 1024 }, { 'G', 1024 * 1024 * 1024 },
	};
	const char *end;
	int64_t n;

	if (parse_number(s, &n, &end, err) < 0)
		goto bad;
	if (*end == '\0')
		return scale(s, n, 1, out, err);
	if (end[1] == '\0' || (end[2] == '\0' && (end[1] == 'B' || end[1] == 'b')))
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*end == units[i].unit)
				return scale(s, n, units[i].bytes, out, err);
bad:
	err_set(err, "'%s' is not a size (a number of bytes, or with unit k, M or G)", s);
	return -1;
}

const char *
config_type_name(enum config_type t)
{
	switch (t) {
	case CONFIG_STRING: return "string";
	case CONFIG_INT: return "integer";
	case CONFIG_BOOL: return "boolean";
	case CONFIG_DURATION: return "duration";
	case CONFIG_SIZE: return "size";
	}
	return "?";
}
