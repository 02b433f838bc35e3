/*
 * summary: what `tlsrpt summary` shows, gathered from the store's summary
 * rows (store_summary.h) and grouped per policy domain: sessions per day,
 * per reporting organization, and the failure rows.  summary_out.c prints
 * it as a table, JSON or CSV.  Everything is owned by struct summary.
 */
#ifndef TLSRPT_CMD_SUMMARY_H
#define TLSRPT_CMD_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "util/err.h"

struct summary_count {
	char *key;              /* organization name (days: NULL) */
	int64_t day;            /* UTC day number (organizations: 0) */
	uint64_t ok, failed, reports;
};

struct summary_failure {
	char *result_type;      /* NULL if absent */
	char *mx, *ip, *reason; /* NULL if absent */
	uint64_t sessions, reports;
};

struct summary_domain {
	char *name;             /* report_domain_key(); "" when reports named none */
	uint64_t ok, failed;
	uint64_t reports;       /* distinct reports with a policy of this domain */
	struct summary_count *days;     /* ascending */
	size_t n_days;
	struct summary_count *orgs;     /* most sessions first */
	size_t n_orgs;
	struct summary_failure *failures;  /* most failed sessions first */
	size_t n_failures;
};

struct summary {
	int64_t since, until;   /* the period asked for; 0 = open */
	uint64_t ok, failed;    /* sessions of all domains */
	uint64_t reports;       /* distinct reports (one naming two domains: once) */
	int64_t conflicts;      /* reports received again with other contents
				 * (store_conflicts.h; not counted) */
	struct summary_domain *domains;  /* by name */
	size_t n_domains;
};

/* Fills *out from the store for [since, until) and domain (NULL: all, "":
 * the policies without policy-domain).
 * Returns 0, or -1 with err set; call summary_clear() in both cases. */
int summary_load(struct store *s, int64_t since, int64_t until, const char *domain,
		 struct summary *out, struct err *err);

/* Frees what sum owns. */
void summary_clear(struct summary *sum);

/* Writes sum to f as a human table, as one JSON document, or as RFC 4180
 * CSV.  Return 0, or -1 on a write error. */
int summary_print_text(FILE *f, const struct summary *sum);
int summary_print_json(FILE *f, const struct summary *sum);
int summary_print_csv(FILE *f, const struct summary *sum);

#endif
