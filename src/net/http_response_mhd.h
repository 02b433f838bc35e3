/*
 * http_response_mhd: the MHD response of an http_response (for
 * http_server.c only).
 */
#ifndef TLSRPT_NET_HTTP_RESPONSE_MHD_H
#define TLSRPT_NET_HTTP_RESPONSE_MHD_H

#include <microhttpd.h>

#include "net/http_server.h"

/* A new MHD response carrying r's body, no headers yet: the buffer
 * (taken from r->body) or the stream (taken from r->stream, its fill()
 * called as MHD sends, in pieces of about 64 KiB).  r keeps its status and
 * headers, and no body.  NULL on failure (what was taken is freed). */
struct MHD_Response *http_response_mhd(struct http_response *r);

#endif
