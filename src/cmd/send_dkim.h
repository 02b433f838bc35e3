/*
 * send_dkim: the DKIM key check `tlsrpt send` and `tlsrpt reportd` run
 * once at start when they sign report mails: the key record they sign
 * with is looked up and judged as `tlsrpt check --dkim-selector` does
 * (check/check_dkim.c), and every problem is logged with the checker's
 * text.  It never stops sending: the receivers' DNS view decides, and ours
 * may be down.
 */
#ifndef TLSRPT_CMD_SEND_DKIM_H
#define TLSRPT_CMD_SEND_DKIM_H

#include "net/dns.h"

/*
 * When mail is signed (key_file and selector not NULL), looks up
 * SELECTOR._domainkey.DOMAIN through dns (borrowed) and logs: a warning per problem with the record or with
 * the key (s= without tlsrpt, a key other than key_file's, ...), a notice
 * when the lookup could not be made or failed temporarily, and the good
 * findings at info level.  Returns the number of warnings logged.
 */
int send_dkim_check(const char *key_file, const char *selector, const char *domain, struct dns *dns);

#endif
