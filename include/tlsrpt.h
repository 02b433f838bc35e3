/*
 * tlsrpt.h: the MTA client API of libtlsrpt (SMTP TLS Reporting, RFC 8460).
 *
 * Source and ABI compatible with sys4 libtlsrpt 0.5: the same 19 functions,
 * enums, values and error codes, SONAME libtlsrpt.so.0.  An MTA reports
 * the TLS outcome of each delivery attempt; the library turns it into one
 * datagram (JSON, sys4 protocol "dpv" 1) sent to the collector's unix
 * socket.  It depends on libc only, never blocks (unless told to), never
 * logs, never aborts: every problem is an error code.  See tlsrpt(3).
 */
#ifndef TLSRPT_H
#define TLSRPT_H

#include <stdlib.h>

#include "tlsrpt_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the symbols the shared library exports (it is built with
 * -fvisibility=hidden and a version script). */
#if defined(__GNUC__) || defined(__clang__)
#define TLSRPT_API __attribute__((visibility("default")))
#else
#define TLSRPT_API
#endif

/* Unused, kept because sys4's header defines it. */
#define TLSRPT_MAXDOMAINNAMELEN 256

/* Error codes.  0 is success.  A failed libc call gives its block plus
 * errno; the library's own errors are in the 10000 block. */
#define TLSRPT_ERR_TLSRPT 10000                       /* block marker, never returned */
#define TLSRPT_ERR_TLSRPT_CANCELLED 10703             /* the request was cancelled */
#define TLSRPT_ERR_TLSRPT_SOCKETNAMETOOLONG 10711     /* socket path over 107 bytes */
#define TLSRPT_ERR_TLSRPT_UNFINISHEDPOLICY 10712      /* request finished inside a policy */
#define TLSRPT_ERR_TLSRPT_NOCONNECTION 10713          /* NULL connection */
#define TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED 10721 /* NULL delivery request */
#define TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED 10722 /* no policy open (policy string, finish) */
#define TLSRPT_ERR_TLSRPT_MEMSTREAMMX_NOT_INITIALIZED 10723 /* no policy open (mx host) */
#define TLSRPT_ERR_TLSRPT_MEMSTREAMFD_NOT_INITIALIZED 10724 /* no policy open (failure) */
#define TLSRPT_ERR_TLSRPT_NESTEDPOLICY 10731          /* init_policy inside a policy */
#define TLSRPT_ERR_TLSRPT_NOPOLICIES 10732            /* request without any policy */
#define TLSRPT_ERR_TLSRPT_NULLARGUMENT 10741          /* a required argument was NULL (ours) */

#define TLSRPT_ERR_SOCKET 11000
#define TLSRPT_ERR_CLOSE 12000
#define TLSRPT_ERR_SENDTO 13000
#define TLSRPT_ERR_OPEN_MEMSTREAM_INITDR 21000
#define TLSRPT_ERR_OPEN_MEMSTREAM_INITPOLICY 22000
#define TLSRPT_ERR_FCLOSE_FINISHPOLICY 28000
#define TLSRPT_ERR_FCLOSE_FINISHDR 29000
#define TLSRPT_ERR_FPRINTF_INITDR 31000
#define TLSRPT_ERR_FPRINTF_INITPOLICY 32000
#define TLSRPT_ERR_FPRINTF_ADDPOLICYSTRING 33000
#define TLSRPT_ERR_FPRINTF_ADDMXHOSTPATTERN 34000
#define TLSRPT_ERR_FPRINTF_FINISHPOLICY 35000
#define TLSRPT_ERR_FPRINTF_ADDFAILURE 36000
#define TLSRPT_ERR_FPRINTF_FINISHDR 37000
#define TLSRPT_ERR_MALLOC_OPENCON 41000
#define TLSRPT_ERR_MALLOC_OPENDR 42000

typedef enum {
	TLSRPT_POLICY_TLSA = 1,
	TLSRPT_POLICY_STS = 2,
	TLSRPT_NO_POLICY_FOUND = 9
} tlsrpt_policy_type_t;

typedef enum {
	TLSRPT_FINAL_SUCCESS = 0,
	TLSRPT_FINAL_FAILURE = 1
} tlsrpt_final_result_t;

typedef enum {
	TLSRPT_STARTTLS_NOT_SUPPORTED = 201,
	TLSRPT_CERTIFICATE_HOST_MISMATCH = 202,
	TLSRPT_CERTIFICATE_NOT_TRUSTED = 203,
	TLSRPT_CERTIFICATE_EXPIRED = 204,
	TLSRPT_VALIDATION_FAILURE = 205,
	TLSRPT_STS_POLICY_FETCH_ERROR = 301,
	TLSRPT_STS_POLICY_INVALID = 302,
	TLSRPT_STS_WEBPKI_INVALID = 303,
	TLSRPT_TLSA_INVALID = 304,
	TLSRPT_DNSSEC_INVALID = 305,
	TLSRPT_DANE_REQUIRED = 306,
	TLSRPT_UNFINISHED_POLICY = 901  /* internal, only used within the library */
} tlsrpt_failure_t;

/* Opaque handles. */
struct tlsrpt_connection_t;
struct tlsrpt_dr_t;

/* Returns 1 if this library can serve a program built against
 * major.minor.patch (same major, minor not newer), else 0. */
TLSRPT_API int tlsrpt_version_check(int major, int minor, int patch);

/* Returns TLSRPT_VERSION_STRING of the library (static string). */
TLSRPT_API const char *tlsrpt_version(void);

/* Opens a connection to the collector socket `socketname` (a path of at
 * most 107 bytes; the socket is not connected, each datagram is sent to
 * the path).  Sets *pcon to a new connection released by tlsrpt_close(),
 * or to NULL on error.  Returns 0 or an error code. */
TLSRPT_API int tlsrpt_open(struct tlsrpt_connection_t **pcon, const char *socketname);

/* Closes *pcon and sets it to NULL; *pcon == NULL is a no-op.  Requests
 * still open on it keep the socket until they are finished or cancelled
 * (the close happens then).  Returns 0 or an error code. */
TLSRPT_API int tlsrpt_close(struct tlsrpt_connection_t **pcon);

/* Starts a delivery request (one datagram) for recipient domain
 * `domainname` and the TLSRPT record `policyrecord` the MTA found.  Sets
 * *pdr to a new request that tlsrpt_finish_delivery_request() or
 * tlsrpt_cancel_delivery_request() releases; on error *pdr is NULL and
 * nothing needs freeing.  Returns 0 or an error code. */
TLSRPT_API int tlsrpt_init_delivery_request(struct tlsrpt_dr_t **pdr,
	struct tlsrpt_connection_t *con, const char *domainname, const char *policyrecord);

/* Releases *pdr without sending and sets it to NULL.  Returns the status
 * the request had before (0 if it had no error). */
TLSRPT_API int tlsrpt_cancel_delivery_request(struct tlsrpt_dr_t **pdr);

/* Ends the request: sends the datagram if no error occurred, releases *pdr
 * in every case and sets it to NULL.  Returns 0 or the first error. */
TLSRPT_API int tlsrpt_finish_delivery_request(struct tlsrpt_dr_t **pdr);

/* Opens a policy inside the request; `policydomainname` may be NULL (the
 * key is then omitted).  Returns 0 or an error code (sticky). */
TLSRPT_API int tlsrpt_init_policy(struct tlsrpt_dr_t *dr, tlsrpt_policy_type_t policy_type,
	const char *policydomainname);

/* Closes the open policy with the session's final result.
 * Returns 0 or an error code (sticky). */
TLSRPT_API int tlsrpt_finish_policy(struct tlsrpt_dr_t *dr, tlsrpt_final_result_t final_result);

/* Appends one policy string to the open policy.  Returns 0 or an error. */
TLSRPT_API int tlsrpt_add_policy_string(struct tlsrpt_dr_t *dr, const char *policy_string);

/* Appends one MX host pattern to the open policy.  Returns 0 or an error. */
TLSRPT_API int tlsrpt_add_mx_host_pattern(struct tlsrpt_dr_t *dr, const char *mx_host_pattern);

/* Adds one failure detail to the open policy; every string may be NULL
 * (its key is then omitted).  Returns 0 or an error code (sticky). */
TLSRPT_API int tlsrpt_add_delivery_request_failure(struct tlsrpt_dr_t *dr,
	tlsrpt_failure_t failure_code, const char *sending_mta_ip,
	const char *receiving_mx_hostname, const char *receiving_mx_helo,
	const char *receiving_ip, const char *additional_information,
	const char *failure_reason_code);

/* Returns the errno part of a libc error code (errorcode % 1000). */
TLSRPT_API int tlsrpt_errno_from_error_code(int errorcode);

/* Returns 1 if errorcode is one of the library's own errors (10000 block). */
TLSRPT_API int tlsrpt_error_code_is_internal(int errorcode);

/* Returns a static description of errorcode; a libc error is described
 * by its block.  Unknown codes, and 0, give "UNKNOWN TLSRPT ERROR CODE". */
TLSRPT_API const char *tlsrpt_strerror(int errorcode);

/* Process-wide: sends block when the collector's queue is full (for
 * tests and benchmarks).  Not for MTAs. */
TLSRPT_API void tlsrpt_set_blocking(void);

/* Process-wide: sends never block (the default); a full queue gives
 * TLSRPT_ERR_SENDTO + EAGAIN. */
TLSRPT_API void tlsrpt_set_nonblocking(void);

/* Returns the connection's socket descriptor, or -1 if con is NULL. */
TLSRPT_API int tlsrpt_get_socket(struct tlsrpt_connection_t *con);

/* Process-wide: the allocator for every allocation the library makes.
 * Call before anything is allocated; NULL for either restores malloc/free. */
TLSRPT_API void tlsrpt_set_malloc_and_free(void *(*malloc_function)(size_t size),
	void (*free_function)(void *ptr));

#ifdef __cplusplus
}
#endif

#endif
