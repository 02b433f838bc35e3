/*
 * privacy: what of a failure detail leaves the house in a report we send
 * (RFC 8460 §7: reports can reveal internal addresses and details of our
 * TLS stack and MTA).  The operator chooses; the defaults are:
 *
 *   - sending-mta-ip: sent, except private, loopback, link-local,
 *     unique-local, shared (100.64/10) and unspecified addresses (IPv4 and
 *     IPv6, also IPv4-mapped), which only name hosts inside our network;
 *   - failure-reason-code, receiving-mx-helo, additional-information:
 *     sent, with free text scrubbed: anything shaped like local@domain
 *     becomes "[address removed]" (an error message can quote an e-mail
 *     address), only the first line is kept (what an MTA puts after a
 *     line break can be quoted message content), other control characters
 *     become spaces, and the text is cut to PRIVACY_TEXT_MAX bytes (on a
 *     UTF-8 character boundary).
 *
 * A zeroed struct report_privacy gives these defaults.
 */
#ifndef TLSRPT_REPORT_PRIVACY_H
#define TLSRPT_REPORT_PRIVACY_H

#include "model/report.h"
#include "util/err.h"

/* Longest free text (failure-reason-code, additional-information,
 * receiving-mx-helo) we send, in bytes. */
#define PRIVACY_TEXT_MAX 256
#define PRIVACY_ADDRESS_REMOVED "[address removed]"

struct report_privacy {
	int omit_sending_mta_ip;          /* never send sending-mta-ip */
	int send_private_ip;              /* send private/loopback ones too */
	int omit_failure_reason_code;
	int omit_receiving_mx_helo;
	int omit_additional_information;
};

/* 1 if ip (IPv4 or IPv6 text) is private, loopback, link-local,
 * unique-local, shared or unspecified, or does not parse as an address;
 * 0 if it is a public address. */
int privacy_ip_is_internal(const char *ip);

/* Returns a new string: the first line of s with every local@domain
 * replaced by PRIVACY_ADDRESS_REMOVED, control characters as spaces, cut to
 * PRIVACY_TEXT_MAX bytes; NULL for NULL. */
char *privacy_scrub_text(const char *s);

/* Sets p's omit_* switches from list: the field names sending-mta-ip,
 * failure-reason-code, receiving-mx-helo, additional-information,
 * separated by commas or spaces; "" or "none": omit nothing.  Returns 0,
 * or -1 with err set naming an unknown field (p unchanged). */
int privacy_parse_omit(struct report_privacy *p, const char *list, struct err *err);

/* Applies p to d in place (fields dropped are freed and set to NULL, free
 * text is scrubbed).  p NULL: the defaults. */
void privacy_apply(const struct report_privacy *p, struct failure_detail *d);

#endif
