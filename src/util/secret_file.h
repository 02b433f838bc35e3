/*
 * secret_file: reading a file that holds a secret (a password file, a
 * DKIM or TLS private key) only when others cannot read it.
 *
 * Refused: a file that is readable or writable by others (mode & 006), or
 * group-readable when its group is "users" (gid 100 on Debian, the group
 * every login user may share), or not a regular file.  Allowed: 0600,
 * 0400, and 0640 with the file's own group (e.g. root:_tlsrpt, or
 * root:ssl-cert for keys).  The check is made on the opened descriptor,
 * so the file checked is the file read.
 */
#ifndef TLSRPT_UTIL_SECRET_FILE_H
#define TLSRPT_UTIL_SECRET_FILE_H

#include <stddef.h>

#include "util/err.h"

/* Reads at most max bytes of the secret file at path (what = "password
 * file", "DKIM key" … names it in errors).  Returns a new NUL-terminated
 * buffer (caller wipes and frees it) with its length in *len, or NULL with
 * err set, e.g. "DKIM key /etc/k.pem is readable by others (mode 0644):
 * chmod o-rwx /etc/k.pem". */
char *secret_file_read(const char *path, const char *what, size_t max, size_t *len,
		       struct err *err);

#endif
