/*
 * db_pg: the PostgreSQL backend of db.h (libpq), for several hosts
 * sharing one store.
 *
 * Every statement is server-prepared (PQprepare) and run with bound text
 * parameters (PQexecPrepared); no value is ever pasted into SQL.  Results
 * come back as text; the whole result of one execution is held until the
 * next reset.  Notices (e.g. "relation already exists, skipping") are
 * silenced: they are not errors.
 *
 * db_run() statements go through libpq's pipeline mode: each is queued in
 * libpq's output buffer without waiting (pg_send()); pg_sync() sends them
 * with a sync point and reads their outcomes, and every call that needs
 * the server's answer runs it first, so the connection is out of pipeline
 * mode whenever a synchronous libpq call is made.  Each queued statement
 * keeps the label db_run_labeled() gave it, in send order (a fixed array
 * of PIPELINE_MAX), so the failure read back at the sync is named as
 * SQLite names it when it steps the row.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/xalloc.h"

/* Statements queued in pipeline mode before pg_send() syncs by itself:
 * their results (a few bytes each) wait in the server's socket buffer
 * while libpq's output buffer fills, so the two never block each other. */
#define PIPELINE_MAX 512

struct conn {
	PGconn *pg;
	unsigned next_id;
	int pipeline;           /* in pipeline mode */
	int pending;            /* statements sent in it, outcome not read */
	char sqlstate[6];
	/* the label of each of the pending statements, in send order */
	char labels[PIPELINE_MAX][DB_LABEL_MAX];
};

struct stmt {
	struct conn *c;
	char name[24];
	int n_params;
	char **values;          /* n_params, each owned or NULL */
	PGresult *res;
	int executed;
	int row;                /* the next row to hand out */
	int cur;                /* the current row */
};

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Copies the message of a failed result into err, without the newline. */
static void
set_error(struct conn *c, PGresult *res, const char *what, struct err *err)
{
	const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	size_t len = strcspn(msg, "\n");

	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state != NULL ? state : "");
	err_set(err, "postgresql: %s: %.*s", what, (int)len, *msg ? msg : "unknown error");
}

/* Puts label (may be "") and ": " in front of err. */
static void
label_error(const char *label, struct err *err)
{
	if (*label != '\0')
		err_prefix(err, "%s", label);
}

static int pg_exec(void *conn, const char *sql, struct err *err);

/* Ends pipeline mode: sends a sync point, reads the outcome of every
 * statement pg_send() queued, keeps the first failure in err and sqlstate.
 * Returns 0 or -1. */
static int
pg_sync(void *conn, struct err *err)
{
	struct conn *c = conn;
	PGresult *res;
	ExecStatusType st;
	int failed = 0, lost = 0, nulls = 0;    /* nulls: statements read back */

	if (!c->pipeline)
		return 0;
	c->sqlstate[0] = '\0';
	if (PQpipelineSync(c->pg) != 1) {
		set_error(c, NULL, "pipeline sync", err);
		failed = lost = 1;
	}
	while (!lost) {
		res = PQgetResult(c->pg);
		if (res == NULL) {
			/* one NULL ends each statement's results; more than that,
			 * or a broken connection, and the sync point is lost */
			if (++nulls > c->pending || PQstatus(c->pg) != CONNECTION_OK) {
				if (!failed)
					set_error(c, NULL, "pipeline", err);
				failed = lost = 1;
			}
			continue;
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		/* the first failure; the statements after it come back
		 * PGRES_PIPELINE_ABORTED, not run */
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !failed) {
			set_error(c, res, "execute", err);
			if (nulls < c->pending)
				label_error(c->labels[nulls], err);
			failed = 1;
		}
		PQclear(res);
	}
	c->pending = 0;
	c->pipeline = 0;
	if (PQexitPipelineMode(c->pg) != 1 && !failed) {
		set_error(c, NULL, "pipeline exit", err);
		failed = 1;
	}
	return failed ? -1 : 0;
}

static void *
pg_open(const char *url, unsigned flags, struct err *err)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->pg = PQconnectdb(url);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		const char *msg = c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory";

		/* the URL may hold a password: name only the failure */
		err_set(err, "postgresql: connect: %.*s", (int)strcspn(msg, "\n"), msg);
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	PQsetNoticeProcessor(c->pg, quiet, NULL);
	/* a read-only handle cannot write even by mistake; a role granted
	 * only SELECT works with it */
	if ((flags & DB_OPEN_READONLY) &&
	    pg_exec(c, "SET default_transaction_read_only = on", err) < 0) {
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	return c;
}

static void
pg_close(void *conn)
{
	struct conn *c = conn;

	pg_sync(c, NULL);
	PQfinish(c->pg);
	free(c);
}

static int
pg_exec(void *conn, const char *sql, struct err *err)
{
	struct conn *c = conn;
	PGresult *res;
	ExecStatusType st;
	int rc = 0, synced;

	/* sql runs even after statements of the pipeline failed (a ROLLBACK
	 * is how their transaction is undone; anything else fails in the
	 * aborted transaction), but the pipeline's error is the one kept */
	synced = pg_sync(c, err);
	res = PQexec(c->pg, sql);
	if (synced < 0) {
		PQclear(res);
		return -1;
	}
	st = PQresultStatus(res);
	c->sqlstate[0] = '\0';
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		set_error(c, res, "exec", err);
		rc = -1;
	} else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		/* the COMMIT of a transaction an earlier error aborted succeeds
		 * as a command and rolls everything back: not a commit */
		snprintf(c->sqlstate, sizeof(c->sqlstate), "25P02");
		err_set(err, "postgresql: exec: COMMIT rolled the transaction back (an earlier"
			" statement of it failed)");
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static void *
pg_prepare(void *conn, const char *sql, struct err *err)
{
	struct conn *c = conn;
	struct stmt *s;
	PGresult *res;

	if (pg_sync(c, err) < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	snprintf(s->name, sizeof(s->name), "tlsrpt_%u", ++c->next_id);
	res = PQprepare(c->pg, s->name, sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		set_error(c, res, "prepare", err);
		goto fail;
	}
	PQclear(res);
	res = PQdescribePrepared(c->pg, s->name);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		set_error(c, res, "describe", err);
		goto fail;
	}
	s->n_params = PQnparams(res);
	PQclear(res);
	s->values = xcalloc((size_t)s->n_params + 1, sizeof(*s->values));
	return s;
fail:
	PQclear(res);
	free(s);
	return NULL;
}

static void
pg_reset(void *impl)
{
	struct stmt *s = impl;

	PQclear(s->res);
	s->res = NULL;
	s->executed = 0;
	s->row = 0;
	for (int i = 0; i < s->n_params; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
	}
}

static void
pg_finalize(void *impl)
{
	struct stmt *s = impl;
	char sql[64];

	pg_reset(s);
	/* the connection may be closing; a failure here changes nothing */
	pg_sync(s->c, NULL);
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
	PQclear(PQexec(s->c->pg, sql));
	free(s->values);
	free(s);
}

static void
pg_bind_text(void *impl, int i, const char *v)
{
	struct stmt *s = impl;

	if (i < 1 || i > s->n_params)
		return;
	free(s->values[i - 1]);
	s->values[i - 1] = v != NULL ? xstrdup(v) : NULL;
}

static void
pg_bind_int64(void *impl, int i, int64_t v)
{
	struct stmt *s = impl;

	if (i < 1 || i > s->n_params)
		return;
	free(s->values[i - 1]);
	s->values[i - 1] = xasprintf("%lld", (long long)v);
}

static int
pg_step(void *impl, struct err *err)
{
	struct stmt *s = impl;
	ExecStatusType st;

	if (!s->executed) {
		if (pg_sync(s->c, err) < 0)
			return -1;
		s->c->sqlstate[0] = '\0';
		s->res = PQexecPrepared(s->c->pg, s->name, s->n_params,
					(const char *const *)s->values, NULL, NULL, 0);
		s->executed = 1;
		s->row = 0;
		st = PQresultStatus(s->res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			set_error(s->c, s->res, "execute", err);
			PQclear(s->res);
			s->res = NULL;
			return -1;
		}
	}
	if (s->res == NULL || PQresultStatus(s->res) != PGRES_TUPLES_OK ||
	    s->row >= PQntuples(s->res))
		return 0;
	s->cur = s->row++;
	return 1;
}

/* db_run(): queues s in pipeline mode (entered here when the connection
 * is not in it), keeps its label for pg_sync() and resets it; libpq
 * copies the parameters into its output buffer at once. */
static int
pg_send(void *impl, const char *label, struct err *err)
{
	struct stmt *s = impl;
	struct conn *c = s->c;
	size_t n;
	int rc = 0;

	if (!c->pipeline) {
		if (PQenterPipelineMode(c->pg) != 1) {
			set_error(c, NULL, "pipeline mode", err);
			label_error(label, err);
			pg_reset(s);
			return -1;
		}
		c->pipeline = 1;
	}
	if (PQsendQueryPrepared(c->pg, s->name, s->n_params, (const char *const *)s->values,
				NULL, NULL, 0) != 1) {
		set_error(c, NULL, "send", err);
		label_error(label, err);
		pg_reset(s);
		pg_sync(c, NULL);
		return -1;
	}
	n = strnlen(label, DB_LABEL_MAX - 1);
	memcpy(c->labels[c->pending], label, n);
	c->labels[c->pending][n] = '\0';
	c->pending++;
	pg_reset(s);
	if (c->pending >= PIPELINE_MAX)
		rc = pg_sync(c, err);
	return rc;
}

static const char *
pg_column_text(void *impl, int col)
{
	struct stmt *s = impl;

	if (s->res == NULL || col >= PQnfields(s->res) || PQgetisnull(s->res, s->cur, col))
		return NULL;
	return PQgetvalue(s->res, s->cur, col);
}

static int64_t
pg_column_int64(void *impl, int col)
{
	const char *v = pg_column_text(impl, col);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static int
pg_is_retryable(void *conn)
{
	struct conn *c = conn;

	/* 40P01 deadlock_detected, 40001 serialization_failure */
	return strcmp(c->sqlstate, "40P01") == 0 || strcmp(c->sqlstate, "40001") == 0;
}

const struct db_ops db_pg_ops = {
	.name = "postgresql",
	.dialect = DB_DIALECT_PG,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.step = pg_step,
	.send = pg_send,
	.sync = pg_sync,
	.column_text = pg_column_text,
	.column_int64 = pg_column_int64,
	.reset = pg_reset,
	.is_retryable = pg_is_retryable,
};
