/*
 * cmd_serve: `tlsrpt serve` runs the HTTP(S) servers (src/serve/): the
 * intake (the rua=https report endpoint, --listen, meant for the
 * internet) and, on a listener of its own (--dashboard-listen, loopback
 * by default), the dashboard, the JSON API and /metrics behind a login.
 * It runs in the foreground until SIGTERM/SIGINT, then stops gracefully
 * (running requests finish).  Prints "listening on ADDR port N (http)"
 * and "dashboard on ADDR port N (http)" on stdout once ready (N resolved
 * when 0 was asked).  --read-only runs the dashboard alone on a store it
 * may only read (no intake; sessions in memory, serve_sessions.c), on
 * serve_read_only_listen unless --dashboard-listen says otherwise.
 */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "net/http_server.h"
#include "serve/intake.h"
#include "serve/serve.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"
#include "util/malloc_keep.h"
#include "util/privdrop.h"
#include "util/secret_file.h"

/* a heap's growth step (malloc_grow_step()): a whole thread heap */
#define SERVE_MALLOC_GROW ((size_t)64 << 20)

int cmd_serve(int argc, char **argv);
extern const char cmd_serve_summary[];
const char cmd_serve_summary[] = "HTTP(S) report endpoint, dashboard, JSON API, metrics";

/* A PEM file is a few KiB; refuse anything absurd. */
#define PEM_MAX (1u << 20)

static void
usage(FILE *f)
{
	fprintf(f,
"usage: tlsrpt serve [--listen ADDR:PORT] [--dashboard-listen ADDR:PORT|intake|none]\n"
"                    [--db URL] [--tls-cert FILE --tls-key FILE] [--no-auth]\n"
"                    [--accept-domain PATTERNS] [--max-body BYTES] [--path /tlsrpt]\n"
"                    [--threads N] [--config FILE] [--read-only]\n"
"                    [--max-connections N] [--per-ip-limit N] [--intake-writers N]\n"
"                    [--header-timeout DURATION] [--body-timeout DURATION]\n"
"                    [--user USER] [--allow-root] [-v|--verbose] [-q|--quiet]\n"
"\n"
"  --listen ADDR:PORT  the report intake (default 127.0.0.1:8460; port 0 = any free);\n"
"                      it answers only POST PATH and GET /healthz\n"
"  --dashboard-listen ADDR:PORT\n"
"                      the dashboard, API and /metrics, login required (default\n"
"                      127.0.0.1:8461; with --read-only 127.0.0.1:8462); \"intake\": on\n"
"                      the intake listener; \"none\": off.\n"
"                      A listener that is not loopback needs --tls-cert\n"
"  --no-auth           no login on the dashboard (only on a loopback listener of its own)\n"
"  --read-only         the dashboard alone, from a store this user or role may only\n"
"                      read: nothing written (login sessions kept in memory), no\n"
"                      intake (storing reports writes; --listen is refused)\n"
"  --accept-domain PATTERNS\n"
"                      store reports for these policy domains (comma separated:\n"
"                      example.com, *.example.com, or * for any) besides the domains\n"
"                      granted to users; others get 403\n"
"  --db URL            the store (default: $TLSRPT_DB, else the configured one)\n"
"  --tls-cert FILE     serve HTTPS (both listeners) with this PEM certificate (chain)\n"
"  --tls-key FILE      and this PEM private key\n"
"  --max-body BYTES    largest POST body accepted (default 10485760; 413 past it)\n"
"  --path PATH         path of the report endpoint (default /tlsrpt; POST / works too)\n"
"  --threads N         worker threads (default 4)\n"
"  --max-connections N open connections at most (default 512; more wait to be accepted)\n"
"  --per-ip-limit N    requests in progress from one address (default 32; more: 429)\n"
"  --intake-writers N  store writer threads, each with its own connection, on\n"
"                      PostgreSQL (default 2; 1 to 16); SQLite always has one\n"
"  --header-timeout D  request headers complete within D (default 10s; else 408)\n"
"  --body-timeout D    request body complete within D after the headers (default 60s)\n"
"  --user USER         started as root: become USER once the ports are bound and the\n"
"                      key read (default: daemon_user in tlsrpt.conf)\n"
"  --allow-root        run as root without --user (refused otherwise)\n"
"  --config FILE       tlsrpt.conf to read; options override its serve_* settings\n"
"  -v, --verbose       log each stored report (-vv: each request)\n"
"  -q, --quiet         log errors only\n"
"\n"
"Intake: POST PATH (reports), GET /healthz.  Dashboard: /login.html, GET / ,\n"
"GET /api/summary|failures|reports, GET /metrics, /auth/…; users: tlsrpt user.\n");
}

static char *
read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		log_warn_errno("cannot open %s", path);
		return NULL;
	}
	buf_init(&b, PEM_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(&b, chunk, n) != 0) {
			log_error("%s: larger than %u bytes, not a PEM file", path, PEM_MAX);
			buf_free(&b);
			fclose(f);
			return NULL;
		}
	}
	fclose(f);
	return buf_steal(&b, NULL);
}

static int
parse_size(const char *s, size_t *out)
{
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *s == '-' || *end != '\0' || v == 0 || v > (1ull << 32))
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Returns 1 if listen ("ADDR:PORT") names a loopback address. */
static int
is_loopback(const char *listen)
{
	char host[256];
	unsigned port;
	struct err err;

	if (http_server_parse_listen(listen, host, sizeof(host), &port, &err) != 0)
		return 0;
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

/* What --read-only allows: no intake listener, a dashboard of its own.
 * Returns 0, or -1 after saying why on stderr. */
static int
read_only_checks(const char *dash_listen, int listen_set)
{
	const char *why = NULL;

	if (listen_set)
		why = "--read-only runs no intake: storing reports writes (drop --listen)";
	else if (strcmp(dash_listen, "none") == 0 || strcmp(dash_listen, "intake") == 0)
		why = "--read-only serves the dashboard only: it needs a --dashboard-listen "
		      "(serve_read_only_listen) ADDR:PORT of its own";
	if (why == NULL)
		return 0;
	fprintf(stderr, "tlsrpt serve: %s\n", why);
	return -1;
}

/* The safety rules of the dashboard listener (tlsrpt-serve(1)).  Returns
 * 0, or -1 after saying why on stderr. */
static int
dashboard_checks(const char *listen, int both, int no_auth, int tls)
{
	if (strcmp(listen, "none") == 0)
		return 0;
	if (both && no_auth) {
		fprintf(stderr, "tlsrpt serve: the dashboard shares the intake listener only "
			"with login on (drop --no-auth / serve_auth = no)\n");
		return -1;
	}
	if (both)
		return 0;
	if (no_auth && !is_loopback(listen)) {
		fprintf(stderr, "tlsrpt serve: --no-auth needs a loopback dashboard listener, "
			"not %s\n", listen);
		return -1;
	}
	if (!tls && !is_loopback(listen)) {
		fprintf(stderr, "tlsrpt serve: dashboard listener %s is not loopback: it needs "
			"HTTPS (--tls-cert/--tls-key) so passwords and cookies are not sent in "
			"clear\n", listen);
		return -1;
	}
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "path", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "user", required_argument, NULL, 'U' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'C' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "per-ip-limit", required_argument, NULL, 'P' },
		{ "intake-writers", required_argument, NULL, 'W' },
		{ "header-timeout", required_argument, NULL, 'H' },
		{ "body-timeout", required_argument, NULL, 'B' },
		{ "dashboard-listen", required_argument, NULL, 'D' },
		{ "no-auth", no_argument, NULL, 'N' },
		{ "accept-domain", required_argument, NULL, 'A' },
		{ "read-only", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	struct config *conf;
	struct http_server_config hc;
	struct serve_config sc;
	struct serve *app = NULL;
	struct http_server *srv = NULL, *dash = NULL;
	struct http_server_config dc;
	const char *dash_listen, *dash_listen_opt = NULL;
	int both;
	const char *cert_path = NULL, *key_path = NULL, *db = NULL, *user;
	char *cert = NULL, *key = NULL;
	struct err err;
	sigset_t sigs;
	size_t threads = 4, n;
	int64_t secs;
	int c, verbose = 0, quiet = 0, allow_root = 0, rc = EXIT_FAILURE_, sig, listen_set = 0;

	memset(&hc, 0, sizeof(hc));
	memset(&dc, 0, sizeof(dc));
	memset(&sc, 0, sizeof(sc));
	if ((conf = cmd_config_load("serve", cmd_config_path(argc, argv))) == NULL)
		return EXIT_FAILURE_;
	/* tlsrpt.conf first; the options below override it */
	hc.listen = config_get_string(conf, "serve_listen");
	sc.post_path = config_get_string(conf, "serve_path");
	sc.max_body = (size_t)config_get_int(conf, "serve_max_body");
	threads = (size_t)config_get_int(conf, "serve_threads");
	hc.max_connections = (unsigned)config_get_int(conf, "serve_max_connections");
	hc.per_ip_limit = (unsigned)config_get_int(conf, "serve_per_ip_limit");
	sc.intake_writers = (size_t)config_get_int(conf, "serve_intake_writers");
	hc.header_timeout_s = (unsigned)config_get_int(conf, "serve_header_timeout");
	hc.body_timeout_s = (unsigned)config_get_int(conf, "serve_body_timeout");
	cert_path = config_get_string_or_null(conf, "serve_tls_cert");
	key_path = config_get_string_or_null(conf, "serve_tls_key");
	dash_listen = config_get_string(conf, "serve_dashboard_listen");
	sc.no_auth = !config_get_bool(conf, "serve_auth");
	sc.accept_domains = config_get_string(conf, "serve_accept_domains");
	user = config_get_string_or_null(conf, "daemon_user");
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': hc.listen = optarg; listen_set = 1; break;
		case 'd': db = optarg; break;
		case 'c': cert_path = optarg; break;
		case 'k': key_path = optarg; break;
		case 'p': sc.post_path = optarg; break;
		case 'v': verbose++; break;
		case 'q': quiet = 1; break;
		case 'U': user = optarg; break;
		case 'R': allow_root = 1; break;
		case 'C': break;        /* read by cmd_config_path() */
		case 'D': dash_listen_opt = optarg; break;
		case 'N': sc.no_auth = 1; break;
		case 'A': sc.accept_domains = optarg; break;
		case 'O': sc.read_only = 1; break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		case 'm':
			if (parse_size(optarg, &sc.max_body) != 0) {
				fprintf(stderr, "tlsrpt serve: --max-body %s: expected a byte count\n",
					optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 't':
			if (parse_size(optarg, &threads) != 0 || threads > 256) {
				fprintf(stderr, "tlsrpt serve: --threads %s: expected 1 to 256\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'M':
		case 'P':
			if (parse_size(optarg, &n) != 0 || n > 100000) {
				fprintf(stderr, "tlsrpt serve: --%s %s: expected 1 to 100000\n",
					c == 'M' ? "max-connections" : "per-ip-limit", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			*(c == 'M' ? &hc.max_connections : &hc.per_ip_limit) = (unsigned)n;
			break;
		case 'W':
			if (parse_size(optarg, &n) != 0 || n < 1 || n > INTAKE_WRITERS_MAX) {
				fprintf(stderr, "tlsrpt serve: --intake-writers %s: expected 1 to %d\n",
					optarg, INTAKE_WRITERS_MAX);
				rc = EXIT_USAGE;
				goto out;
			}
			sc.intake_writers = n;
			break;
		case 'H':
		case 'B':
			if (config_parse_duration(optarg, &secs, &err) != 0 || secs < 1 ||
			    secs > 3600) {
				fprintf(stderr, "tlsrpt serve: --%s %s: expected a duration from 1s "
					"to 1h (e.g. 10s)\n", c == 'H' ? "header-timeout" : "body-timeout",
					optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			*(c == 'H' ? &hc.header_timeout_s : &hc.body_timeout_s) = (unsigned)secs;
			break;
		default: usage(stderr); rc = EXIT_USAGE; goto out;
		}
	}
	if (optind != argc || (cert_path == NULL) != (key_path == NULL)) {
		if (optind != argc)
			fprintf(stderr, "tlsrpt serve: unexpected argument \"%s\"\n", argv[optind]);
		else
			fprintf(stderr, "tlsrpt serve: --tls-cert and --tls-key (serve_tls_cert, "
				"serve_tls_key) go together\n");
		rc = EXIT_USAGE;
		goto out;
	}
	/* --read-only has a port of its own, so it can run beside a plain serve */
	if (dash_listen_opt != NULL)
		dash_listen = dash_listen_opt;
	else if (sc.read_only)
		dash_listen = config_get_string(conf, "serve_read_only_listen");
	both = strcmp(dash_listen, "intake") == 0;
	if (sc.read_only && read_only_checks(dash_listen, listen_set) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (dashboard_checks(dash_listen, both, sc.no_auth, cert_path != NULL) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	sc.cookie_secure = cert_path != NULL;
	if (privdrop_check(user, allow_root, &err) < 0) {
		fprintf(stderr, "tlsrpt serve: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	log_init("tlsrpt", quiet ? LOG_LEVEL_ERROR : verbose > 1 ? LOG_LEVEL_DEBUG :
		 verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, 0);
	if (cert_path != NULL) {
		cert = read_pem(cert_path);
		/* the private key: refused when others can read it */
		key = secret_file_read(key_path, "TLS key", PEM_MAX, NULL, &err);
		if (key == NULL)
			log_error("%s", err.msg);
		if (cert == NULL || key == NULL)
			goto out;
	}
	sc.db_url = cmd_db_url_cfg(conf, db);
	app = serve_new(&sc, &err);
	if (app == NULL) {
		fprintf(stderr, "tlsrpt serve: %s%s\n", err.msg, !sc.read_only &&
			(strstr(err.msg, "not writable") != NULL ||
			 strstr(err.msg, "permission denied") != NULL ||
			 strstr(err.msg, "read-only") != NULL) ?
			" (a dashboard that may only read the store: tlsrpt serve --read-only)" : "");
		goto out;
	}
	hc.tls_cert_pem = cert;
	hc.tls_key_pem = key;
	hc.max_body = sc.max_body;
	hc.threads = (unsigned)threads;
	hc.csp = SERVE_CSP;
	hc.handler = both ? serve_handle_both : serve_handle_intake;
	hc.on_own_status = serve_count_status;
	hc.app = app;
	dc = hc;
	dc.listen = dash_listen;
	dc.handler = serve_handle_dashboard;
	if (!sc.read_only && (sc.accept_domains == NULL || *sc.accept_domains == '\0'))
		log_warn("serve_accept_domains is empty: reports are stored only for the "
			 "domains granted to users (tlsrpt user grant)");
	signal(SIGPIPE, SIG_IGN);
	/* before the threads: their heaps grow in whole 64 MiB steps, which
	 * huge pages can back (malloc_keep.h; the unit sets the tunable) */
	malloc_grow_step(SERVE_MALLOC_GROW);
	http_server_block_signals(&sigs);
	if (!sc.read_only && (srv = http_server_start(&hc, &err)) == NULL) {
		fprintf(stderr, "tlsrpt serve: %s\n", err.msg);
		goto out;
	}
	if (!both && strcmp(dash_listen, "none") != 0 &&
	    (dash = http_server_start(&dc, &err)) == NULL) {
		fprintf(stderr, "tlsrpt serve: dashboard: %s\n", err.msg);
		goto out;
	}
	/* the ports are bound and the key read: nothing more needs root */
	if (privdrop_to_user(user, &err) < 0) {
		fprintf(stderr, "tlsrpt serve: %s\n", err.msg);
		goto out;
	}
	if (srv != NULL)
		printf("listening on %s port %u (%s)\n", hc.listen, http_server_port(srv),
		       cert != NULL ? "https" : "http");
	if (both)
		printf("dashboard on %s port %u (%s)\n", hc.listen, http_server_port(srv),
		       cert != NULL ? "https" : "http");
	else if (dash != NULL)
		printf("dashboard on %s port %u (%s)\n", dash_listen, http_server_port(dash),
		       cert != NULL ? "https" : "http");
	fflush(stdout);
	sig = http_server_wait_signal(&sigs);
	log_info("signal %d: stopping", sig);
	rc = EXIT_OK;
out:
	http_server_stop(&dash);
	http_server_stop(&srv);
	serve_free(&app);
	if (key != NULL)
		memset(key, 0, strlen(key));
	free(cert);
	free(key);
	config_free(&conf);
	return rc;
}
