/*
 * tlsrpt: connections and delivery requests of libtlsrpt (see tlsrpt.h).
 *
 * A delivery request builds one datagram in memory, byte for byte what
 * sys4's library writes (research/sys4.md §2), and sends it with one
 * system call on finish.  The socket is connected to the collector when
 * it is there at open time (send() skips the path lookup that sendto()
 * does on every call, about half the cost of a send); a collector
 * restarted since is reconnected on the fly; otherwise the datagram goes
 * by address, as sys4's library sends it.  Every entry point checks its arguments and the
 * call order and returns an error code instead of crashing; the first
 * error of a request sticks and a request with an error is never sent.
 * One allocation per request in the common case (the buffers start in
 * the request itself).  A request holds a reference on its connection, so
 * closing a connection before its requests are finished defers the close
 * instead of leaving them a descriptor number the process may reuse.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tlsrpt.h"
#include "tlsrpt_private.h"

struct tlsrpt_connection_t {
	int fd;
	int connected;                  /* connect() succeeded at open */
	struct sockaddr_un addr;
	socklen_t addrlen;
	atomic_int refs;                /* tlsrpt_close's + one per open request */
};

/* Inline storage sizes: a typical Postfix datagram is 250-700 bytes. */
#define MAIN_INLINE 1024
#define SUB_INLINE 256

struct tlsrpt_dr_t {
	struct tlsrpt_connection_t *con; /* referenced (con->refs) */
	int fd;                         /* copied from the connection */
	int connected;
	struct sockaddr_un addr;
	socklen_t addrlen;
	int status;                     /* first error, sticky */
	int in_policy;
	int n_policies;
	long n_failures;                /* of the open policy */
	struct tlsrpt_priv_buf main, ps, mx, fd_buf;
	char main_mem[MAIN_INLINE];
	char ps_mem[SUB_INLINE];
	char mx_mem[SUB_INLINE];
	char fd_mem[SUB_INLINE];
};

/* Records err as the request's status unless one is already there;
 * returns the status. */
static int
fail(struct tlsrpt_dr_t *dr, int err)
{
	if (dr->status == 0)
		dr->status = err;
	return dr->status;
}

/* Drops one reference on con; the last one closes the socket and frees
 * con.  Returns 0, or TLSRPT_ERR_CLOSE + errno if that close failed. */
static int
con_release(struct tlsrpt_connection_t *con)
{
	int rc = 0;

	if (atomic_fetch_sub(&con->refs, 1) != 1)
		return 0;
	if (close(con->fd) < 0)
		rc = TLSRPT_ERR_CLOSE + errno;
	tlsrpt_priv_dealloc(con);
	return rc;
}

static void
dr_free(struct tlsrpt_dr_t *dr)
{
	con_release(dr->con);
	tlsrpt_priv_buf_release(&dr->main);
	tlsrpt_priv_buf_release(&dr->ps);
	tlsrpt_priv_buf_release(&dr->mx);
	tlsrpt_priv_buf_release(&dr->fd_buf);
	tlsrpt_priv_dealloc(dr);
}

TLSRPT_API int
tlsrpt_open(struct tlsrpt_connection_t **pcon, const char *socketname)
{
	struct tlsrpt_connection_t *con;
	size_t n;

	if (pcon == NULL)
		return TLSRPT_ERR_TLSRPT_NULLARGUMENT;
	*pcon = NULL;
	if (socketname == NULL)
		return TLSRPT_ERR_TLSRPT_NULLARGUMENT;
	n = strlen(socketname);
	if (n >= sizeof(con->addr.sun_path))
		return TLSRPT_ERR_TLSRPT_SOCKETNAMETOOLONG;
	con = tlsrpt_priv_alloc(sizeof(*con));
	if (con == NULL)
		return TLSRPT_ERR_MALLOC_OPENCON + ENOMEM;
	memset(con, 0, sizeof(*con));
	atomic_init(&con->refs, 1);
	con->addr.sun_family = AF_UNIX;
	memcpy(con->addr.sun_path, socketname, n + 1);
	con->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	con->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (con->fd < 0) {
		int e = errno;

		tlsrpt_priv_dealloc(con);
		return TLSRPT_ERR_SOCKET + e;
	}
	/* No collector yet is not an error: datagrams then go by address. */
	con->connected = connect(con->fd, (const struct sockaddr *)&con->addr, con->addrlen) == 0;
	*pcon = con;
	return 0;
}

TLSRPT_API int
tlsrpt_close(struct tlsrpt_connection_t **pcon)
{
	struct tlsrpt_connection_t *con;

	if (pcon == NULL)
		return TLSRPT_ERR_TLSRPT_NULLARGUMENT;
	con = *pcon;
	if (con == NULL)
		return 0;
	*pcon = NULL;
	return con_release(con);
}

TLSRPT_API int
tlsrpt_get_socket(struct tlsrpt_connection_t *con)
{
	return con == NULL ? -1 : con->fd;
}

/* Appends `,"key": "escaped"` (sys4's spacing for string members). */
static int
put_member(struct tlsrpt_priv_buf *b, const char *key, const char *value)
{
	if (tlsrpt_priv_buf_puts(b, ",\"") < 0 || tlsrpt_priv_buf_puts(b, key) < 0 ||
	    tlsrpt_priv_buf_put(b, "\": \"", 4) < 0 || tlsrpt_priv_buf_putesc(b, value) < 0 ||
	    tlsrpt_priv_buf_put(b, "\"", 1) < 0)
		return -1;
	return 0;
}

TLSRPT_API int
tlsrpt_init_delivery_request(struct tlsrpt_dr_t **pdr, struct tlsrpt_connection_t *con,
			     const char *domainname, const char *policyrecord)
{
	struct tlsrpt_dr_t *dr;
	struct tlsrpt_priv_buf *b;

	if (pdr == NULL)
		return TLSRPT_ERR_TLSRPT_NULLARGUMENT;
	*pdr = NULL;
	if (con == NULL)
		return TLSRPT_ERR_TLSRPT_NOCONNECTION;
	if (domainname == NULL || policyrecord == NULL)
		return TLSRPT_ERR_TLSRPT_NULLARGUMENT;
	dr = tlsrpt_priv_alloc(sizeof(*dr));
	if (dr == NULL)
		return TLSRPT_ERR_MALLOC_OPENDR + ENOMEM;
	atomic_fetch_add(&con->refs, 1);
	dr->con = con;
	dr->fd = con->fd;
	dr->connected = con->connected;
	dr->addr = con->addr;
	dr->addrlen = con->addrlen;
	dr->status = 0;
	dr->in_policy = 0;
	dr->n_policies = 0;
	dr->n_failures = 0;
	tlsrpt_priv_buf_init(&dr->main, dr->main_mem, sizeof(dr->main_mem));
	tlsrpt_priv_buf_init(&dr->ps, dr->ps_mem, sizeof(dr->ps_mem));
	tlsrpt_priv_buf_init(&dr->mx, dr->mx_mem, sizeof(dr->mx_mem));
	tlsrpt_priv_buf_init(&dr->fd_buf, dr->fd_mem, sizeof(dr->fd_mem));
	b = &dr->main;
	if (tlsrpt_priv_buf_puts(b, "{\"dpv\": \"1\"") < 0 || put_member(b, "d", domainname) < 0 ||
	    put_member(b, "pr", policyrecord) < 0 || tlsrpt_priv_buf_puts(b, ",\"policies\":[") < 0) {
		dr_free(dr);
		return TLSRPT_ERR_FPRINTF_INITDR + ENOMEM;
	}
	*pdr = dr;
	return 0;
}

TLSRPT_API int
tlsrpt_init_policy(struct tlsrpt_dr_t *dr, tlsrpt_policy_type_t policy_type,
		   const char *policydomainname)
{
	struct tlsrpt_priv_buf *b;

	if (dr == NULL)
		return TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED;
	if (dr->status != 0)
		return dr->status;
	if (dr->in_policy)
		return fail(dr, TLSRPT_ERR_TLSRPT_NESTEDPOLICY);
	b = &dr->main;
	if ((dr->n_policies > 0 && tlsrpt_priv_buf_put(b, ",", 1) < 0) ||
	    tlsrpt_priv_buf_puts(b, "{\"policy-type\":") < 0 || tlsrpt_priv_buf_putint(b, (long)(int)policy_type) < 0 ||
	    (policydomainname != NULL && put_member(b, "policy-domain", policydomainname) < 0))
		return fail(dr, TLSRPT_ERR_FPRINTF_INITPOLICY + ENOMEM);
	tlsrpt_priv_buf_reset(&dr->ps);
	tlsrpt_priv_buf_reset(&dr->mx);
	tlsrpt_priv_buf_reset(&dr->fd_buf);
	dr->n_failures = 0;
	dr->in_policy = 1;
	return 0;
}

/* Appends one string to a list sub-buffer, opening it with `opening`. */
static int
put_list_item(struct tlsrpt_priv_buf *b, const char *opening, const char *s)
{
	if (tlsrpt_priv_buf_puts(b, b->len == 0 ? opening : ",") < 0 || tlsrpt_priv_buf_put(b, "\"", 1) < 0 ||
	    tlsrpt_priv_buf_putesc(b, s) < 0 || tlsrpt_priv_buf_put(b, "\"", 1) < 0)
		return -1;
	return 0;
}

/* What tlsrpt_add_policy_string() and tlsrpt_add_mx_host_pattern() share:
 * the checks in sys4's order, then one list item.  The error codes are the
 * caller's, as sys4 numbers them per function. */
static int
add_list_item(struct tlsrpt_dr_t *dr, struct tlsrpt_priv_buf *list, const char *opening,
	      const char *s, int not_initialized, int write_failed)
{
	if (dr == NULL)
		return TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED;
	if (dr->status != 0)
		return dr->status;
	if (!dr->in_policy)
		return fail(dr, not_initialized);
	if (s == NULL)
		return fail(dr, TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	if (put_list_item(list, opening, s) < 0)
		return fail(dr, write_failed + ENOMEM);
	return 0;
}

TLSRPT_API int
tlsrpt_add_policy_string(struct tlsrpt_dr_t *dr, const char *policy_string)
{
	return add_list_item(dr, dr != NULL ? &dr->ps : NULL, ",\"policy-string\":[",
			     policy_string, TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED,
			     TLSRPT_ERR_FPRINTF_ADDPOLICYSTRING);
}

TLSRPT_API int
tlsrpt_add_mx_host_pattern(struct tlsrpt_dr_t *dr, const char *mx_host_pattern)
{
	return add_list_item(dr, dr != NULL ? &dr->mx : NULL, ",\"mx-host\":[",
			     mx_host_pattern, TLSRPT_ERR_TLSRPT_MEMSTREAMMX_NOT_INITIALIZED,
			     TLSRPT_ERR_FPRINTF_ADDMXHOSTPATTERN);
}

TLSRPT_API int
tlsrpt_add_delivery_request_failure(struct tlsrpt_dr_t *dr, tlsrpt_failure_t failure_code,
				    const char *sending_mta_ip, const char *receiving_mx_hostname,
				    const char *receiving_mx_helo, const char *receiving_ip,
				    const char *additional_information,
				    const char *failure_reason_code)
{
	/* sys4's short keys, in sys4's order. */
	const char *keys[6] = { "s", "n", "h", "r", "a", "f" };
	const char *vals[6] = { sending_mta_ip, receiving_mx_hostname, receiving_mx_helo,
				receiving_ip, additional_information, failure_reason_code };
	struct tlsrpt_priv_buf *b;
	size_t len0;

	if (dr == NULL)
		return TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED;
	if (dr->status != 0)
		return dr->status;
	if (!dr->in_policy)
		return fail(dr, TLSRPT_ERR_TLSRPT_MEMSTREAMFD_NOT_INITIALIZED);
	b = &dr->fd_buf;
	len0 = b->len;
	if (tlsrpt_priv_buf_puts(b, len0 == 0 ? ",\"failure-details\":[" : ",") < 0 ||
	    tlsrpt_priv_buf_puts(b, "{\"c\":") < 0 || tlsrpt_priv_buf_putint(b, (long)(int)failure_code) < 0)
		goto nomem;
	for (int i = 0; i < 6; i++)
		if (vals[i] != NULL && put_member(b, keys[i], vals[i]) < 0)
			goto nomem;
	if (tlsrpt_priv_buf_put(b, "}", 1) < 0)
		goto nomem;
	dr->n_failures++;
	return 0;
nomem:
	b->len = len0;
	return fail(dr, TLSRPT_ERR_FPRINTF_ADDFAILURE + ENOMEM);
}

/* Appends a finished list sub-buffer (if not empty) and its ']'. */
static int
splice(struct tlsrpt_priv_buf *dst, const struct tlsrpt_priv_buf *list)
{
	if (list->len == 0)
		return 0;
	if (tlsrpt_priv_buf_put(dst, list->p, list->len) < 0 || tlsrpt_priv_buf_put(dst, "]", 1) < 0)
		return -1;
	return 0;
}

TLSRPT_API int
tlsrpt_finish_policy(struct tlsrpt_dr_t *dr, tlsrpt_final_result_t final_result)
{
	struct tlsrpt_priv_buf *b;

	if (dr == NULL)
		return TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED;
	if (dr->status != 0)
		return dr->status;
	if (!dr->in_policy)
		return fail(dr, TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED);
	dr->in_policy = 0;
	b = &dr->main;
	if (splice(b, &dr->ps) < 0 || splice(b, &dr->mx) < 0 || splice(b, &dr->fd_buf) < 0 ||
	    tlsrpt_priv_buf_puts(b, ",\"t\":") < 0 || tlsrpt_priv_buf_putint(b, dr->n_failures) < 0 ||
	    tlsrpt_priv_buf_puts(b, ",\"f\":") < 0 || tlsrpt_priv_buf_putint(b, (long)(int)final_result) < 0 ||
	    tlsrpt_priv_buf_put(b, "}", 1) < 0)
		return fail(dr, TLSRPT_ERR_FPRINTF_FINISHPOLICY + ENOMEM);
	dr->n_policies++;
	return 0;
}

/* Sends the datagram; returns 0, or -1 with errno set. */
static int
send_datagram(struct tlsrpt_dr_t *dr)
{
	int flags = tlsrpt_priv_send_flags() | MSG_NOSIGNAL;

	if (dr->connected) {
		if (send(dr->fd, dr->main.p, dr->main.len, flags) >= 0)
			return 0;
		/* The collector went away (and maybe came back): follow the path again. */
		if (errno != ECONNREFUSED && errno != ENOTCONN)
			return -1;
		if (connect(dr->fd, (const struct sockaddr *)&dr->addr, dr->addrlen) == 0)
			return send(dr->fd, dr->main.p, dr->main.len, flags) >= 0 ? 0 : -1;
	}
	return sendto(dr->fd, dr->main.p, dr->main.len, flags,
		      (const struct sockaddr *)&dr->addr, dr->addrlen) >= 0 ? 0 : -1;
}

TLSRPT_API int
tlsrpt_finish_delivery_request(struct tlsrpt_dr_t **pdr)
{
	struct tlsrpt_dr_t *dr;
	int rc;

	if (pdr == NULL)
		return TLSRPT_ERR_TLSRPT_NULLARGUMENT;
	dr = *pdr;
	if (dr == NULL)
		return 0;
	if (dr->in_policy)
		fail(dr, TLSRPT_ERR_TLSRPT_UNFINISHEDPOLICY);
	else if (dr->n_policies == 0)
		fail(dr, TLSRPT_ERR_TLSRPT_NOPOLICIES);
	if (dr->status == 0 && tlsrpt_priv_buf_put(&dr->main, "]}", 2) < 0)
		fail(dr, TLSRPT_ERR_FPRINTF_FINISHDR + ENOMEM);
	if (dr->status == 0 && send_datagram(dr) < 0)
		fail(dr, TLSRPT_ERR_SENDTO + errno);
	rc = dr->status;
	dr_free(dr);
	*pdr = NULL;
	return rc;
}

TLSRPT_API int
tlsrpt_cancel_delivery_request(struct tlsrpt_dr_t **pdr)
{
	int before;

	if (pdr == NULL)
		return TLSRPT_ERR_TLSRPT_NULLARGUMENT;
	if (*pdr == NULL)
		return 0;
	before = (*pdr)->status;
	fail(*pdr, TLSRPT_ERR_TLSRPT_CANCELLED);
	dr_free(*pdr);
	*pdr = NULL;
	return before;
}
