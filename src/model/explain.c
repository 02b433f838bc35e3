/*
 * explain: the text table for result types (explain.h).  Fix templates use
 * {mx} and {domain}, replaced by explain_fix().  Sources: RFC 8460 §4.3, RFC 8461, RFC 7672.
 */
#include "model/explain.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

static const struct {
	enum result_type type;
	const char *what;
	const char *fix;
} table[] = {
	{ RESULT_UNKNOWN,
	  "The sender reported a result type that is not in the RFC 8460 registry, so its "
	  "exact meaning is the sender's own.",
	  "Read the result-type and failure-reason-code text in the report; if the meaning is "
	  "unclear, ask the reporting organisation (its contact-info)." },
	{ RESULT_STARTTLS_NOT_SUPPORTED,
	  "The receiving MX did not offer STARTTLS, or refused it, so the sender could not "
	  "encrypt the connection.",
	  "Enable STARTTLS on {mx}: configure a certificate and key in the MTA (for Postfix "
	  "smtpd_tls_cert_file, smtpd_tls_key_file and smtpd_tls_security_level = may), reload "
	  "it, and check that no firewall or proxy strips STARTTLS from the EHLO reply." },
	{ RESULT_CERTIFICATE_HOST_MISMATCH,
	  "The certificate presented by the MX does not name the MX host the sender connected "
	  "to, as the MTA-STS policy or DANE record requires.",
	  "Install a certificate on {mx} whose subjectAltName contains {mx} itself (not only "
	  "{domain}), and check that the mx: lines of the MTA-STS policy of {domain} match its "
	  "MX records." },
	{ RESULT_CERTIFICATE_EXPIRED,
	  "The certificate your MX presented has expired.",
	  "Renew the certificate on {mx} and reload the MTA so that it serves the new one; "
	  "automate renewal (ACME) and monitor the expiry date." },
	{ RESULT_CERTIFICATE_NOT_TRUSTED,
	  "The certificate chain presented by the MX could not be verified: it is self-signed, "
	  "issued by an unknown CA, or intermediate certificates are missing.",
	  "Serve a certificate from a publicly trusted CA on {mx} with the full chain (leaf "
	  "and intermediates) configured in the MTA; the failure-reason-code gives the exact "
	  "verification error." },
	{ RESULT_VALIDATION_FAILURE,
	  "The TLS connection failed validation for a reason that fits no more specific "
	  "category; the failure-reason-code usually says why.",
	  "Read the failure-reason-code, then test {mx} with "
	  "`openssl s_client -starttls smtp -connect {mx}:25` and fix the TLS set-up "
	  "(protocol versions, ciphers, certificate chain)." },
	{ RESULT_TLSA_INVALID,
	  "None of the DANE TLSA records published for the MX matched the certificate it "
	  "presented, or the records are malformed.",
	  "Republish the TLSA records at _25._tcp.{mx} so that they match the certificate or "
	  "public key {mx} serves (3 1 1 survives renewals that keep the key), and publish the "
	  "new record before rolling a new key." },
	{ RESULT_DNSSEC_INVALID,
	  "DNSSEC validation of the DNS records for the MX failed, so the sender got no "
	  "trustworthy answer.",
	  "Check the DNSSEC chain of {domain} and {mx} (for example with dnsviz.net or delv): "
	  "re-sign expired signatures, fix the DS record at the parent zone, and make sure the "
	  "name servers answer TLSA queries." },
	{ RESULT_DANE_REQUIRED,
	  "The sender requires DANE for this destination but found no DNSSEC-validated TLSA "
	  "record for the MX.",
	  "Sign the zone of {mx} with DNSSEC (with a DS record at the parent) and publish a "
	  "TLSA record at _25._tcp.{mx}, for example 3 1 1 with the SHA-256 of the server's "
	  "public key." },
	{ RESULT_STS_POLICY_FETCH_ERROR,
	  "The sender could not download the MTA-STS policy: the policy host was unreachable, "
	  "did not resolve, timed out or gave an HTTP error.",
	  "Make https://mta-sts.{domain}/.well-known/mta-sts.txt answer with HTTP 200 and the "
	  "policy text (DNS name mta-sts.{domain} resolving, web server running, no redirect), "
	  "or remove the _mta-sts.{domain} TXT record if you no longer use MTA-STS." },
	{ RESULT_STS_POLICY_INVALID,
	  "The MTA-STS policy was downloaded but is not valid: a syntax error, a missing "
	  "version, mode or max_age line, or mx: lines that do not cover the MX.",
	  "Correct https://mta-sts.{domain}/.well-known/mta-sts.txt: \"version: STSv1\", "
	  "\"mode: ...\", one \"mx: ...\" line per MX host pattern and \"max_age: ...\", "
	  "served as text/plain; then change the id= in the _mta-sts.{domain} TXT record." },
	{ RESULT_STS_WEBPKI_INVALID,
	  "The HTTPS certificate of the MTA-STS policy host is not valid, so the policy could "
	  "not be authenticated.",
	  "Install a valid, publicly trusted certificate for mta-sts.{domain} on the web "
	  "server that serves the policy (matching name, full chain, not expired)." },
};

#define N_TABLE (sizeof(table) / sizeof(table[0]))

static size_t
entry(enum result_type t)
{
	for (size_t i = 0; i < N_TABLE; i++)
		if (table[i].type == t)
			return i;
	return 0;
}

const char *
explain_result_type(enum result_type t)
{
	return table[entry(t)].what;
}

/* Appends tmpl to b with {mx} and {domain} replaced. */
static void
fill(struct buf *b, const char *tmpl, const char *mx, const char *domain)
{
	const char *p = tmpl;

	while (*p != '\0') {
		if (strncmp(p, "{mx}", 4) == 0) {
			(void)buf_printf(b, "%.253s", mx);
			p += 4;
		} else if (strncmp(p, "{domain}", 8) == 0) {
			(void)buf_printf(b, "%.253s", domain);
			p += 8;
		} else {
			(void)buf_append(b, p, 1);
			p++;
		}
	}
}

char *
explain_fix(enum result_type t, const char *mx, const char *domain)
{
	struct buf b;
	if (mx == NULL || *mx == '\0')
		mx = "the MX host";
	if (domain == NULL || *domain == '\0')
		domain = "your domain";
	/* Templates are < 400 bytes with at most 4 names of <= 253 bytes. */
	buf_init(&b, 4096);
	fill(&b, table[entry(t)].fix, mx, domain);
	return buf_steal(&b, NULL);
}

const char *
explain_policy_type(enum policy_type t)
{
	switch (t) {
	case POLICY_TYPE_STS:
		return "The sender applied your MTA-STS policy (RFC 8461) to these sessions.";
	case POLICY_TYPE_TLSA:
		return "The sender applied your DANE TLSA records (RFC 7672) to these sessions.";
	case POLICY_TYPE_NO_POLICY_FOUND:
		return "The sender found neither an MTA-STS policy nor DANE records for your "
		       "domain, so TLS was opportunistic and unauthenticated.";
	default:
		return "The sender reported a policy type that is not in the RFC 8460 registry.";
	}
}
