/*
 * send_options: shared options of `send` and `reportd` (see send_options.h).
 */
#include "cmd/send_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "util/secret_file.h"
#include "util/xalloc.h"

enum {
	O_DB = SEND_OPT_BASE, O_RESOLVER, O_SUBMITTER, O_ORG, O_CONTACT, O_FROM, O_SMTP,
	O_SMTP_USER, O_SMTP_PASSWORD_FILE, O_SMTP_REQUIRE_TLS, O_SENDMAIL, O_DKIM_KEY,
	O_DKIM_SELECTOR, O_DKIM_DOMAIN, O_CACERT, O_HTTPS_INSECURE, O_SMTP_INSECURE,
	O_ONLY_FAILURES, O_UNCOMPRESSED, O_TIMEOUT, O_VERBOSE, O_CONFIG, O_SMTP_AUTH_PLAINTEXT,
	O_OMIT, O_SEND_PRIVATE_IP,
};

const struct option send_long_options[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "resolver", required_argument, NULL, O_RESOLVER },
	{ "submitter", required_argument, NULL, O_SUBMITTER },
	{ "org", required_argument, NULL, O_ORG },
	{ "contact", required_argument, NULL, O_CONTACT },
	{ "from", required_argument, NULL, O_FROM },
	{ "smtp", required_argument, NULL, O_SMTP },
	{ "smtp-user", required_argument, NULL, O_SMTP_USER },
	{ "smtp-password-file", required_argument, NULL, O_SMTP_PASSWORD_FILE },
	{ "smtp-require-tls", no_argument, NULL, O_SMTP_REQUIRE_TLS },
	{ "no-smtp-require-tls", no_argument, NULL, CMD_NO(O_SMTP_REQUIRE_TLS) },
	{ "smtp-insecure", no_argument, NULL, O_SMTP_INSECURE },
	{ "smtp-auth-plaintext", no_argument, NULL, O_SMTP_AUTH_PLAINTEXT },
	{ "no-smtp-auth-plaintext", no_argument, NULL, CMD_NO(O_SMTP_AUTH_PLAINTEXT) },
	{ "sendmail", required_argument, NULL, O_SENDMAIL },
	{ "dkim-key", required_argument, NULL, O_DKIM_KEY },
	{ "dkim-selector", required_argument, NULL, O_DKIM_SELECTOR },
	{ "dkim-domain", required_argument, NULL, O_DKIM_DOMAIN },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "https-insecure", no_argument, NULL, O_HTTPS_INSECURE },
	{ "only-failures", no_argument, NULL, O_ONLY_FAILURES },
	{ "no-only-failures", no_argument, NULL, CMD_NO(O_ONLY_FAILURES) },
	{ "omit", required_argument, NULL, O_OMIT },
	{ "send-private-ip", no_argument, NULL, O_SEND_PRIVATE_IP },
	{ "no-send-private-ip", no_argument, NULL, CMD_NO(O_SEND_PRIVATE_IP) },
	{ "uncompressed", no_argument, NULL, O_UNCOMPRESSED },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "config", required_argument, NULL, O_CONFIG },
	{ NULL, 0, NULL, 0 },
};

const char send_options_usage[] =
	"  --db URL                 store (sqlite:PATH, postgresql://…; default $TLSRPT_DB)\n"
	"  --resolver IP[@PORT]     DNS resolver for _smtp._tls lookups (default: system)\n"
	"  --submitter DOMAIN       our domain: report-id, TLS-Report-Submitter (required)\n"
	"  --org NAME               organization-name (default: the submitter)\n"
	"  --contact ADDR           contact-info (default: postmaster@SUBMITTER)\n"
	"  --from ADDR              From: and envelope sender (default: the contact)\n"
	"  --smtp URL               submit mail over SMTP: smtp://host:587 or smtps://host:465\n"
	"  --smtp-user USER         AUTH user; password from --smtp-password-file FILE\n"
	"                           or $TLSRPT_SMTP_PASSWORD\n"
	"  --smtp-require-tls       refuse to submit without STARTTLS (default: when offered)\n"
	"  --no-smtp-require-tls    STARTTLS when offered, even if tlsrpt.conf requires it\n"
	"  --smtp-insecure          do not verify the SMTP server certificate\n"
	"  --smtp-auth-plaintext    send the AUTH password even when the relay offers no\n"
	"                           STARTTLS (default: refused, it would go in clear)\n"
	"  --no-smtp-auth-plaintext refuse that, even if tlsrpt.conf allows it\n"
	"  --sendmail CMD           submit mail through CMD, e.g. \"/usr/sbin/sendmail -oi -t\"\n"
	"  --dkim-key FILE --dkim-selector S [--dkim-domain D]   DKIM-sign report mails\n"
	"  --cacert FILE            CA bundle for HTTPS and SMTP (default: the system one)\n"
	"  --https-insecure         do not verify HTTPS certificates (RFC 8460 §3 allows it)\n"
	"  --only-failures          do not send reports without failures\n"
	"  --no-only-failures       send them too, even if tlsrpt.conf says otherwise\n"
	"  --omit FIELDS            leave these out of failure details (RFC 8460 §7):\n"
	"                           sending-mta-ip,failure-reason-code,receiving-mx-helo,\n"
	"                           additional-information, or none (default: none)\n"
	"  --send-private-ip        send private, loopback and link-local sending-mta-ip\n"
	"                           too (default: never, they only name internal hosts)\n"
	"  --no-send-private-ip     do not, even if tlsrpt.conf says so\n"
	"  --uncompressed           send application/tlsrpt+json instead of +gzip\n"
	"  --timeout SECONDS        per delivery attempt: SMTP, HTTPS or the sendmail\n"
	"                           command (killed when over it); default 120\n"
	"  --verbose                log what is done\n"
	"  --config FILE            tlsrpt.conf to read (default $TLSRPT_CONFIG, else\n"
	"                           /etc/tlsrpt/tlsrpt.conf); options override its report_*\n"
	"                           (of --X and --no-X the last one wins)\n";

/* The first line of a password file; refused when others can read it. */
static char *
read_secret(const char *path)
{
	struct err err;
	char *pw = secret_file_read(path, "password file", 4096, NULL, &err);

	if (pw == NULL) {
		fprintf(stderr, "tlsrpt: %s\n", err.msg);
		return NULL;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	return pw;
}

int
send_options_apply(struct send_options *o, int opt, const char *arg)
{
	struct reporter_config *c = &o->rc;
	char *end;

	switch (opt) {
	case O_DB: o->db = arg; break;
	case O_RESOLVER: o->dns.resolver = arg; break;
	case O_SUBMITTER: c->submitter = arg; break;
	case O_ORG: c->organization = arg; break;
	case O_CONTACT: c->contact_info = arg; break;
	case O_FROM: c->from = arg; break;
	case O_SMTP: c->smtp.url = arg; break;
	case O_SMTP_USER: c->smtp.user = arg; break;
	case O_SMTP_PASSWORD_FILE:
		free(o->password);
		if ((o->password = read_secret(arg)) == NULL)
			return -1;
		break;
	case O_SMTP_REQUIRE_TLS:
	case CMD_NO(O_SMTP_REQUIRE_TLS): o->require_tls = CMD_FLAG(opt); break;
	case O_SMTP_INSECURE: c->smtp.insecure = 1; break;
	case O_SMTP_AUTH_PLAINTEXT:
	case CMD_NO(O_SMTP_AUTH_PLAINTEXT): o->auth_plaintext = CMD_FLAG(opt); break;
	case O_SENDMAIL: c->sendmail = arg; break;
	case O_DKIM_KEY: c->dkim_key = arg; break;
	case O_DKIM_SELECTOR: c->dkim_selector = arg; break;
	case O_DKIM_DOMAIN: c->dkim_domain = arg; break;
	case O_CACERT: c->https.cacert = c->smtp.cacert = arg; break;
	case O_HTTPS_INSECURE: c->https.insecure = 1; break;
	case O_ONLY_FAILURES:
	case CMD_NO(O_ONLY_FAILURES): o->only_failures = CMD_FLAG(opt); break;
	case O_UNCOMPRESSED: c->uncompressed = 1; break;
	case O_OMIT: o->omit = arg; break;
	case O_SEND_PRIVATE_IP:
	case CMD_NO(O_SEND_PRIVATE_IP): o->send_private_ip = CMD_FLAG(opt); break;
	case O_TIMEOUT:
		c->https.timeout = c->smtp.timeout = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || c->https.timeout <= 0) {
			fprintf(stderr, "tlsrpt: --timeout: \"%s\" is not a number of seconds\n", arg);
			return -1;
		}
		break;
	case O_VERBOSE: o->verbose = 1; break;
	case O_CONFIG: o->config_path = arg; break;
	default: return 0;
	}
	return 1;
}

/* *field = the tlsrpt.conf value of name when the options left it unset. */
static void
from_config(const struct config *cfg, const char **field, const char *name)
{
	if (*field == NULL)
		*field = config_get_string_or_null(cfg, name);
}

/* Takes from tlsrpt.conf what the options did not set. */
static int
apply_config(struct send_options *o)
{
	struct reporter_config *c = &o->rc;
	const char *pwfile, *env = getenv("TLSRPT_SMTP_PASSWORD");
	struct err err;

	if ((o->cfg = cmd_config_load("reporter", o->config_path)) == NULL)
		return -1;
	o->db = cmd_db_url_cfg(o->cfg, o->db);
	from_config(o->cfg, &c->submitter, "report_submitter");
	from_config(o->cfg, &c->organization, "report_organization");
	from_config(o->cfg, &c->contact_info, "report_contact");
	from_config(o->cfg, &c->from, "report_from");
	if (c->smtp.url == NULL && c->sendmail == NULL) {  /* --smtp or --sendmail wins */
		from_config(o->cfg, &c->smtp.url, "report_smtp_url");
		from_config(o->cfg, &c->sendmail, "report_sendmail");
	}
	from_config(o->cfg, &c->smtp.user, "report_smtp_user");
	from_config(o->cfg, &c->dkim_key, "report_dkim_key");
	from_config(o->cfg, &c->dkim_selector, "report_dkim_selector");
	from_config(o->cfg, &c->dkim_domain, "report_dkim_domain");
	from_config(o->cfg, &c->https.cacert, "report_cacert");
	from_config(o->cfg, &c->smtp.cacert, "report_cacert");
	from_config(o->cfg, &o->dns.resolver, "report_resolver");
	/* the reporter decides nothing on DNSSEC status (a TLSRPT record is
	 * used as published, RFC 8460 §3): c-ares towards a local resolver */
	o->dns.dnssec_unused = 1;
	c->smtp.require_tls = cmd_flag_bool(o->require_tls, o->cfg, "report_smtp_require_tls");
	c->smtp.auth_plaintext = cmd_flag_bool(o->auth_plaintext, o->cfg,
					       "report_smtp_auth_plaintext");
	c->only_failures = cmd_flag_bool(o->only_failures, o->cfg, "report_only_failures");
	c->privacy.send_private_ip = cmd_flag_bool(o->send_private_ip, o->cfg,
						   "report_send_private_ip");
	from_config(o->cfg, &o->omit, "report_omit");
	if (privacy_parse_omit(&c->privacy, o->omit, &err) < 0) {
		fprintf(stderr, "tlsrpt: --omit (or report_omit): %s\n", err.msg);
		return -1;
	}
	c->suppress_days = config_get_int(o->cfg, "report_suppress_days");
	pwfile = config_get_string_or_null(o->cfg, "report_smtp_password_file");
	if (o->password == NULL && (env == NULL || *env == '\0') && pwfile != NULL &&
	    (o->password = read_secret(pwfile)) == NULL)
		return -1;
	return 0;
}

int
send_options_finish(struct send_options *o)
{
	struct reporter_config *c = &o->rc;
	const char *env = getenv("TLSRPT_SMTP_PASSWORD");

	if (apply_config(o) < 0)
		return -1;
	if (c->submitter == NULL) {
		fprintf(stderr, "tlsrpt: --submitter DOMAIN (or report_submitter) is required\n");
		return -1;
	}
	if ((c->dkim_key != NULL) != (c->dkim_selector != NULL)) {
		fprintf(stderr, "tlsrpt: --dkim-key and --dkim-selector go together\n");
		return -1;
	}
	if (o->password == NULL && env != NULL)
		o->password = xstrdup(env);
	c->smtp.password = o->password;
	c->smtp.helo = c->submitter;
	return 0;
}

void
send_options_clear(struct send_options *o)
{
	free(o->password);
	o->password = NULL;
	config_free(&o->cfg);
}

struct option *
send_options_merge(const struct option *own, size_t n_own)
{
	size_t n_send = 0;
	struct option *v;

	while (send_long_options[n_send].name != NULL)
		n_send++;
	v = calloc(n_own + n_send + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	memcpy(v, own, n_own * sizeof(*v));
	memcpy(v + n_own, send_long_options, n_send * sizeof(*v));
	return v;
}
