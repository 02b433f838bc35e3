/*
 * bench_dashboard: how long each dashboard view and API call takes on a
 * big store: by default 1 000 000 received reports over 400 days for
 * 10 000 policy domains (issue target: every view < 300 ms).
 *
 * The store is generated once (through store_put_report(), the intake's
 * own path, 1000 reports per transaction) and kept under
 * $TLSRPT_O/bench-data/ while its parameters are unchanged.  Each report
 * is one organization's report for one policy domain and one UTC day, like
 * Google's and Microsoft's: one sts or no-policy-found policy, a
 * long-tailed success count, failures at about 0.04 % of sessions with
 * failure details (result type, receiving MX, sending and receiving IPs).
 * Domain popularity is Zipf-like (a few domains get most reports).
 *
 * Then `tlsrpt serve` is started on the store and every API call the
 * dashboard's pages make, and every API route with each sort, filter,
 * deep page and export format, is timed over HTTP (libcurl, keep-alive),
 * 5 times each (once when the first is 10 times over the target).  The figure is the
 * server's CPU time per request (from /proc), beside the target as a
 * ratio: a busy machine does not inflate it; the wall-time median and
 * worst follow.
 *
 * usage: bench_dashboard [REPORTS [DAYS [DOMAINS]]]
 *   BENCH_DASHBOARD_DB=postgresql://… runs against that store (generated
 *   into it when its reports table is empty).
 *   BENCH_DASHBOARD_VIEWS=TEXT times only the views whose path (before
 *   {page30}/{now30} are filled in) contains TEXT, e.g. "summary?domain".
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/report.h"
#include "store/store.h"
#include "store/store_reports.h"
#include "store/store_summary.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define TARGET_MS 300.0
#define RUNS 5

static const char *const orgs[] = { "Google Inc.", "Microsoft Corporation",
	"Yahoo", "Comcast", "Mail.Ru", "Apple", "Fastmail", "Proton", "GMX", "Zoho" };
static const char *const result_types[] = {
	"certificate-expired", "certificate-host-mismatch", "starttls-not-supported",
	"validation-failure", "sts-policy-fetch-error", "certificate-not-trusted",
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned
rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 1;
}

/* A Zipf-like domain number in [0, domains): the inverse of a power law. */
static size_t
zipf(unsigned *seed, size_t domains)
{
	double u = (rnd(seed) % 1000000 + 1) / 1000001.0;
	size_t d = (size_t)((double)domains * u * u * u);

	return d < domains ? d : domains - 1;
}

static void
fill(struct report *r, size_t i, int64_t day, size_t dom, unsigned *seed)
{
	struct policy *p = report_add_policy(r);
	const char *org = orgs[rnd(seed) % (sizeof(orgs) / sizeof(orgs[0]))];
	uint64_t ok = 1 + rnd(seed) % 50 * (1 + rnd(seed) % 40);
	uint64_t bad = rnd(seed) % 2500 < ok ? 1 + rnd(seed) % 3 : 0;

	r->organization_name = xstrdup(org);
	r->report_id = xasprintf("bench-%zu@%s", i, org);
	r->contact_info = xstrdup("smtp-tls-reporting@example.net");
	r->start = day * 86400;
	r->end = r->start + 86399;
	p->policy_domain = xasprintf("d%zu.example", dom);
	if (dom % 3 == 0) {
		p->policy_type = xstrdup("no-policy-found");
		p->type = POLICY_TYPE_NO_POLICY_FOUND;
	} else {
		p->policy_type = xstrdup("sts");
		p->type = POLICY_TYPE_STS;
		p->has_policy_string = 1;
		strlist_add(&p->policy_string, "version: STSv1");
		strlist_add(&p->policy_string, "mode: enforce");
		strlist_addf(&p->policy_string, "mx: mx%zu.d%zu.example", dom % 2, dom);
		strlist_add(&p->policy_string, "max_age: 604800");
		p->has_mx_host = 1;
		strlist_addf(&p->mx_host, "mx%zu.d%zu.example", dom % 2, dom);
	}
	p->total_successful_session_count = ok;
	p->total_failure_session_count = bad;
	p->has_failure_details = 1;
	if (bad > 0) {
		struct failure_detail *f = policy_add_failure_detail(p);

		f->result_type = xstrdup(result_types[rnd(seed) % 6]);
		f->type = result_type_from_string(f->result_type);
		f->sending_mta_ip = xasprintf("203.0.113.%u", rnd(seed) % 250 + 1);
		f->receiving_mx_hostname = xasprintf("mx%zu.d%zu.example", dom % 2, dom);
		f->receiving_ip = xasprintf("198.51.100.%zu", dom % 250 + 1);
		f->failed_session_count = bad;
	}
}

/* Stores n reports over days ending today (UTC) for domains domains. */
static int
generate(struct store *s, size_t n, size_t days, size_t domains, struct err *err)
{
	int64_t last = (int64_t)time(NULL) / 86400 - 1;
	unsigned seed = 42;
	double t0 = now();
	size_t i;

	for (i = 0; i < n; i++) {
		struct report *r = report_new();
		struct report_source src = { .channel = "bench", .name = "bench_dashboard",
					     .received = 0 };
		int64_t day = last - (int64_t)(i * days / n);
		int rc;

		if (i % 1000 == 0 && store_begin(s, err) != 0)
			goto fail_r;
		fill(r, i, day, zipf(&seed, domains), &seed);
		src.received = day * 86400 + 86400 + 3600;
		rc = store_put_report(s, r, &src, err);
		report_free(r);
		if (rc < 0)
			goto fail;
		if ((i % 1000 == 999 || i + 1 == n) && store_commit(s, err) != 0)
			goto fail;
		if (i % 100000 == 99999)
			fprintf(stderr, "bench_dashboard: %zu reports stored (%.0f/s)\n", i + 1,
				(double)(i + 1) / (now() - t0));
		continue;
fail_r:
		report_free(r);
		goto fail;
	}
	return 0;
fail:
	store_rollback(s);
	return -1;
}

static size_t
discard(char *p, size_t sz, size_t n, void *ctx)
{
	(void)p;
	*(size_t *)ctx += sz * n;
	return sz * n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The fields of /proc/PID/stat after the command name, or NULL. */
static char *
stat_of(pid_t pid, char *buf, size_t size)
{
	char path[64], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL ? p + 2 : NULL;
}

/* CPU seconds (user + system) process pid has used so far, or 0; with
 * reaped != 0, those of its children that exited and were waited for
 * instead. */
static double
cpu_of(pid_t pid, int reaped)
{
	char buf[1024], *p = stat_of(pid, buf, sizeof(buf));
	unsigned long long ut = 0, st = 0, cut = 0, cst = 0;

	if (p == NULL || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu"
				" %llu %llu", &ut, &st, &cut, &cst) != 4)
		return 0;
	return (double)(reaped ? cut + cst : ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The parent of process pid, or 0. */
static pid_t
parent_of(pid_t pid)
{
	char buf[1024], *p = stat_of(pid, buf, sizeof(buf));
	int ppid = 0;

	if (p == NULL || sscanf(p, "%*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

/* The server: tlsrpt serve and, on PostgreSQL, the backends serving its
 * connections (their CPU is the database's work for the views) and the
 * parallel workers they start: short-lived children of the postmaster,
 * counted when the postmaster has reaped them (so the cluster's other
 * exiting processes count too: run it on a quiet cluster). */
struct server {
	pid_t pid;
	pid_t backends[8];
	int n_backends;
	pid_t postmaster;
};

static double
server_cpu(const struct server *sv)
{
	double t = cpu_of(sv->pid, 0);

	for (int i = 0; i < sv->n_backends; i++)
		t += cpu_of(sv->backends[i], 0);
	if (sv->postmaster > 0)
		t += cpu_of(sv->postmaster, 1);
	return t;
}

/* The PostgreSQL backends of url's database other than our own, i.e.
 * those of `tlsrpt serve` (the bench is alone on its database). */
static void
find_backends(const char *url, struct server *sv)
{
	PGconn *pg = PQconnectdb(url);
	PGresult *res;

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "bench_dashboard: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return;
	}
	res = PQexec(pg, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
		     " AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
	for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res) &&
	     sv->n_backends < 8; i++)
		sv->backends[sv->n_backends++] = (pid_t)strtol(PQgetvalue(res, i, 0), NULL, 10);
	if (sv->n_backends > 0)
		sv->postmaster = parent_of(sv->backends[0]);
	PQclear(res);
	PQfinish(pg);
}

/* Times GET url RUNS times; prints one line.  Returns 0 if every answer
 * was 200 (or 404: /api/report/raw of a generated report, whose JSON was
 * not kept) and the server's CPU per request was within the target, 1
 * otherwise. */
static int
time_view(CURL *c, const char *base, const char *what, const struct server *server)
{
	double cpu0 = server_cpu(server), cpu;
	double ms[RUNS];
	int n = RUNS;
	long code = 0;
	size_t bytes = 0;
	char *url = xasprintf("%s%s", base, what);
	int i;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
	for (i = 0; i < RUNS; i++) {
		double t0 = now();

		bytes = 0;
		if (curl_easy_perform(c) != CURLE_OK)
			code = 0;
		else
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		ms[i] = (now() - t0) * 1000.0;
		if (code != 200 && code != 404)
			break;
		if ((server_cpu(server) - cpu0) * 1000.0 > 10 * TARGET_MS) {
			/* far over: once is enough */
			n = i + 1;
			break;
		}
	}
	free(url);
	cpu = (server_cpu(server) - cpu0) * 1000.0 / n;
	if (code != 200 && code != 404) {
		printf("  %-56s HTTP %ld\n", what, code);
		return 1;
	}
	qsort(ms, (size_t)n, sizeof(ms[0]), cmp_double);
	/* server CPU is the figure: the machine is shared, wall time waits
	 * for other people's work */
	printf("  %-56s %7.1f ms server CPU %6.2fx target %-4s | wall %8.1f median %8.1f worst"
	       " (%d runs) %8zu bytes%s\n", what, cpu, cpu / TARGET_MS,
	       cpu <= TARGET_MS ? "ok" : "SLOW", ms[n / 2], ms[n - 1], n, bytes,
	       code == 404 ? " (HTTP 404)" : "");
	return cpu > TARGET_MS;
}

/* The values a view's placeholders stand for ("{name}" in its text). */
struct view_args {
	char page30[24];        /* the last 30 UTC days, today included (web/app.js) */
	char now30[24];         /* now - 30 days, to the second */
	char failed_id[24];     /* a report with a failure detail */
};

/* view with each "{page30}", "{now30}", "{fid}" replaced.  Returns a new
 * string. */
static char *
expand_view(const char *view, const struct view_args *a)
{
	static const char *const names[] = { "{page30}", "{now30}", "{fid}" };
	const char *values[] = { a->page30, a->now30, a->failed_id };
	char *out = xstrdup(view);

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char *p;

		while ((p = strstr(out, names[k])) != NULL) {
			char *next = xasprintf("%.*s%s%s", (int)(p - out), out, values[k],
					       p + strlen(names[k]));

			free(out);
			out = next;
		}
	}
	return out;
}

static size_t
collect(char *p, size_t sz, size_t n, void *ctx)
{
	return buf_append(ctx, p, sz * n) == 0 ? sz * n : 0;
}

/* The id of the newest report with a failure detail (from the API, so the
 * bench needs nothing of the store's layout), into a->failed_id; "1" when
 * none. */
static void
find_failed_report(CURL *c, const char *base, struct view_args *a)
{
	char *url = xasprintf("%s/api/reports?limit=1&result_type=certificate-expired", base);
	struct buf body;
	json_t *v, *id;

	buf_init(&body, 1u << 20);
	snprintf(a->failed_id, sizeof(a->failed_id), "1");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (curl_easy_perform(c) == CURLE_OK && body.len > 0) {
		v = json_loadb(body.data, body.len, 0, NULL);
		id = json_object_get(json_array_get(json_object_get(v, "reports"), 0), "id");
		if (json_is_integer(id))
			snprintf(a->failed_id, sizeof(a->failed_id), "%lld",
				 (long long)json_integer_value(id));
		json_decref(v);
	}
	buf_free(&body);
	free(url);
}

/* A free loopback TCP port (the kernel's choice, released at once). */
static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Starts `tlsrpt serve` on url at port; returns its pid once /healthz
 * answers, or -1. */
static pid_t
start_serve(const char *tlsrpt, const char *url, const char *log, int port)
{
	char listen[32], *health = xasprintf("http://127.0.0.1:%d/healthz", port);
	CURL *c = curl_easy_init();
	size_t bytes;
	long code = 0;
	pid_t pid;
	int i;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0) {
		if (freopen(log, "w", stdout) == NULL || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		/* the dashboard alone, without login: what is timed is the views */
		execl(tlsrpt, "tlsrpt", "serve", "--listen", "127.0.0.1:0", "--dashboard-listen",
		      listen, "--no-auth", "--db", url,
		      geteuid() == 0 ? "--allow-root" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	curl_easy_setopt(c, CURLOPT_URL, health);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
	for (i = 0; pid > 0 && i < 300 && code != 200; i++) {
		usleep(100000);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	}
	curl_easy_cleanup(c);
	free(health);
	if (code == 200)
		return pid;
	if (pid > 0)
		kill(pid, SIGTERM);
	return -1;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t days = argc > 2 ? strtoul(argv[2], NULL, 10) : 400;
	size_t domains = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
	const char *o = getenv("TLSRPT_O") != NULL ? getenv("TLSRPT_O") : "build";
	const char *tlsrpt = getenv("TLSRPT");
	const char *pg = getenv("BENCH_DASHBOARD_DB");
	const char *only = getenv("BENCH_DASHBOARD_VIEWS");
	char *dir = xasprintf("%s/bench-data", o);
	char *url = pg != NULL ? xstrdup(pg) :
		xasprintf("sqlite:%s/dashboard-%zu-%zu-%zu.db", dir, n, days, domains);
	char *log = xasprintf("%s/bench-dashboard-serve.log", dir);
	char *base = NULL;
	struct store *s;
	struct err err;
	uint64_t have = 0;
	int slow = 0, port = 0, timed = 0;
	struct server sv = { 0 };
	pid_t pid;
	CURL *c;
	size_t i;
	/* Every call the dashboard's pages make (web/app.js, web/views.js:
	 * the overview, a domain's page, one report, the export links) and
	 * every API route with each sort and filter.  {page30}: the last 30
	 * UTC days as the period menu sends them (whole days, today
	 * included); {now30}: 30 days back to the second, as an API client
	 * might; {fid}: a report with a failure detail.
	 * d0.example is the domain with the most reports (Zipf). */
	static const char *const views[] = {
		/* the overview page, all time and 30 days */
		"/", "/api/summary", "/api/failures", "/api/domains?sort=failures&offset=0&limit=50",
		"/api/summary?since={page30}", "/api/failures?since={page30}",
		"/api/domains?since={page30}&sort=failures&offset=0&limit=50",
		/* an API client's period starting mid-day (read from report rows) */
		"/api/summary?since={now30}", "/api/failures?since={now30}",
		"/api/domains?since={now30}&sort=rate",
		/* the domain overview: each sort, the other order, deep pages, search */
		"/api/domains?sort=domain&limit=50", "/api/domains?sort=sessions&limit=50",
		"/api/domains?sort=rate&limit=50", "/api/domains?sort=trend&limit=50",
		"/api/domains?sort=reporters&limit=50", "/api/domains?sort=last&limit=50",
		"/api/domains?sort=reports&order=asc&limit=50",
		"/api/domains?sort=failures&offset=9950&limit=50",
		"/api/domains?since={page30}&sort=trend&offset=5000&limit=50",
		"/api/domains?match=d12&limit=50",
		/* a domain's page: its figures, the domain list, its reports */
		"/api/summary?domain=d0.example", "/api/failures?domain=d0.example",
		"/api/summary?domain=d0.example&since={page30}",
		"/api/failures?domain=d0.example&since={page30}",
		"/api/summary?domain=d1.example", "/api/failures?domain=d1.example",
		"/api/summary?domain=d9999.example&since={page30}",
		"/api/reports?domain=d0.example&offset=0&limit=50",
		"/api/reports?domain=d0.example&org=Google%20Inc.&offset=0&limit=50",
		"/api/reports?domain=d0.example&result_type=certificate-expired&offset=0&limit=50",
		"/api/reports?domain=d0.example&org=Yahoo&result_type=validation-failure&limit=50",
		"/api/reports?domain=d0.example&offset=40000&limit=50",
		"/api/reports?domain=d0.example&result_type=certificate-expired&offset=1000&limit=50",
		"/api/reports?domain=d0.example&since={page30}&offset=0&limit=50",
		"/api/reports?domain=d1.example&limit=100",
		"/api/reports?domain=d9999.example&result_type=certificate-expired&limit=50",
		/* reports of every domain */
		"/api/reports?limit=100", "/api/reports?limit=100&result_type=certificate-expired",
		"/api/reports?limit=100&result_type=certificate-expired&since={page30}",
		"/api/reports?limit=100&result_type=certificate-expired&since={now30}",
		"/api/reports?limit=100&org=Apple", "/api/reports?limit=100&offset=900000",
		"/api/reports?limit=100&result_type=starttls-not-supported&offset=30000",
		"/api/reports?limit=100&result_type=no-such-type",
		/* one report */
		"/api/report?id=1", "/api/report?id={fid}", "/api/report/raw?id={fid}",
		/* the export links (the page's filters), and whole lists */
		"/api/failures?format=csv", "/api/failures?since={page30}&format=csv",
		"/api/domains?sort=failures&offset=0&limit=50&format=csv",
		"/api/domains?limit=5000&format=csv",
		"/api/reports?domain=d0.example&offset=0&limit=50&format=csv",
		"/api/reports?domain=d0.example&limit=5000&format=csv",
		"/metrics",
	};
	struct view_args args;
	time_t t = time(NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (n == 0 || days == 0 || domains == 0 || tlsrpt == NULL) {
		fprintf(stderr, "usage: TLSRPT=path bench_dashboard [REPORTS [DAYS [DOMAINS]]]\n");
		return 2;
	}
	mkdir(dir, 0755);
	s = store_open(url, &err);
	if (s == NULL || store_summary_reports(s, 0, 0, NULL, &have, &err) != 0) {
		fprintf(stderr, "bench_dashboard: %s: %s\n", url, err.msg);
		return 1;
	}
	if (have == 0) {
		double t0 = now();

		fprintf(stderr, "bench_dashboard: generating %zu reports over %zu days for %zu "
			"domains into %s (once)\n", n, days, domains, url);
		if (generate(s, n, days, domains, &err) != 0) {
			fprintf(stderr, "bench_dashboard: %s\n", err.msg);
			return 1;
		}
		printf("generated %zu reports in %.1f s (%.0f reports/s through store_put_report)\n",
		       n, now() - t0, (double)n / (now() - t0));
		have = n;
	}
	store_close(&s);
	printf("store: %llu reports over %zu days, %zu policy domains (%s)\n",
	       (unsigned long long)have, days, domains, pg != NULL ? "PostgreSQL" : "SQLite");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	port = free_port();
	pid = start_serve(tlsrpt, url, log, port);
	if (pid < 0) {
		fprintf(stderr, "bench_dashboard: serve did not start, see %s\n", log);
		return 1;
	}
	base = xasprintf("http://127.0.0.1:%d", port);
	sv.pid = pid;
	if (pg != NULL) {
		find_backends(url, &sv);
		printf("server CPU: tlsrpt serve + %d PostgreSQL backend(s) + the parallel workers "
		       "the postmaster (pid %d) reaped\n", sv.n_backends, (int)sv.postmaster);
	}
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	printf("each view %d times, target %.0f ms:\n", RUNS, TARGET_MS);
	snprintf(args.page30, sizeof(args.page30), "%lld", (long long)(t / 86400 - 29) * 86400);
	snprintf(args.now30, sizeof(args.now30), "%lld", (long long)t - 30 * 86400);
	find_failed_report(c, base, &args);
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		char *v;

		if (only != NULL && strstr(views[i], only) == NULL)
			continue;
		v = expand_view(views[i], &args);
		slow += time_view(c, base, v, &sv);
		timed++;
		free(v);
	}
	printf("%d of %d views over the target (server CPU per request)\n", slow, timed);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(base);
	free(url);
	free(log);
	free(dir);
	return 0;
}
