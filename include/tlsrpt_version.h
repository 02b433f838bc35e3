/*
 * tlsrpt_version.h: the version of the libtlsrpt API this library provides.
 *
 * We claim 0.5.1, the sys4 libtlsrpt API level we are compatible with
 * (research/sys4.md "Compatibility targets" 1): a header that claims
 * 0.6 or later would switch on Postfix's run-time version check.
 */
#ifndef TLSRPT_VERSION_H
#define TLSRPT_VERSION_H

#define TLSRPT_VERSION_MAJOR 0
#define TLSRPT_VERSION_MINOR 5
#define TLSRPT_VERSION_PATCH 1
#define TLSRPT_VERSION_IS_PRERELEASE 0
#define TLSRPT_VERSION_PRERELEASE ""

#define _TLSRPT_VERSION_STR(x) #x
#define _TLSRPT_VERSION_XSTR(x) _TLSRPT_VERSION_STR(x)
#define _TLSRPT_VERSION_ADDENDUM ""

#define TLSRPT_VERSION_STRING \
	_TLSRPT_VERSION_XSTR(TLSRPT_VERSION_MAJOR) "." \
	_TLSRPT_VERSION_XSTR(TLSRPT_VERSION_MINOR) "." \
	_TLSRPT_VERSION_XSTR(TLSRPT_VERSION_PATCH) _TLSRPT_VERSION_ADDENDUM

#endif
