/*
 * cmd_serve: `tlsrpt serve` runs the HTTP(S) server: the rua=https report
 * endpoint, the dashboard, the JSON API and /metrics (src/serve/).  It
 * runs in the foreground until SIGTERM/SIGINT, then stops gracefully
 * (running requests finish).  Prints "listening on ADDR:PORT" on stdout
 * once ready (PORT resolved when 0 was asked).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "net/http_server.h"
#include "serve/serve.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/privdrop.h"
#include "util/secret_file.h"

int cmd_serve(int argc, char **argv);
extern const char cmd_serve_summary[];
const char cmd_serve_summary[] = "HTTP(S) report endpoint, dashboard, JSON API, metrics";

/* A PEM file is a few KiB; refuse anything absurd. */
#define PEM_MAX (1u << 20)

static void
usage(FILE *f)
{
	fprintf(f,
"usage: tlsrpt serve [--listen ADDR:PORT] [--db URL] [--tls-cert FILE --tls-key FILE]\n"
"                    [--max-body BYTES] [--path /tlsrpt] [--threads N] [--config FILE]\n"
"                    [--read-only] [--user USER] [--allow-root] [-v|--verbose] [-q|--quiet]\n"
"\n"
"  --listen ADDR:PORT  where to listen (default 127.0.0.1:8460; port 0 = any free)\n"
"  --db URL            the store (default: $TLSRPT_DB, else the configured one)\n"
"  --tls-cert FILE     serve HTTPS with this PEM certificate (chain)\n"
"  --tls-key FILE      and this PEM private key\n"
"  --max-body BYTES    largest POST body accepted (default 10485760; 413 past it)\n"
"  --path PATH         path of the report endpoint (default /tlsrpt; POST / works too)\n"
"  --threads N         worker threads (default 4)\n"
"  --read-only         dashboard, API and metrics only: the store is opened read-only\n"
"                      (a user or role that may only read works); POSTs get 503\n"
"  --user USER         started as root: become USER once the port is bound and the\n"
"                      key read (default: daemon_user in tlsrpt.conf)\n"
"  --allow-root        run as root without --user (refused otherwise)\n"
"  --config FILE       tlsrpt.conf to read; options override its serve_* settings\n"
"  -v, --verbose       log each stored report (-vv: each request)\n"
"  -q, --quiet         log errors only\n"
"\n"
"Routes: POST PATH (reports), GET / (dashboard), GET /api/summary|failures|reports,\n"
"GET /metrics, GET /healthz.\n");
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
		{ "read-only", no_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'U' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct config *conf;
	struct http_server_config hc;
	struct serve_config sc;
	struct serve *app = NULL;
	struct http_server *srv = NULL;
	const char *cert_path = NULL, *key_path = NULL, *db = NULL, *user;
	char *cert = NULL, *key = NULL;
	struct err err;
	sigset_t sigs;
	size_t threads = 4;
	int c, verbose = 0, quiet = 0, allow_root = 0, rc = EXIT_FAILURE_, sig;

	memset(&hc, 0, sizeof(hc));
	memset(&sc, 0, sizeof(sc));
	if ((conf = cmd_config_load("serve", cmd_config_path(argc, argv))) == NULL)
		return EXIT_FAILURE_;
	/* tlsrpt.conf first; the options below override it */
	hc.listen = config_get_string(conf, "serve_listen");
	sc.post_path = config_get_string(conf, "serve_path");
	sc.max_body = (size_t)config_get_int(conf, "serve_max_body");
	threads = (size_t)config_get_int(conf, "serve_threads");
	cert_path = config_get_string_or_null(conf, "serve_tls_cert");
	key_path = config_get_string_or_null(conf, "serve_tls_key");
	user = config_get_string_or_null(conf, "daemon_user");
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': hc.listen = optarg; break;
		case 'd': db = optarg; break;
		case 'c': cert_path = optarg; break;
		case 'k': key_path = optarg; break;
		case 'p': sc.post_path = optarg; break;
		case 'v': verbose++; break;
		case 'q': quiet = 1; break;
		case 'r': sc.read_only = 1; break;
		case 'U': user = optarg; break;
		case 'R': allow_root = 1; break;
		case 'C': break;        /* read by cmd_config_path() */
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		case 'm':
			if (parse_size(optarg, &sc.max_body) != 0) {
				fprintf(stderr, "tlsrpt serve: --max-body: expected a byte count\n");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 't':
			if (parse_size(optarg, &threads) != 0 || threads > 256) {
				fprintf(stderr, "tlsrpt serve: --threads: expected 1 to 256\n");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		default: usage(stderr); rc = EXIT_USAGE; goto out;
		}
	}
	if (optind != argc || (cert_path == NULL) != (key_path == NULL)) {
		fprintf(stderr, "tlsrpt serve: %s\n", optind != argc ? "unexpected argument" :
			"--tls-cert and --tls-key (serve_tls_cert, serve_tls_key) go together");
		rc = EXIT_USAGE;
		goto out;
	}
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
		fprintf(stderr, "tlsrpt serve: %s\n", err.msg);
		goto out;
	}
	hc.tls_cert_pem = cert;
	hc.tls_key_pem = key;
	hc.max_body = sc.max_body;
	hc.threads = (unsigned)threads;
	hc.csp = SERVE_CSP;
	hc.handler = serve_handle;
	hc.on_own_status = serve_count_status;
	hc.app = app;
	signal(SIGPIPE, SIG_IGN);
	http_server_block_signals(&sigs);
	srv = http_server_start(&hc, &err);
	/* the port is bound and the key read: nothing more needs root */
	if (srv == NULL || privdrop_to_user(user, &err) < 0) {
		fprintf(stderr, "tlsrpt serve: %s\n", err.msg);
		goto out;
	}
	printf("listening on %s port %u (%s)\n", hc.listen, http_server_port(srv),
	       cert != NULL ? "https" : "http");
	fflush(stdout);
	sig = http_server_wait_signal(&sigs);
	log_info("signal %d: stopping", sig);
	rc = EXIT_OK;
out:
	http_server_stop(&srv);
	serve_free(&app);
	if (key != NULL)
		memset(key, 0, strlen(key));
	free(cert);
	free(key);
	config_free(&conf);
	return rc;
}
