/*
 * store_domain_idna: the schema step that rewrites the policy-domain keys
 * stored before report_domain_key() learnt IDNA (report.h): a key holding
 * a U-label ("bücher.example") becomes its A-label form
 * ("xn--bcher-kva.example"), so old and new reports are one domain.
 */
#ifndef TLSRPT_STORE_STORE_DOMAIN_IDNA_H
#define TLSRPT_STORE_STORE_DOMAIN_IDNA_H

#include "store/store.h"
#include "util/err.h"

/* Recomputes report_policies.domain_key from policy_domain for every row
 * whose key is not what report_domain_key() gives today.  Runs inside the
 * migration's transaction.  Returns 0 or -1 (err set). */
int store_domain_idna_upgrade(struct store *s, struct err *err);

#endif
