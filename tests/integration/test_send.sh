#!/bin/sh
# Integration test of `tlsrpt send` / `tlsrpt reportd` against real servers
# (tests/components): unbound with _smtp._tls records, the aiosmtpd sink,
# the libmicrohttpd HTTPS sink, a DKIM key published in DNS.  Results are
# put in a temporary SQLite store through store_put_results() (put_results.c).
# Checks: DKIM verifies with python3-dkim, the attachment gunzips to JSON
# whose every field matches the stored results, the HTTPS POST is gzip JSON
# with the right content type, record rules (none / two / invalid / SERVFAIL),
# retries, suppression, nothing sent twice, reportd on a simulated clock;
# the start-up DKIM key check (s=email only: warning, still delivered;
# lookup failure: notice);
# report_only_failures / report_smtp_require_tls = yes (file or environment)
# turned off by --no-only-failures / --no-smtp-require-tls, the last flag winning;
# a delivery interrupted while sending (warned, resent by --retry-interrupted);
# every run's exit status is checked against the exact code it must give.
. "$(dirname "$0")/tap.sh"
set -u
PY=/usr/bin/python3
C=$COMPONENTS
D=2026-11-21; DAY=20778; B=1795219200; E=1795305599
NOW=$((B + 86400 + 3600))

need() { command -v "$1" >/dev/null 2>&1; }
if ! need unbound || ! $PY -c 'import aiosmtpd, dkim, dns.resolver' 2>/dev/null || ! need opendkim-genkey && [ ! -x /usr/sbin/opendkim-genkey ]; then
	echo "ok 1 # SKIP components not installed (sh scripts/install-deps.sh)"; exit 0
fi

T=$(mktemp -d /tmp/tlsrpt-send.XXXXXX)
chmod o+x "$T"
cleanup() {
	for c in dns smtp-sink https; do "$C/$c.sh" stop "$T/$c" >/dev/null 2>&1; done
	"$C/smtp-sink.sh" stop "$T/plain-sink" >/dev/null 2>&1
	"$C/smtp-sink.sh" stop "$T/auth-sink" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

# ---- servers -------------------------------------------------------------
"$C/https.sh" ca "$T/tls" >/dev/null
export TLS_DIR="$T/tls"
"$C/smtp-sink.sh" start "$T/smtp-sink" >/dev/null || { fail "smtp sink starts"; exit 1; }
"$C/https.sh" start "$T/https" >/dev/null || { fail "https sink starts"; exit 1; }
eval "$(cat "$T/smtp-sink/env")"
eval "$(cat "$T/https/env")"
W="https://localhost:$HTTPS_PORT"
mkdir -p "$T/dns/zones"
cat > "$T/dns/zones/example.test.zone" <<ZONE
\$ORIGIN example.test.
\$TTL 300
@                   IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
@                   IN NS  ns.example.test.
ns                  IN A   127.0.0.1
_smtp._tls.mail     IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@example.test"
_smtp._tls.web      IN TXT "v=TLSRPTv1; rua=$W/tlsrpt"
_smtp._tls.both     IN TXT "v=TLSRPTv1; rua=mailto:both@example.test,$W/both"
_smtp._tls.two      IN TXT "v=TLSRPTv1; rua=mailto:one@example.test"
_smtp._tls.two      IN TXT "v=TLSRPTv1; rua=mailto:two@example.test"
_smtp._tls.bad      IN TXT "v=TLSRPTv1; rua=ftp://x.example.test/"
_smtp._tls.flaky    IN TXT "v=TLSRPTv1; rua=$W/flaky?status=503"
_smtp._tls.rej      IN TXT "v=TLSRPTv1; rua=mailto:reject-me@example.test"
_smtp._tls.supp     IN TXT "v=TLSRPTv1; rua=mailto:supp@example.test"
_smtp._tls.mfrom    IN TXT "v=TLSRPTv1; rua=mailto:mfrom@example.test"
_smtp._tls.mx.dane  IN TXT "v=TLSRPTv1; rua=mailto:dane-host@example.test"
_smtp._tls.next     IN TXT "v=TLSRPTv1; rua=mailto:next@example.test"
_smtp._tls.gone     IN TXT "v=TLSRPTv1; rua=$W/gone?status=410"
_smtp._tls.busy     IN TXT "v=TLSRPTv1; rua=$W/busy?status=429"
_smtp._tls.s202     IN TXT "v=TLSRPTv1; rua=$W/s202?status=202"
_smtp._tls.s204     IN TXT "v=TLSRPTv1; rua=$W/s204?status=204"
_smtp._tls.redir    IN TXT "v=TLSRPTv1; rua=$W/redir?status=301"
_smtp._tls.samerua  IN TXT "v=TLSRPTv1; rua=mailto:shared@example.test"
_smtp._tls.mx.hoster IN TXT "v=TLSRPTv1; rua=mailto:shared@example.test"
ZONE
"$C/dns.sh" start "$T/dns" >/dev/null || { fail "dns starts"; exit 1; }
eval "$(cat "$T/dns/env")"
DKIM_SERVICE=tlsrpt "$C/dkim.sh" genkey "$T/key" example.test sel >/dev/null 2>&1 &&
	"$C/dkim.sh" publish "$T/key" "$T/dns" >/dev/null || { fail "dkim key published"; exit 1; }
chmod 600 "$T/key/sel.private"   # a key others may read is refused (dkim.sh makes it 644)

# ---- results into a temporary store --------------------------------------
PKGS=$(cat "$TLSRPT_SRC/scripts/pkgs.txt")    # the Makefile's PKGS
CORE="$TLSRPT_SRC/$TLSRPT_O/libtlsrpt-core.a"
SAN=""
nm "$CORE" 2>/dev/null | grep -q __asan_ && SAN="-fsanitize=address,undefined"
# shellcheck disable=SC2046
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $SAN -I"$TLSRPT_SRC/src" \
	$(pkg-config --cflags $PKGS) -o "$T/put_results" "$TLSRPT_SRC/tests/integration/put_results.c" \
	"$CORE" $(pkg-config --libs $PKGS) -lopendkim -lresolv -lpthread -lm 2>"$T/cc.err" ||
	{ fail "put_results builds" "$(cat "$T/cc.err")"; exit 1; }
DB="sqlite:$T/store.db"
tab=$(printf '\t')
put() { tr '~' "$tab" | "$T/put_results" "$1"; }
put "$DB" <<'ROWS' || fail "results stored"
2026-11-21~mail.example.test~sts~mail.example.test~version: STSv1|mode: testing|mx: mx.dane.example.test|max_age: 86400~mx.dane.example.test~3~2~certificate-expired~192.0.2.1~192.0.2.25~mx.dane.example.test~X509_V_ERR_CERT_HAS_EXPIRED
2026-11-21~mail.example.test~tlsa~mx.dane.example.test~3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF~-~2~0
2026-11-21~web.example.test~no-policy-found~-~-~-~5~0
2026-11-21~both.example.test~sts~both.example.test~version: STSv1~mx.both.example.test~1~1~starttls-not-supported~-~192.0.2.7~mx.both.example.test~-
2026-11-21~norecord.example.test~sts~norecord.example.test~-~-~1~0
2026-11-21~two.example.test~sts~two.example.test~-~-~1~0
2026-11-21~bad.example.test~sts~bad.example.test~-~-~1~0
2026-11-21~sf.servfail.example.test~sts~sf.servfail.example.test~-~-~1~0
2026-11-21~flaky.example.test~sts~flaky.example.test~-~-~1~0
2026-11-21~rej.example.test~sts~rej.example.test~-~-~1~0
2026-11-21~supp.example.test~sts~supp.example.test~-~-~1~0
ROWS

COMMON="--db $DB --resolver 127.0.0.1@$DNS_PORT --submitter example.test --org Test-Sender-Org
 --contact tlsrpt@example.test --smtp smtp://127.0.0.1:$SMTP_PORT --cacert $HTTPS_CA
 --dkim-key $T/key/sel.private --dkim-selector sel --timeout 20"
send() { # shellcheck disable=SC2086
	"$TLSRPT" send $COMMON "$@"; }
mails() { ls "$SMTP_DIR_MAIL"/*.eml 2>/dev/null | wc -l; }
posts() { ls "$HTTPS_OUT"/*.body 2>/dev/null | wc -l; }
sql() { sqlite3 "$T/store.db" "$1"; }
SMTP_DIR_MAIL="$T/smtp-sink/mail"
# stats FILE: the -v summary line "tlsrpt send: N reports: …" of a run that
# got to its end (stderr in FILE); empty if the run stopped before
stats() { grep '^tlsrpt send: [0-9]* reports: ' "$1"; }
# no_errors FILE: reportd logged no error (a failed pass is logged, then
# retried, and reportd still exits 0 at --stop-at)
no_errors() { ! grep -q '^tlsrpt reportd: error: ' "$1"; }

# ---- first run -----------------------------------------------------------
check "suppress mailto:supp@example.test until 2026-12-01" \
	"$TLSRPT" send --db "$DB" --suppress mailto:supp@example.test --until 2026-12-01
send --day $D --now $NOW -v 2>"$T/send1.err"
rc=$?
[ "$rc" = 1 ] && ok "send exits 1 (partial: a retry and a permanent failure)" ||
	fail "send exit status" "rc=$rc" "$(cat "$T/send1.err")"
sleep 0.3
[ "$(mails)" = 3 ] && ok "three report mails delivered (mail, both, MX host)" ||
	fail "mail count" "$(mails) mails" "$(cat "$T/send1.err")"
[ "$(posts)" = 3 ] && ok "three HTTPS POSTs (web, both, flaky)" || fail "POST count" "$(posts)"

# which mail went where
for j in "$SMTP_DIR_MAIL"/*.json; do
	r=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpt_tos"][0])' "$j")
	cp "${j%.json}.eml" "$T/to-$r.eml"
done
for r in tls-reports both dane-host; do
	if [ -f "$T/to-$r@example.test.eml" ]; then ok "mail to $r@example.test"
	else fail "mail to $r@example.test" "$(ls "$T")"; fi
done

for f in "$T"/to-*.eml; do
	check "DKIM verifies (python3-dkim, key with s=tlsrpt from DNS, strict): $(basename "$f")" \
		sh -c "DKIM_TLSRPT=strict '$C/dkim.sh' verify $DNS_PORT < '$f'"
done
f="$T/to-tls-reports@example.test.eml"
sed 's/mail.example.test/evil.example.test/' "$f" > "$T/tampered.eml"
# dkim.sh is bash (set -o pipefail): under sh it fails before verifying
# anything.  Strict, as above: the same check that passes the original mail.
DKIM_TLSRPT=strict bash "$C/dkim.sh" verify "$DNS_PORT" < "$T/tampered.eml" > "$T/tampered.out" 2>&1
rc=$?
! cmp -s "$f" "$T/tampered.eml" && [ "$rc" = 1 ] && grep -q '^dkim=fail (1 signature(s))' "$T/tampered.out" &&
	ok "tampered mail fails DKIM" || fail "tampered mail fails DKIM" "rc=$rc, want 1" "$(cat "$T/tampered.out")"

# the mail's structure and the report in it, field by field
check "mail.example.test mail: headers, attachment and every JSON field" $PY - "$f" <<'PYEOF'
import sys, email, gzip, json, email.policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
def want(c, msg):
    if not c: sys.exit("FAIL: " + msg)
want(m.get_content_type() == "multipart/report", "multipart/report")
want(m.get_param("report-type") == "tlsrpt", "report-type=tlsrpt")
want(m.get_all("TLS-Report-Domain") == ["mail.example.test"], "TLS-Report-Domain once")
want(m.get_all("TLS-Report-Submitter") == ["example.test"], "TLS-Report-Submitter once")
want(m["TLS-Required"] == "No", "TLS-Required: No")
want(m["Auto-Submitted"] == "auto-generated", "Auto-Submitted")
want(m["Date"] and m["Message-Id"] and m["MIME-Version"] == "1.0", "Date, Message-Id, MIME-Version")
rid = "20261121.mail.example.test.1@example.test"
subj = " ".join(str(m["Subject"]).split())
want(subj == "Report Domain: mail.example.test Submitter: example.test Report-ID: <%s>" % rid, "Subject: " + subj)
sig = " ".join(m["DKIM-Signature"].split())
want("d=example.test" in sig and " l=" not in sig and ";l=" not in sig, "DKIM d= and no l=")
import re
h = re.search(r"(?:^|;)\s*h=([^;]*)", sig).group(1).replace(" ", "").lower().split(":")
for x in ("from", "to", "subject", "date", "message-id", "tls-report-domain", "tls-report-submitter"):
    want(x in h, "h= has " + x)
parts = m.get_payload()
want(parts[0].get_content_type() == "text/plain", "first part text/plain")
a = parts[1]
want(a.get_content_type() == "application/tlsrpt+gzip", "application/tlsrpt+gzip")
want(a["Content-Transfer-Encoding"] == "base64", "base64")
want(a.get_filename() == "example.test!mail.example.test!1795219200!1795305599.json.gz", "filename " + str(a.get_filename()))
raw = a.get_payload(decode=True)
want(raw[:2] == b"\x1f\x8b", "gzip magic")
r = json.loads(gzip.decompress(raw))
want(set(r) == {"organization-name", "date-range", "contact-info", "report-id", "policies"}, "top-level keys %s" % sorted(r))
want(r["organization-name"] == "Test-Sender-Org", "organization-name")
want(r["contact-info"] == "tlsrpt@example.test", "contact-info")
want(r["report-id"] == rid, "report-id")
want(r["date-range"] == {"start-datetime": "2026-11-21T00:00:00Z", "end-datetime": "2026-11-21T23:59:59Z"}, "date-range")
want(isinstance(r["policies"], list) and len(r["policies"]) == 2, "two policies")
sts = [p for p in r["policies"] if p["policy"]["policy-type"] == "sts"][0]
tlsa = [p for p in r["policies"] if p["policy"]["policy-type"] == "tlsa"][0]
want(sts["policy"] == {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing", "mx: mx.dane.example.test", "max_age: 86400"], "policy-domain": "mail.example.test", "mx-host": ["mx.dane.example.test"]}, "sts policy %s" % sts["policy"])
want(sts["summary"] == {"total-successful-session-count": 3, "total-failure-session-count": 2}, "sts summary")
want(sts["failure-details"] == [{"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.1", "receiving-mx-hostname": "mx.dane.example.test", "receiving-ip": "192.0.2.25", "failed-session-count": 2, "failure-reason-code": "X509_V_ERR_CERT_HAS_EXPIRED"}], "failure details %s" % sts["failure-details"])
want(tlsa["policy"]["policy-domain"] == "mx.dane.example.test", "tlsa under the MX host")
want(tlsa["policy"]["policy-string"] == ["3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"], "tlsa string")
want(tlsa["summary"] == {"total-successful-session-count": 2, "total-failure-session-count": 0}, "tlsa summary")
want(tlsa["failure-details"] == [], "tlsa failure-details []")
PYEOF

check "MX host report (AGG-08) holds the TLSA policy only" $PY - "$T/to-dane-host@example.test.eml" <<'PYEOF'
import sys, email, gzip, json
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
r = json.loads(gzip.decompress(m.get_payload()[1].get_payload(decode=True)))
assert m["TLS-Report-Domain"] == "mx.dane.example.test", m["TLS-Report-Domain"]
assert r["report-id"] == "20261121.mx.dane.example.test.2@example.test", r["report-id"]
assert [p["policy"]["policy-type"] for p in r["policies"]] == ["tlsa"], r
assert r["policies"][0]["summary"]["total-successful-session-count"] == 2
PYEOF

# HTTPS
for b in "$HTTPS_OUT"/*.body; do
	j=${b%.body}.json
	case $(cat "$j") in *'/tlsrpt'*) cp "$b" "$T/web.body"; cp "$j" "$T/web.json" ;; esac
done
check "HTTPS POST: application/tlsrpt+gzip, no Content-Encoding, gzip JSON of web.example.test" \
	$PY - "$T/web.json" "$T/web.body" <<'PYEOF'
import sys, json, gzip
meta = json.load(open(sys.argv[1])); body = open(sys.argv[2], "rb").read()
hdrs = {k.lower(): v for k, v in meta.get("headers", {}).items()} if isinstance(meta.get("headers"), dict) else {}
text = json.dumps(meta).lower()
assert "application/tlsrpt+gzip" in text, meta
assert "content-encoding" not in text, meta
assert body[:2] == b"\x1f\x8b"
r = json.loads(gzip.decompress(body))
p = r["policies"][0]
assert r["report-id"] == "20261121.web.example.test.1@example.test", r["report-id"]
assert p["policy"] == {"policy-type": "no-policy-found", "policy-string": [], "policy-domain": "web.example.test", "mx-host": []}, p
assert p["summary"] == {"total-successful-session-count": 5, "total-failure-session-count": 0}, p
assert p["failure-details"] == [], p
PYEOF

# record rules and delivery states
[ "$(sql "SELECT COUNT(*) FROM outbox_reports WHERE policy_domain IN ('norecord.example.test','two.example.test','bad.example.test')")" = 0 ] &&
	ok "no report queued for no record / two records / invalid record" || fail "record rules" "$(sql 'SELECT report_id FROM outbox_reports')"
[ "$(sql "SELECT lookup_state FROM outbox_reports WHERE policy_domain='sf.servfail.example.test'")" = pending ] &&
	ok "SERVFAIL: report kept, lookup to be retried" || fail "SERVFAIL keeps the report" "$(sql 'SELECT * FROM outbox_reports')"
st() { sql "SELECT d.state FROM outbox_deliveries d JOIN outbox_reports r USING (report_id) WHERE r.policy_domain='$1'"; }
[ "$(st flaky.example.test)" = pending ] && ok "HTTPS 503: delivery pending for retry" || fail "503 retry" "$(st flaky.example.test)"
[ "$(st rej.example.test)" = failed ] && ok "SMTP 550: delivery failed for good" || fail "550" "$(st rej.example.test)"
[ "$(st supp.example.test)" = suppressed ] && ok "suppressed rua gets no mail" || fail "suppression" "$(st supp.example.test)"
[ "$(sql "SELECT COUNT(*) FROM result_policies WHERE day=$DAY")" = 0 ] &&
	ok "the day's results are deleted after generation" || fail "results deleted"

# ---- again: nothing twice ------------------------------------------------
# Both runs must get to the end (exit 0, the -v summary line with nothing
# delivered), not merely leave the counts alone.
send --day $D --now $((NOW + 60)) -v >/dev/null 2>"$T/again1.err"
rc1=$?
send --now $((NOW + 60)) -v >/dev/null 2>"$T/again2.err"
rc2=$?
sleep 0.2
none='deliveries: 0 sent, 0 to retry, 0 failed$'
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && stats "$T/again1.err" | grep -q "$none" &&
	stats "$T/again2.err" | grep -q "$none" && [ "$(mails)" = 3 ] && [ "$(posts)" = 3 ] &&
	ok "running send again sends nothing twice (both runs exit 0, nothing delivered)" ||
	fail "resend" "$(mails) mails, $(posts) posts" "rc=$rc1 (--day), rc=$rc2; want 0, 0" \
		"$(cat "$T/again1.err")" "$(cat "$T/again2.err")"

# ---- retries -------------------------------------------------------------
send --now $((NOW + 301)) -v >/dev/null 2>"$T/retry1.err"
rc=$?
sleep 0.2
[ "$rc" = 1 ] && stats "$T/retry1.err" | grep -q 'deliveries: 0 sent, 1 to retry, 0 failed$' &&
	[ "$(posts)" = 4 ] && [ "$(st flaky.example.test)" = pending ] &&
	ok "HTTPS retried after the backoff, still pending (exit 1)" ||
	fail "retry" "rc=$rc, want 1" "$(posts) posts, $(st flaky.example.test)" "$(cat "$T/retry1.err")"
a1=$(sql "SELECT next_try FROM outbox_deliveries d JOIN outbox_reports r USING (report_id) WHERE r.policy_domain='flaky.example.test'")
[ "$a1" -ge $((NOW + 301 + 600)) ] && ok "second backoff is at least twice the first" || fail "backoff" "next_try=$a1"
send --now $((NOW + 90000)) -v >/dev/null 2>"$T/retry2.err"
rc=$?
[ "$rc" = 1 ] && stats "$T/retry2.err" | grep -q 'deliveries: 0 sent, 0 to retry, 1 failed$' &&
	[ "$(st flaky.example.test)" = failed ] && ok "retries stop 24 h after the first attempt (exit 1)" ||
	fail "give up" "rc=$rc, want 1" "$(st flaky.example.test)" "$(cat "$T/retry2.err")"
[ "$rc" = 1 ] && grep -q 'report-id=20261121\.sf\.servfail\.example\.test\..*(dropped)$' "$T/retry2.err" &&
	[ "$(sql "SELECT lookup_state FROM outbox_reports WHERE policy_domain='sf.servfail.example.test'")" = failed ] &&
	ok "SERVFAIL lookups stop after 24 h" ||
	fail "lookup give-up" "rc=$rc, want 1" "$(sql "SELECT lookup_state FROM outbox_reports WHERE policy_domain='sf.servfail.example.test'")" \
		"$(cat "$T/retry2.err")"

"$TLSRPT" send --db "$DB" --list > "$T/list.out" 2>"$T/list.err"
rc=$?
[ "$rc" = 0 ] && grep -q "$(printf 'rej.example.test\tmailto:reject-me@example.test\tfailed\t1\t')" "$T/list.out" &&
	grep -q "$(printf 'sf.servfail.example.test\t-\tlookup-failed')" "$T/list.out" &&
	ok "send --list shows each delivery's state" || fail "--list" "rc=$rc, want 0" "$(cat "$T/list.out")" "$(cat "$T/list.err")"

# ---- automatic suppression of a destination that refuses for good (issue 13)
REJ=mailto:reject-me@example.test
[ "$(grep -c "$REJ refused a report for good: suppressed for 30 days" "$T/send1.err")" = 1 ] &&
	ok "SMTP 550: the destination is suppressed for report_suppress_days (logged once)" ||
	fail "auto-suppression logged" "$(cat "$T/send1.err")"
"$TLSRPT" send --db "$DB" --now $NOW --list-suppressed > "$T/ls1.out" 2>"$T/ls1.err"
rc=$?
[ "$rc" = 0 ] && grep -q "$(printf '^mailto:reject-me@example.test\t2026-12-22T01:00:00Z\tautomatic: smtp ')" "$T/ls1.out" &&
	grep -q "$(printf '^mailto:supp@example.test\t2026-12-01T00:00:00Z\t-$')" "$T/ls1.out" &&
	ok "send --list-suppressed lists automatic and manual suppressions" ||
	fail "--list-suppressed" "rc=$rc" "$(cat "$T/ls1.out")" "$(cat "$T/ls1.err")"
# a report already queued when the destination gets suppressed: skipped at delivery, logged
printf '2026-11-19~rej.example.test~sts~rej.example.test~-~-~1~0\n' | put "$DB"
"$TLSRPT" send --db "$DB" --unsuppress $REJ 2>"$T/sup2.err"
rc1=$?
"$TLSRPT" send --db "$DB" --unsuppress $REJ 2>>"$T/sup2.err"
rc2=$?
send --day 2026-11-19 --now $((NOW + 90000)) --no-deliver -v >/dev/null 2>"$T/sup1.err"
"$TLSRPT" send --db "$DB" --suppress $REJ --until 2027-01-10 --comment manual
send --now $((NOW + 90000)) -v >/dev/null 2>"$T/sup3.err"
rc=$?
stq() { sql "SELECT d.state FROM outbox_deliveries d JOIN outbox_reports r USING (report_id) WHERE r.report_id LIKE '$1%'"; }
[ "$rc1" = 0 ] && [ "$rc2" = 1 ] && grep -q 'is not suppressed' "$T/sup2.err" &&
	ok "send --unsuppress removes a destination (exit 1 when it was not listed)" ||
	fail "--unsuppress" "rc=$rc1 then $rc2, want 0 then 1" "$(cat "$T/sup2.err")"
[ "$rc" = 0 ] && [ "$(stq 20261119.rej.)" = suppressed ] &&
	grep -q "report-id=20261119.rej.example.test.1@example.test: $REJ is suppressed until .*: not sent" "$T/sup3.err" &&
	! grep -q "delivery to $REJ failed" "$T/sup3.err" &&
	ok "a queued delivery to a suppressed destination is skipped with a log line" ||
	fail "skip at delivery" "rc=$rc, want 0; state $(stq 20261119.rej.)" "$(cat "$T/sup3.err")"
# HTTPS: 410 is a refusal for good (suppressed), 429 is temporary (retried)
"$TLSRPT" send --db "$DB" --unsuppress $REJ 2>/dev/null
printf '2026-11-18~gone.example.test~sts~gone.example.test~-~-~1~0\n2026-11-18~busy.example.test~sts~busy.example.test~-~-~1~0\n' | put "$DB"
send --day 2026-11-18 --now $((NOW + 90000)) -v >/dev/null 2>"$T/sup4.err"
rc=$?
"$TLSRPT" send --db "$DB" --now $((NOW + 90000)) --list-suppressed > "$T/ls2.out"
[ "$rc" = 1 ] && [ "$(stq 20261118.gone.)" = failed ] && [ "$(stq 20261118.busy.)" = pending ] &&
	grep -q "^$W/gone?status=410	" "$T/ls2.out" && ! grep -q "busy" "$T/ls2.out" &&
	! grep -q "reject-me" "$T/ls2.out" &&
	ok "HTTPS 410 suppresses the endpoint, HTTPS 429 is retried" ||
	fail "https refusal" "rc=$rc, want 1; gone $(stq 20261118.gone.), busy $(stq 20261118.busy.)" \
		"$(cat "$T/ls2.out")" "$(cat "$T/sup4.err")"
sql "UPDATE outbox_deliveries SET state = 'failed' WHERE state = 'pending' AND report_id LIKE '20261118.busy.%'"

# ---- reportd on a simulated clock (SCHED-01) ------------------------------
printf '2026-11-22~next.example.test~sts~next.example.test~-~-~4~0\n' | put "$DB"
M=$(( (DAY + 2) * 86400 ))
# shellcheck disable=SC2086
"$TLSRPT" reportd $COMMON -v --jitter 600 --fake-clock $((M - 3600)) --stop-at $((M - 1)) 2>"$T/rd1.err"
rc=$?
# it ran to --stop-at ("stopping") and left the day's results in the store
[ "$rc" = 0 ] && grep -q '^tlsrpt reportd: info: stopping$' "$T/rd1.err" && no_errors "$T/rd1.err" &&
	[ "$(sql "SELECT COUNT(*) FROM result_policies WHERE day=$((DAY + 1))")" -gt 0 ] && [ "$(mails)" = 3 ] &&
	ok "reportd sends nothing before the day has ended" || fail "reportd early" "rc=$rc, want 0" "$(mails) mails" "$(cat "$T/rd1.err")"
# shellcheck disable=SC2086
"$TLSRPT" reportd $COMMON -v --jitter 600 --fake-clock $((M - 60)) --stop-at $((M + 4 * 3600)) 2>"$T/rd2.err"
rc=$?
sleep 0.2
[ "$rc" = 0 ] && grep -q ' 1 delivered, 0 to retry, 0 failed$' "$T/rd2.err" && no_errors "$T/rd2.err" &&
	[ "$(mails)" = 4 ] && ok "reportd sends the day's report after 00:00 UTC + jitter" ||
	fail "reportd" "rc=$rc, want 0" "$(mails) mails" "$(cat "$T/rd2.err")"

# SIGTERM ends the real daemon cleanly
# shellcheck disable=SC2086
"$TLSRPT" reportd $COMMON -v 2>"$T/rd3.err" &
pid=$!
sleep 1
alive=$(ps -o stat= -p $pid)   # a zombie (Z) has exited already
kill -TERM $pid
i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
wait $pid; rc=$?
case $alive in [!Z]*) alive=yes ;; *) alive="no (ps: '$alive')" ;; esac
[ "$alive" = yes ] && [ "$rc" = 0 ] && grep -q '^tlsrpt reportd: info: stopping$' "$T/rd3.err" &&
	ok "reportd runs until SIGTERM, then exits 0" ||
	fail "reportd SIGTERM" "running when signalled: $alive" "rc=$rc, want 0" "$(cat "$T/rd3.err")"

# ---- the start-up DKIM key check: logged, never a stop (RFC 8460 §3) ------
# The first run signed with a key published with s=tlsrpt: no DKIM warning.
grep -Fxq "tlsrpt send: info: dkim.key: sel._domainkey.example.test: the key in DNS is the public half of $T/key/sel.private" \
	"$T/send1.err" && ! grep -Eq '^tlsrpt send: (warning|notice): dkim' "$T/send1.err" &&
	ok "send checks its DKIM key at start: s=tlsrpt and the key match, nothing to warn about" ||
	fail "DKIM start-up check of the good key" "$(cat "$T/send1.err")"
# The same key under selector "emailonly", published with s=email only.
sed -e 's/^sel\._domainkey/emailonly._domainkey/' -e 's/s=tlsrpt;/s=email;/' "$T/key/sel.txt" \
	>> "$T/dns/zones/example.test.zone"
"$C/dns.sh" reload "$T/dns" >/dev/null || fail "dns reload"
DB9="sqlite:$T/store9.db"
printf '2026-11-21~mail.example.test~sts~mail.example.test~-~-~1~0\n' | put "$DB9"
n0=$(mails)
send --db "$DB9" --dkim-selector emailonly --day $D --now $NOW >/dev/null 2>"$T/dk1.err"
rc=$?
sleep 0.2
last=$(ls "$SMTP_DIR_MAIL"/*.eml | sort | tail -n 1)
sel_of() { $PY -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print([t.split("=", 1)[1] for t in "".join(m["DKIM-Signature"].split()).split(";") if t.startswith("s=")][0])' "$1"; }
[ "$rc" = 0 ] && [ "$(mails)" = $((n0 + 1)) ] && [ "$(sel_of "$last")" = emailonly ] &&
	sed -n 's/^tlsrpt[a-z ]*: warning: //p' "$T/dk1.err" | grep -Fxq "dkim.record: emailonly._domainkey.example.test: s=email: receivers must ignore this key for TLS reports (RFC 6376 §3.6.1) -- fix: publish s=email:tlsrpt or drop s=" &&
	ok "s=email key: send warns with the checker's text and still delivers (exit 0)" ||
	fail "s=email warning" "rc=$rc, want 0; $(mails) mails, want $((n0 + 1)); signed with s=$(sel_of "$last")" \
		"$(cat "$T/dk1.err")"
# what the warning is about: a strict receiver (python3-dkim tlsrpt='strict') rejects the mail
DKIM_TLSRPT=strict bash "$C/dkim.sh" verify "$DNS_PORT" < "$last" > "$T/dk1.strict" 2>&1; r1=$?
bash "$C/dkim.sh" verify "$DNS_PORT" < "$last" > "$T/dk1.plain" 2>&1; r2=$?
[ "$r1" = 1 ] && [ "$r2" = 0 ] && ok "that mail fails DKIM at a strict TLSRPT receiver, passes as plain mail" ||
	fail "strict receiver and s=email" "strict: rc=$r1, want 1: $(cat "$T/dk1.strict")" "plain: rc=$r2, want 0: $(cat "$T/dk1.plain")"
"$TLSRPT" reportd $COMMON --db "$DB9" --dkim-selector emailonly --fake-clock $NOW --stop-at $NOW 2>"$T/dk-rd.err"
rc=$?
[ "$rc" = 0 ] && grep -Fq "tlsrpt reportd: warning: dkim.record: emailonly._domainkey.example.test: s=email: receivers must ignore" "$T/dk-rd.err" &&
	ok "reportd logs the same warning at start" || fail "reportd s=email warning" "rc=$rc, want 0" "$(cat "$T/dk-rd.err")"
# A lookup that fails (SERVFAIL) is only a notice; the mail goes out.
DB10="sqlite:$T/store10.db"
printf '2026-11-21~mail.example.test~sts~mail.example.test~-~-~1~0\n' | put "$DB10"
n0=$(mails)
send --db "$DB10" --dkim-domain servfail.example.test --day $D --now $NOW >/dev/null 2>"$T/dk2.err"
rc=$?
sleep 0.2
[ "$rc" = 0 ] && [ "$(mails)" = $((n0 + 1)) ] && ! grep -q 'warning: dkim' "$T/dk2.err" &&
	grep -q '^tlsrpt: notice: dkim.dns: lookup of the DKIM key sel._domainkey.servfail.example.test failed temporarily (servfail' "$T/dk2.err" &&
	ok "DKIM key lookup SERVFAIL: a notice, the mail is still delivered" ||
	fail "DKIM lookup failure" "rc=$rc, want 0; $(mails) mails, want $((n0 + 1))" "$(cat "$T/dk2.err")"

# ---- sendmail command and --dry-run ---------------------------------------
DB2="sqlite:$T/store2.db"
printf '2026-11-21~mail.example.test~sts~mail.example.test~-~-~1~1~starttls-not-supported~-~-~mx.example.test~-\n' | put "$DB2"
sql2() { sqlite3 "$T/store2.db" "$1"; }
"$TLSRPT" send --db "$DB2" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--dry-run "$T/dry" --day $D --now $NOW >/dev/null 2>"$T/dry0.err"
rc=$?
[ "$rc" = 3 ] && grep -q "$T/dry" "$T/dry0.err" && [ "$(sql2 "SELECT COUNT(*) FROM outbox_reports")" = 0 ] &&
	ok "--dry-run into a missing directory fails (exit 3), names it, stores nothing" ||
	fail "--dry-run missing dir" "rc=$rc, want 3" "$(cat "$T/dry0.err")"
mkdir -p "$T/dry"
"$TLSRPT" send --db "$DB2" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--dry-run "$T/dry" --day $D --now $NOW >"$T/dry.out" 2>"$T/dry.err"
rc=$?
[ "$rc" = 0 ] && [ -f "$T/dry/example.test!mail.example.test!$B!$E.json.gz" ] && ls "$T/dry"/*.eml >/dev/null 2>&1 &&
	ok "--dry-run writes the report and the mail" || fail "--dry-run" "rc=$rc" "$(ls "$T/dry")" "$(cat "$T/dry.err")"
[ "$(sql2 "SELECT COUNT(*) FROM outbox_reports")" = 0 ] && [ "$(sql2 "SELECT COUNT(*) FROM result_policies")" -gt 0 ] &&
	ok "--dry-run changes nothing in the store (no outbox row, results kept)" ||
	fail "--dry-run changed the store" "outbox: $(sql2 'SELECT report_id FROM outbox_reports')" \
		"results: $(sql2 'SELECT COUNT(*) FROM result_policies')"
# a dry run whose lookup fails (SERVFAIL) says so and exits 0: it ran
DB2S="sqlite:$T/store2s.db"
printf '2026-11-21~sf.servfail.example.test~sts~sf.servfail.example.test~-~-~1~0\n' | put "$DB2S"
mkdir -p "$T/drys"
"$TLSRPT" send --db "$DB2S" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--dry-run "$T/drys" --day $D --now $NOW >"$T/drys.out" 2>"$T/drys.err"
rc=$?
[ "$rc" = 0 ] && grep -q 'sf\.servfail\.example\.test.*(lookup failed: .*retries the lookup)' "$T/drys.out" &&
	grep -q '1 lookup deferred' "$T/drys.err" &&
	[ "$(sqlite3 "$T/store2s.db" "SELECT COUNT(*) FROM outbox_reports")" = 0 ] &&
	ok "--dry-run with a SERVFAIL lookup: says so, exit 0, queues nothing" ||
	fail "--dry-run SERVFAIL" "rc=$rc, want 0" "$(cat "$T/drys.out" "$T/drys.err")"
# --day of the UTC day not over: refused (exit 2) unless --force
"$TLSRPT" send --db "$DB2S" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--dry-run "$T/drys" --day $D --now $((B + 3600)) >/dev/null 2>"$T/today.err"
rc=$?
"$TLSRPT" send --db "$DB2S" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--dry-run "$T/drys" --day $D --force --now $((B + 3600)) >/dev/null 2>"$T/todayf.err"
rcf=$?
[ "$rc" = 2 ] && grep -q "^tlsrpt send: --day $D: the UTC day is not over yet; --force" "$T/today.err" &&
	[ "$rcf" = 0 ] && ok "--day of today refused (exit 2) unless --force" ||
	fail "--day today" "rc=$rc (want 2), with --force rc=$rcf (want 0)" "$(cat "$T/today.err" "$T/todayf.err")"
"$TLSRPT" send --db "$DB2" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--sendmail "cat > $T/sendmail.out" --day $D --now $NOW 2>"$T/sm.err"
rc=$?
[ "$rc" = 0 ] && grep -q '^TLS-Report-Domain: mail.example.test$' "$T/sendmail.out" 2>/dev/null &&
	! grep -q "$(printf '\r')" "$T/sendmail.out" && ok "sendmail command gets the mail with LF line ends" ||
	fail "sendmail" "rc=$rc, want 0" "$(cat "$T/sm.err")"

# ---- SMTPS with AUTH; HTTPS certificate verification (HTTP-07) ----------
DB3="sqlite:$T/store3.db"
printf '2026-11-21~mail.example.test~sts~mail.example.test~-~-~2~0\n2026-11-21~web.example.test~sts~web.example.test~-~-~2~0\n' | put "$DB3"
printf 'secret\n' > "$T/smtp.pw"
chmod 600 "$T/smtp.pw"   # a password file others may read is refused
n0=$(mails); p0=$(posts)
"$TLSRPT" send --db "$DB3" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--smtp "smtps://127.0.0.1:$SMTPS_PORT" --smtp-user sender --smtp-password-file "$T/smtp.pw" \
	--cacert "$HTTPS_CA" --day $D --now $NOW 2>"$T/auth.err" >/dev/null
rc=$?
sleep 0.2
last=$(ls "$SMTP_DIR_MAIL"/*.json | sort | tail -n 1)
[ "$rc" = 0 ] && [ "$(mails)" = $((n0 + 1)) ] && $PY -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(not (m["auth_user"] == "sender" and m["tls"]))' "$last" &&
	ok "mail submitted over SMTPS with AUTH" || fail "SMTPS AUTH" "rc=$rc, want 0" "$(cat "$T/auth.err")" "$(cat "$last")"
DB4="sqlite:$T/store4.db"
printf '2026-11-21~web.example.test~sts~web.example.test~-~-~2~0\n' | put "$DB4"
p0=$(posts)
"$TLSRPT" send --db "$DB4" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--day $D --now $NOW >/dev/null 2>"$T/v.err"
rc=$?
st4=$(sqlite3 "$T/store4.db" "SELECT d.state FROM outbox_deliveries d JOIN outbox_reports r USING (report_id) WHERE r.policy_domain='web.example.test'")
[ "$rc" = 1 ] && [ "$(posts)" = "$p0" ] && [ "$st4" = pending ] && grep -qi 'certificate' "$T/v.err" &&
	ok "HTTPS certificate is verified by default (test CA not given: not delivered, kept for retry, exit 1)" ||
	fail "HTTPS verify" "rc=$rc, want 1" "state=$st4" "$(cat "$T/v.err")"
"$TLSRPT" send --db "$DB4" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--https-insecure --now $((NOW + 600)) >/dev/null 2>"$T/v2.err"
rc=$?
sleep 0.2
st4=$(sqlite3 "$T/store4.db" "SELECT d.state FROM outbox_deliveries d JOIN outbox_reports r USING (report_id) WHERE r.policy_domain='web.example.test'")
[ "$rc" = 0 ] && [ "$(posts)" = $((p0 + 1)) ] && [ "$st4" = sent ] && ok "--https-insecure delivers to the unverified server" ||
	fail "--https-insecure" "rc=$rc, want 0" "state=$st4" "$(cat "$T/v2.err")"

# ---- any 2xx is success; a redirect is a failure (HTTP-03, HTTP-06) -------
DB5="sqlite:$T/store5.db"
printf '2026-11-21~s202.example.test~sts~s202.example.test~-~-~1~0\n2026-11-21~s204.example.test~sts~s204.example.test~-~-~1~0\n2026-11-21~redir.example.test~sts~redir.example.test~-~-~1~0\n' | put "$DB5"
"$TLSRPT" send --db "$DB5" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--cacert "$HTTPS_CA" --day $D --now $NOW >/dev/null 2>"$T/s5.err"
rc5=$?
st5() { sqlite3 "$T/store5.db" "SELECT d.state FROM outbox_deliveries d JOIN outbox_reports r USING (report_id) WHERE r.policy_domain='$1'"; }
# exit 1: the redirect waits for a retry
[ "$rc5" = 1 ] && [ "$(st5 s202.example.test)" = sent ] && [ "$(st5 s204.example.test)" = sent ] &&
	ok "HTTP 202 and 204 count as delivered" ||
	fail "2xx" "rc=$rc5, want 1" "$(st5 s202.example.test) $(st5 s204.example.test)" "$(cat "$T/s5.err")"
[ "$rc5" = 1 ] && [ "$(st5 redir.example.test)" = pending ] && grep -q 'redirects are not followed' "$T/s5.err" &&
	ok "HTTP 301 is not followed and is retried (exit 1)" ||
	fail "redirect" "rc=$rc5, want 1" "$(st5 redir.example.test)" "$(cat "$T/s5.err")"

# ---- the MX host's report leaves out what already went to the same rua ---
DB6="sqlite:$T/store6.db"
printf '2026-11-21~samerua.example.test~tlsa~mx.hoster.example.test~3 1 1 AA~-~2~0\n2026-11-21~web.example.test~tlsa~mx.hoster.example.test~3 1 1 AA~-~5~0\n' | put "$DB6"
"$TLSRPT" send --db "$DB6" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
	--no-deliver --day $D --now $NOW >/dev/null 2>"$T/s6.err"
rc=$?
host_json=$(sqlite3 "$T/store6.db" "SELECT json FROM outbox_reports WHERE policy_domain='mx.hoster.example.test'")
case $rc:$host_json in
0:*'"total-successful-session-count":5'*) ok "MX host report counts only sessions not already reported to the same rua" ;;
*) fail "same-rua dedup" "rc=$rc, want 0" "$host_json" "$(cat "$T/s6.err")" ;;
esac

# ---- --no-only-failures over report_only_failures = yes -------------------
# A day of successes only, generated with --dry-run (which keeps the results,
# so every run sees the same day): skipped, or written with its mail.
DB8="sqlite:$T/store8.db"
printf '2026-11-21~mail.example.test~sts~mail.example.test~-~-~3~0\n' | put "$DB8"
printf 'report_only_failures = yes\n' > "$T/of.conf"
# of_run NAME ARGS…: prints "rc=R, N all-success skipped, F files written"
of_run() {
	n=$1; shift
	mkdir -p "$T/of-$n"
	"$TLSRPT" send --db "$DB8" --resolver 127.0.0.1@$DNS_PORT --submitter example.test \
		--dry-run "$T/of-$n" --day $D --now $NOW -v "$@" >/dev/null 2>"$T/of-$n.err"
	echo "rc=$?, $(stats "$T/of-$n.err" | grep -o '[0-9]* all-success skipped'), $(ls "$T/of-$n" | wc -l) files written"
}
skipped="rc=0, 1 all-success skipped, 0 files written"
written="rc=0, 0 all-success skipped, 2 files written"
# of_expect DESC WANT NAME ARGS…
of_expect() {
	d=$1; want=$2; shift 2
	got=$(of_run "$@")
	[ "$got" = "$want" ] && ok "$d" || fail "$d" "want: $want" "got:  $got" "$(cat "$T/of-$1.err")"
}
of_expect "report_only_failures = yes: the all-success day is skipped" "$skipped" file --config "$T/of.conf"
of_expect "--no-only-failures overrides report_only_failures = yes" "$written" no --config "$T/of.conf" --no-only-failures
of_expect "--only-failures --no-only-failures: the last wins, written" "$written" on-no \
	--config "$T/of.conf" --only-failures --no-only-failures
of_expect "--no-only-failures --only-failures: the last wins, skipped" "$skipped" no-on \
	--config "$T/of.conf" --no-only-failures --only-failures
of_expect "without report_only_failures: written" "$written" none --config /dev/null
export TLSRPT_REPORT_ONLY_FAILURES=yes
of_expect "TLSRPT_REPORT_ONLY_FAILURES=yes: skipped" "$skipped" env --config /dev/null
of_expect "--no-only-failures overrides TLSRPT_REPORT_ONLY_FAILURES=yes" "$written" env-no \
	--config /dev/null --no-only-failures
unset TLSRPT_REPORT_ONLY_FAILURES

# ---- --no-smtp-require-tls over report_smtp_require_tls = yes -------------
# A sink without STARTTLS: with TLS required the mail waits for a retry
# (exit 1), else it is sent in the clear.  One new store per run.
if SMTP_NO_STARTTLS=1 "$C/smtp-sink.sh" start "$T/plain-sink" >/dev/null 2>"$T/plain-sink.err"; then
	PLAIN_PORT=$(sed -n 's/^SMTP_PORT=//p' "$T/plain-sink/env")
	plain_mails() { ls "$T/plain-sink/mail"/*.eml 2>/dev/null | wc -l; }
	printf 'report_smtp_require_tls = yes\n' > "$T/rt.conf"
	# rt_run NAME ARGS…: prints "rc=R, deliveries: …, N mails"
	rt_run() {
		n=$1; shift
		printf '2026-11-21~mail.example.test~sts~mail.example.test~-~-~2~0\n' | put "sqlite:$T/rt-$n.db"
		m0=$(plain_mails)
		"$TLSRPT" send --db "sqlite:$T/rt-$n.db" --resolver 127.0.0.1@$DNS_PORT \
			--submitter example.test --smtp "smtp://127.0.0.1:$PLAIN_PORT" \
			--day $D --now $NOW -v "$@" >/dev/null 2>"$T/rt-$n.err"
		echo "rc=$?, $(stats "$T/rt-$n.err" | grep -o 'deliveries: .*'), $(( $(plain_mails) - m0 )) mails"
	}
	held="rc=1, deliveries: 0 sent, 1 to retry, 0 failed, 0 mails"
	sent="rc=0, deliveries: 1 sent, 0 to retry, 0 failed, 1 mails"
	rt_expect() {
		d=$1; want=$2; shift 2
		got=$(rt_run "$@")
		[ "$got" = "$want" ] && ok "$d" || fail "$d" "want: $want" "got:  $got" "$(cat "$T/rt-$1.err")"
	}
	rt_expect "report_smtp_require_tls = yes: no STARTTLS, held for a retry (exit 1)" "$held" \
		file --config "$T/rt.conf"
	rt_expect "--no-smtp-require-tls overrides report_smtp_require_tls = yes: sent" "$sent" \
		no --config "$T/rt.conf" --no-smtp-require-tls
	grep -q '"tls": false' "$(ls "$T/plain-sink/mail"/*.json | tail -n 1)" &&
		ok "--no-smtp-require-tls: the report went without TLS" ||
		fail "plain sink envelope" "$(cat "$(ls "$T/plain-sink/mail"/*.json | tail -n 1)")"
	rt_expect "--smtp-require-tls --no-smtp-require-tls: the last wins, sent" "$sent" \
		on-no --config "$T/rt.conf" --smtp-require-tls --no-smtp-require-tls
	rt_expect "--no-smtp-require-tls --smtp-require-tls: the last wins, held" "$held" \
		no-on --config "$T/rt.conf" --no-smtp-require-tls --smtp-require-tls
	rt_expect "without report_smtp_require_tls: sent" "$sent" none --config /dev/null
	export TLSRPT_REPORT_SMTP_REQUIRE_TLS=yes
	rt_expect "TLSRPT_REPORT_SMTP_REQUIRE_TLS=yes: held" "$held" env --config /dev/null
	rt_expect "--no-smtp-require-tls overrides TLSRPT_REPORT_SMTP_REQUIRE_TLS=yes" "$sent" \
		env-no --config /dev/null --no-smtp-require-tls
	unset TLSRPT_REPORT_SMTP_REQUIRE_TLS
else
	fail "smtp sink without STARTTLS starts" "$(cat "$T/plain-sink.err")"
fi

# ---- no SMTP password in clear -------------------------------------------
# A careless relay: no STARTTLS, AUTH offered in clear.  With --smtp-user the
# report is held before AUTH (the sink logs no AUTH), unless the operator
# allows it: --smtp-auth-plaintext or report_smtp_auth_plaintext = yes (and
# --no-smtp-auth-plaintext overrides that).
if SMTP_NO_STARTTLS=1 SMTP_AUTH_PLAINTEXT=1 "$C/smtp-sink.sh" start "$T/auth-sink" >/dev/null 2>"$T/auth-sink.err"; then
	AUTH_PORT=$(sed -n 's/^SMTP_PORT=//p' "$T/auth-sink/env")
	auth_mails() { ls "$T/auth-sink/mail"/*.eml 2>/dev/null | wc -l; }
	auths() { grep -c '^AUTH sender tls=no$' "$T/auth-sink/mail/auth.log" 2>/dev/null || true; }
	printf 'report_smtp_auth_plaintext = yes\n' > "$T/ap.conf"
	# ap_run NAME ARGS…: prints "rc=R, deliveries: …, N mails, N clear AUTH"
	ap_run() {
		n=$1; shift
		printf '2026-11-21~mail.example.test~sts~mail.example.test~-~-~2~0\n' | put "sqlite:$T/ap-$n.db"
		m0=$(auth_mails) a0=$(auths)
		"$TLSRPT" send --db "sqlite:$T/ap-$n.db" --resolver 127.0.0.1@$DNS_PORT \
			--submitter example.test --smtp "smtp://127.0.0.1:$AUTH_PORT" \
			--smtp-user sender --smtp-password-file "$T/smtp.pw" \
			--day $D --now $NOW -v "$@" >/dev/null 2>"$T/ap-$n.err"
		echo "rc=$?, $(stats "$T/ap-$n.err" | grep -o 'deliveries: .*'), $(( $(auth_mails) - m0 )) mails, $(( $(auths) - a0 )) clear AUTH"
	}
	ap_expect() {
		d=$1; want=$2; shift 2
		got=$(ap_run "$@")
		[ "$got" = "$want" ] && ok "$d" || fail "$d" "want: $want" "got:  $got" "$(cat "$T/ap-$1.err")"
	}
	held="rc=1, deliveries: 0 sent, 1 to retry, 0 failed, 0 mails, 0 clear AUTH"
	sent="rc=0, deliveries: 1 sent, 0 to retry, 0 failed, 1 mails, 1 clear AUTH"
	ap_expect "--smtp-user to a relay without STARTTLS: held before AUTH (exit 1)" "$held" \
		none --config /dev/null
	grep -q 'offers no STARTTLS: refusing to send the AUTH password for sender in clear' \
		"$T/ap-none.err" && ok "the error says the password would go in clear" ||
		fail "clear-AUTH error message" "$(cat "$T/ap-none.err")"
	ap_expect "--smtp-auth-plaintext: sent, AUTH in clear" "$sent" flag --config /dev/null \
		--smtp-auth-plaintext
	ap_expect "report_smtp_auth_plaintext = yes: sent" "$sent" file --config "$T/ap.conf"
	ap_expect "--no-smtp-auth-plaintext overrides the file: held" "$held" file-no \
		--config "$T/ap.conf" --no-smtp-auth-plaintext
	"$C/smtp-sink.sh" stop "$T/auth-sink" >/dev/null 2>&1
else
	fail "smtp sink with AUTH in clear starts" "$(cat "$T/auth-sink.err")"
fi

# ---- end to end: datagrams → tlsrpt collectd → tlsrpt send → mail --------
if "$TLSRPT" collectd --help >/dev/null 2>&1; then
	DB7="sqlite:$T/store7.db"
	"$TLSRPT" collectd --socket "$T/collectd.sock" --db "$DB7" --foreground --stats-secs 0 \
		>"$T/collectd.log" 2>&1 &
	cpid=$!
	i=0; while [ ! -S "$T/collectd.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	$PY - "$T/collectd.sock" 2>"$T/dgram.err" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
pol = b'"policy-type":2,"policy-domain":"mail.example.test","policy-string":["version: STSv1","mode: enforce"],"mx-host":["mx.example.test"]'
fail = b'{"dpv":"1","d":"mail.example.test","policies":[{' + pol + b',"failure-details":[{"c":204,"s":"192.0.2.25","n":"mx.example.test","r":"198.51.100.10"}],"t":1,"f":1}]}'
good = b'{"dpv":"1","d":"mail.example.test","policies":[{' + pol + b',"t":0,"f":0}]}'
for d in (fail, fail, fail, good):
    s.sendto(d, sys.argv[1])
PYEOF
	prc=$?
	sleep 0.3
	kill -TERM $cpid; wait $cpid
	crc=$?
	today=$(date -u +%F); n0=$(mails)
	send --db "$DB7" --day "$today" --force --now "$(date +%s)" >/dev/null 2>"$T/e2e.err"
	rc=$?
	sleep 0.2
	last=$(ls "$SMTP_DIR_MAIL"/*.eml | sort | tail -n 1)
	if [ "$prc" = 0 ] && [ "$crc" = 0 ] && [ "$rc" = 0 ] && [ "$(mails)" = $((n0 + 1)) ] && $PY - "$last" <<'PYEOF'
import sys, email, gzip, json
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
r = json.loads(gzip.decompress(m.get_payload()[1].get_payload(decode=True)))
p = r["policies"][0]
assert p["summary"] == {"total-successful-session-count": 1, "total-failure-session-count": 3}, p
assert p["failure-details"][0]["result-type"] == "certificate-expired", p
assert p["failure-details"][0]["failed-session-count"] == 3, p
PYEOF
	then ok "end to end: 4 datagrams through tlsrpt collectd become one mailed report with 1 success and 3 failures"
	else fail "collectd → send" "datagrams sent: rc=$prc, collectd: rc=$crc, send: rc=$rc; want 0, 0, 0" \
		"$(cat "$T/dgram.err")" "$(cat "$T/e2e.err")" "$(cat "$T/collectd.log")"; fi
else
	fail "tlsrpt collectd --help fails: end-to-end collectd → send not run"
fi

# ---- a delivery interrupted while sending (kill -9 mid-attempt) ----------
# Made by hand: a sent mail delivery put back to "sending" with its lease
# (next_try) long over.  A run warns and leaves it; --retry-interrupted
# sends it again.
iid=$(sql "SELECT id FROM outbox_deliveries WHERE state = 'sent' AND destination LIKE 'mailto:%' ORDER BY id LIMIT 1")
sql "UPDATE outbox_deliveries SET state = 'sending', next_try = $NOW WHERE id = $iid"
m0=$(mails)
send --now $((NOW + 90100)) -v >/dev/null 2>"$T/intr1.err"
rc=$?
sleep 0.2
[ -n "$iid" ] && [ "$rc" = 0 ] && grep -q 'warning: 1 deliveries were interrupted while sending' "$T/intr1.err" &&
	[ "$(sql "SELECT state FROM outbox_deliveries WHERE id = $iid")" = sending ] && [ "$(mails)" = "$m0" ] &&
	ok "an interrupted delivery is reported, not resent (exit 0)" ||
	fail "interrupted: warned" "id=$iid rc=$rc, want 0; mails $(mails), before $m0" "$(cat "$T/intr1.err")"
send --now $((NOW + 90200)) --retry-interrupted -v >/dev/null 2>"$T/intr2.err"
rc=$?
sleep 0.2
[ "$rc" = 0 ] && stats "$T/intr2.err" | grep -q 'deliveries: 1 sent, 0 to retry, 0 failed$' &&
	[ "$(sql "SELECT state FROM outbox_deliveries WHERE id = $iid")" = sent ] && [ "$(mails)" = $((m0 + 1)) ] &&
	ok "send --retry-interrupted delivers it again (exit 0)" ||
	fail "interrupted: retried" "rc=$rc, want 0; mails $(mails), before $m0" "$(cat "$T/intr2.err")"

# reportd restarted within the hour after a crash: at its first pass the
# lease has not run out yet; it must still warn once it has (a later pass),
# and only once.  A retry due 20 minutes in wakes it after the lease.
F=$((NOW + 90300))
jid=$(sql "SELECT id FROM outbox_deliveries WHERE state = 'sent' AND destination LIKE 'mailto:%' AND id <> $iid ORDER BY id LIMIT 1")
sql "UPDATE outbox_deliveries SET state = 'sending', next_try = $((F + 600)) WHERE id = $iid"
sql "UPDATE outbox_deliveries SET state = 'pending', next_try = $((F + 1200)) WHERE id = $jid"
# shellcheck disable=SC2086
"$TLSRPT" reportd $COMMON -v --jitter 0 --fake-clock $F --stop-at $((F + 1800)) 2>"$T/intr3.err"
rc=$?
[ -n "$jid" ] && [ "$rc" = 0 ] && no_errors "$T/intr3.err" &&
	[ "$(grep -c 'warning: 1 deliveries were interrupted while sending' "$T/intr3.err")" = 1 ] &&
	[ "$(sql "SELECT state FROM outbox_deliveries WHERE id = $jid")" = sent ] &&
	[ "$(sql "SELECT state FROM outbox_deliveries WHERE id = $iid")" = sending ] &&
	ok "reportd warns once about a delivery whose lease runs out after its start (exit 0)" ||
	fail "interrupted: reportd" "ids $iid $jid rc=$rc, want 0" "$(cat "$T/intr3.err")"

# ---- SMTP 5xx to MAIL FROM: a permanent failure, but not the rua address's
# (the sink refuses MAIL FROM:<reject*@…> with 550, as a relay refusing our
# sender would): the delivery fails for good, the address is not suppressed,
# and the next report goes to it.  (5xx to RCPT TO suppresses: see above.)
MF=mailto:mfrom@example.test
printf '2026-11-17~mfrom.example.test~sts~mfrom.example.test~-~-~1~0\n2026-11-16~mfrom.example.test~sts~mfrom.example.test~-~-~1~0\n' | put "$DB"
m0=$(mails)
send --day 2026-11-17 --now $((NOW + 90400)) --from reject-sender@example.test -v >/dev/null 2>"$T/mf1.err"
rc=$?
"$TLSRPT" send --db "$DB" --now $((NOW + 90400)) --list-suppressed > "$T/mf-ls.out"
[ "$rc" = 1 ] && [ "$(stq 20261117.mfrom.)" = failed ] && [ "$(mails)" = "$m0" ] &&
	grep -q "delivery to $MF failed (given up): .*MAIL failed: 550 (permanent: refused, though not the recipient)" "$T/mf1.err" &&
	! grep -q 'refused a report for good' "$T/mf1.err" && ! grep -q "^$MF" "$T/mf-ls.out" &&
	ok "SMTP 550 to MAIL FROM: the delivery fails for good, the rua address is not suppressed (exit 1)" ||
	fail "550 to MAIL FROM" "rc=$rc, want 1; state $(stq 20261117.mfrom.)" "$(cat "$T/mf1.err")" "$(cat "$T/mf-ls.out")"
send --day 2026-11-16 --now $((NOW + 90400)) -v >/dev/null 2>"$T/mf2.err"
rc=$?
sleep 0.2
[ "$rc" = 0 ] && [ "$(stq 20261116.mfrom.)" = sent ] && [ "$(mails)" = $((m0 + 1)) ] &&
	ok "after a 550 to MAIL FROM the next report is delivered to the same address (exit 0)" ||
	fail "after 550 to MAIL FROM" "rc=$rc, want 0; state $(stq 20261116.mfrom.)" "$(cat "$T/mf2.err")"

tap_done
