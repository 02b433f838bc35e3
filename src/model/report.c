/* report: allocation and release of the report model (see report.h). */
#include "model/report.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct report *
report_new(void)
{
	return xcalloc(1, sizeof(struct report));
}

void
failure_detail_clear(struct failure_detail *d)
{
	free(d->result_type);
	free(d->sending_mta_ip);
	free(d->receiving_mx_hostname);
	free(d->receiving_mx_helo);
	free(d->receiving_ip);
	free(d->additional_information);
	free(d->failure_reason_code);
	free(d->extra_json);
	memset(d, 0, sizeof(*d));
}

void
policy_clear(struct policy *p)
{
	free(p->policy_type);
	strlist_clear(&p->policy_string);
	free(p->policy_domain);
	strlist_clear(&p->mx_host);
	for (size_t i = 0; i < p->n_failure_details; i++)
		failure_detail_clear(&p->failure_details[i]);
	free(p->failure_details);
	free(p->extra_json);
	memset(p, 0, sizeof(*p));
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	free(r->organization_name);
	free(r->start_datetime);
	free(r->end_datetime);
	free(r->contact_info);
	free(r->report_id);
	for (size_t i = 0; i < r->n_policies; i++)
		policy_clear(&r->policies[i]);
	free(r->policies);
	free(r->extra_json);
	strlist_clear(&r->quirks);
	free(r);
}

struct policy *
report_add_policy(struct report *r)
{
	r->policies = xreallocarray(r->policies, r->n_policies + 1, sizeof(*r->policies));
	memset(&r->policies[r->n_policies], 0, sizeof(struct policy));
	return &r->policies[r->n_policies++];
}

struct failure_detail *
policy_add_failure_detail(struct policy *p)
{
	p->failure_details = xreallocarray(p->failure_details, p->n_failure_details + 1,
					   sizeof(*p->failure_details));
	memset(&p->failure_details[p->n_failure_details], 0, sizeof(struct failure_detail));
	return &p->failure_details[p->n_failure_details++];
}

void
report_domain_normalize(char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
}

char *
report_domain_key(const char *policy_domain)
{
	char *k = xstrdup(policy_domain != NULL ? policy_domain : ""), *a = NULL;

	report_domain_normalize(k);
	for (const char *p = k; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x80)
			continue;
		/* IDNA 2008 (UTS #46 non-transitional mapping, as dns.c and
		 * aggregate.c look names up): "bücher.example" is counted
		 * with "xn--bcher-kva.example".  A name libidn2 refuses is
		 * kept as it is (lower case): it is still the sender's. */
		if (idn2_to_ascii_8z(k, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) == IDN2_OK) {
			free(k);
			k = xstrdup(a);
			report_domain_normalize(k);
		}
		idn2_free(a);
		break;
	}
	return k;
}

const char *
report_domain_filter(const char *arg)
{
	if (arg == NULL || *arg == '\0')
		return NULL;
	if (strcmp(arg, REPORT_NO_DOMAIN_FILTER) == 0)
		return "";
	return arg;
}
