#!/bin/sh
# One store, three views, the same figures: the corpus (tests/corpus) and
# a few crafted reports are stored in one SQLite store, then
# `tlsrpt summary --json`, the JSON API of `tlsrpt serve` (/api/summary,
# /api/failures) and /metrics must agree on reports, successful and failed
# sessions in total, per policy domain, per organization, per day and per
# failure type (figures_compare.py), with and without a since/until and a
# domain filter, and without any (the same default period).  The crafted
# reports are where the views used to differ:
# a policy domain in mixed case and with a trailing dot, a report whose
# date range spans two UTC days, one starting the day before the window
# but overlapping it, one starting on the last day of the window and
# ending after it, one after the window, a report naming two domains and
# one domain twice (sts and tlsa), and policies without policy-domain
# (alone, and next to another domain's): `--domain -` and `domain=-` must
# count only those, while an empty domain filter counts every domain.
. "$(dirname "$0")/tap.sh"
command -v curl >/dev/null || { echo "ok 1 # SKIP curl not installed"; exit 0; }
py=/usr/bin/python3
cmp_py=$TLSRPT_SRC/tests/integration/figures_compare.py
dir=$(mktemp -d /tmp/tlsrpt-figures.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
db=sqlite:$dir/db.sqlite
export TLSRPT_CONFIG=/dev/null
unset TLSRPT_DB TLSRPT_DATABASE_URL

# report ID ORG START END POLICIES-JSON: writes $dir/crafted-ID.json
report() {
	cat > "$dir/crafted-$1.json" <<EOF
{"organization-name": "$2", "date-range": {"start-datetime": "$3", "end-datetime": "$4"},
 "contact-info": "tlsrpt@figures.test", "report-id": "figures-$1", "policies": [$5]}
EOF
}
# policy TYPE DOMAIN OK FAILED [RESULT-TYPE MX]: prints one policies[] item
policy() {
	dom=""
	[ -n "$2" ] && dom=", \"policy-domain\": \"$2\""
	fd=""
	[ -n "${5:-}" ] && fd=", \"failure-details\": [{\"result-type\": \"$5\", \"receiving-mx-hostname\": \"$6\", \"failed-session-count\": $4}]"
	printf '{"policy": {"policy-type": "%s"%s}, "summary": {"total-successful-session-count": %s, "total-failure-session-count": %s}%s}' \
		"$1" "$dom" "$3" "$4" "$fd"
}
report 1 "Crafted Org" 2030-03-01T00:00:00Z 2030-03-01T23:59:59Z \
	"$(policy sts Figures.EXAMPLE 10 2 certificate-expired mx.figures.example)"
# spans 2030-03-02 and 03-03: counts on 03-02 only; two domains, one twice
report 2 "crafted org" 2030-03-02T12:00:00Z 2030-03-03T12:00:00Z \
	"$(policy sts figures.example. 20 0), $(policy tlsa FIGURES.example 5 1 starttls-not-supported mx.figures.example), $(policy sts other.figures.example 7 3 validation-failure mx.other.figures.example)"
# starts the day before the window, overlaps its first day
report 3 "Crafted Org" 2030-02-28T00:00:00Z 2030-03-01T12:00:00Z \
	"$(policy sts figures.example 100 50 sts-policy-invalid mx.figures.example)"
# starts on the window's last day, ends after it
report 4 "Crafted Org" 2030-03-03T23:00:00Z 2030-03-04T23:00:00Z "$(policy sts figures.example 1 0)"
# after the window
report 5 "Crafted Org" 2030-03-04T00:00:00Z 2030-03-04T23:59:59Z "$(policy sts figures.example 1000 0)"
# no policy-domain
report 6 "Crafted Org" 2030-03-02T00:00:00Z 2030-03-02T23:59:59Z "$(policy no-policy-found "" 4 0)"
# after the window: no policy-domain with a failure, next to another domain
report 7 "Crafted Org" 2030-03-05T00:00:00Z 2030-03-05T23:59:59Z \
	"$(policy sts "" 6 2 certificate-expired mx.none.figures.example), $(policy sts seven.figures.example 9 1 validation-failure mx.seven.figures.example)"

files=$(cd "$TLSRPT_SRC" && find tests/corpus -type f \( -name '*.json' -o -name '*.json.gz' \
	-o -name '*.eml' -o -name '*.zip' \) | sort)
(cd "$TLSRPT_SRC" && "$TLSRPT" parse -v --db "$db" $files) > "$dir/parse.out" 2>&1
rc=$?
n=$(grep -c '^stored ' "$dir/parse.out")
# the corpus holds negative samples (exit 1: some input skipped)
if [ "$rc" -le 1 ] && [ "$n" -ge 30 ]; then ok "the corpus is stored ($n reports)"
else fail "storing the corpus (exit $rc, $n stored)" "$(tail -n 5 "$dir/parse.out")"; fi
"$TLSRPT" parse -v --db "$db" "$dir"/crafted-*.json > "$dir/parse2.out" 2>&1
rc=$?
n=$(grep -c '^stored ' "$dir/parse2.out")
if [ "$rc" = 0 ] && [ "$n" = 7 ]; then ok "the 7 crafted reports are stored"
else fail "storing the crafted reports (exit $rc, $n stored)" "$(cat "$dir/parse2.out")"; fi

port=""
"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth --db "$db" \
	> "$dir/serve.out" 2> "$dir/serve.err" &
pid=$!
for _ in $(seq 1 100); do
	port=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
if [ -z "$port" ]; then fail "serve starts" "$(cat "$dir/serve.err")"; tap_done; exit; fi
ok "serve starts ($port)"
base=http://127.0.0.1:$port

# get PATH OUT: fetches base/PATH into OUT; fails the test unless 200
get() {
	code=$(curl -s -o "$2" -w '%{http_code}' "$base/$1")
	[ "$code" = 200 ] || { fail "GET /$1 → 200" "got $code: $(head -c 300 "$2")"; return 1; }
}

# agree NAME SUMMARY-ARGS API-QUERY [compare options…]: one comparison
agree() {
	name=$1 sargs=$2 query=$3
	shift 3
	# shellcheck disable=SC2086  # sargs is a list of options
	if ! "$TLSRPT" summary --json --db "$db" $sargs > "$dir/s.json" 2> "$dir/s.err"; then
		fail "$name: tlsrpt summary $sargs" "$(cat "$dir/s.err")"
		return
	fi
	get "api/summary?$query" "$dir/a.json" || return
	get "api/failures?$query" "$dir/f.json" || return
	if out=$($py "$cmp_py" --summary "$dir/s.json" --api "$dir/a.json" \
		--failures "$dir/f.json" "$@" 2>&1); then
		ok "$name: summary --json, /api/summary and /api/failures${metrics:+ and /metrics} agree"
	else
		fail "$name: the views differ" "$out"
	fi
}

get metrics "$dir/metrics.txt"
metrics=1
agree "all time" "--since 1970-01-01" "" --metrics "$dir/metrics.txt" --expect '{
	"domain": {"figures.example": [5, 1136, 53], "other.figures.example": [1, 7, 3]},
	"domain_org": {"figures.example|Crafted Org": [1111, 52],
	               "figures.example|crafted org": [25, 1]},
	"failure_type": {"figures.example|certificate-expired": 2,
	                 "figures.example|sts-policy-invalid": 50}}'
metrics=""
# no period given: summary and the API default to the same period (every
# stored report; tlsrpt-summary(1), tlsrpt-serve(1))
agree "no since/until: the same default period" "" "" --expect '{
	"domain": {"figures.example": [5, 1136, 53], "other.figures.example": [1, 7, 3]}}'
# 2030-03-01 to 03-03 (until includes that day): reports 1, 2, 4 and 6
window='"total": [4, 47, 6],
	"domain": {"figures.example": [3, 36, 3], "other.figures.example": [1, 7, 3], "": [1, 4, 0]},
	"day": {"2030-03-01": [10, 2], "2030-03-02": [36, 4], "2030-03-03": [1, 0]}'
agree "since/until" "--since 2030-03-01 --until 2030-03-03" "since=2030-03-01&until=2030-03-03" \
	--expect "{$window}"
agree "since/until as date-times" "--since 2030-03-01T00:00:00Z --until 2030-03-04T00:00:00Z" \
	"since=2030-03-01T00:00:00Z&until=2030-03-04T00:00:00Z" --expect "{$window}"
# the one date syntax (model/when.h): an offset, Unix seconds, N days ago
agree "since with an offset, until in Unix seconds" \
	"--since 2030-03-01T02:00:00+02:00 --until 1898812800" \
	"since=2030-03-01T02:00:00%2B02:00&until=1898812800" --expect "{$window}"
agree "since=0d (from now on: the crafted reports of 2030)" "--since 0d" "since=0d" \
	--expect '{"domain": {"figures.example": [5, 1136, 53], "other.figures.example": [1, 7, 3]}}'
agree "domain filter (any case, trailing dot)" "--since 1970-01-01 --domain FIGURES.Example." \
	"domain=FIGURES.Example." --one-domain --expect '{"total": [5, 1136, 53],
	"day": {"2030-02-28": [100, 50], "2030-03-01": [10, 2], "2030-03-02": [25, 1],
	        "2030-03-03": [1, 0], "2030-03-04": [1000, 0]}}'
agree "domain and since/until" "--since 2030-03-01 --until 2030-03-03 --domain figures.example" \
	"since=2030-03-01&until=2030-03-03&domain=figures.example" --one-domain --expect '{
	"total": [3, 36, 3], "org_reports": {"Crafted Org": 2, "crafted org": 1},
	"day_reports": {"2030-03-01": 1, "2030-03-02": 1, "2030-03-03": 1},
	"failure_type": {"figures.example|certificate-expired": 2,
	                 "figures.example|starttls-not-supported": 1}}'
agree "a window of one day" "--since 2030-03-02 --until 2030-03-02" \
	"since=2030-03-02&until=2030-03-02" --expect '{"total": [2, 36, 4],
	"domain": {"figures.example": [1, 25, 1], "other.figures.example": [1, 7, 3], "": [1, 4, 0]}}'
# "-": only the policies without policy-domain (reports 6 and 7; not report
# 7's other policy; from 2030 on, as the corpus has such policies too)
agree "no policy domain (domain=-)" "--since 2030-01-01 --domain -" "since=2030-01-01&domain=-" \
	--one-domain \
	--expect '{"total": [2, 10, 2], "domain": {"": [2, 10, 2]},
	"day": {"2030-03-02": [4, 0], "2030-03-05": [6, 2]}, "org_reports": {"Crafted Org": 2},
	"failure_type": {"|certificate-expired": 2}}'
# the dashboard's tables: every policy and failure row is a domain-less one
check "domain=-: /api/summary policies and /api/failures rows are only the domain-less ones" \
	$py -c '
import json, sys
s, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert s["query"].get("domain") == "-", s["query"]
assert sorted((p["domain"], p["policy_type"], p["success"], p["failure"]) for p in s["policies"]) == \
	[("", "no-policy-found", 4, 0), ("", "sts", 6, 2)], s["policies"]
assert [(x["domain"], x["mx"], x["count"]) for x in f["failures"]] == \
	[("", "mx.none.figures.example", 2)], f["failures"]
assert [o["organization"] for o in s["organizations"]] == ["Crafted Org"], s["organizations"]' \
	"$dir/a.json" "$dir/f.json"
if get "api/reports?since=2030-01-01&domain=-" "$dir/r.json" && $py -c '
import json, sys
r = json.load(open(sys.argv[1]))
ids = sorted(x["report_id"] for x in r["reports"])
assert ids == ["figures-6", "figures-7"], ids' "$dir/r.json" 2> "$dir/r.err"; then
	ok "domain=-: /api/reports lists exactly the reports with a domain-less policy"
else fail "domain=-: /api/reports" "$(cat "$dir/r.err")"; fi
agree "no policy domain in a window" "--since 2030-03-01 --until 2030-03-03 --domain -" \
	"since=2030-03-01&until=2030-03-03&domain=-" --one-domain \
	--expect '{"total": [1, 4, 0], "domain": {"": [1, 4, 0]}, "day": {"2030-03-02": [4, 0]}}'
# an empty domain is no filter: every domain, the domain-less ones too
agree "an empty domain filter (domain=) is all" "--since 2030-01-01 --domain=" \
	"since=2030-01-01&domain=" \
	--expect '{"domain": {"figures.example": [5, 1136, 53], "": [2, 10, 2],
	"seven.figures.example": [1, 9, 1], "other.figures.example": [1, 7, 3]}}'

kill "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" = 0 ] && ok "serve stops with status 0" || fail "serve exit status" "$rc"
tap_done
