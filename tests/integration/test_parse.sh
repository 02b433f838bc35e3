#!/bin/sh
# tlsrpt parse / summary over the whole corpus, end to end, on a fresh
# SQLite store: every report file is stored, a second pass finds only
# duplicates, the summary names the corpus domains, and the negative
# sample (a cron mail) is refused with a clear message and exit 1.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
dir=$(mktemp -d /tmp/tlsrpt-parse-test.XXXXXX)
trap 'rm -rf "$dir"' EXIT
db="sqlite:$dir/t.db"
neg=tests/corpus/kravietz+tlsrpt-rs/empty.eml
files=$(find tests/corpus -type f ! -name '*.md' ! -name '*.tsv' ! -path "$neg" | sort)
nfiles=$(echo "$files" | wc -l)

# shellcheck disable=SC2086
"$TLSRPT" parse -v --db "$db" $files > "$dir/out1" 2>&1
rc=$?
stored=$(grep -c '^stored ' "$dir/out1")
dups=$(grep -c '^duplicate ' "$dir/out1")
if [ "$rc" = 0 ]; then ok "parse of $nfiles corpus files exits 0"
else fail "parse of corpus files exits $rc" "$(grep -v '^stored\|^duplicate\|warning\|note' "$dir/out1" | head -5)"; fi
# every file holds at least one report (ingest may find several in one)
if [ $((stored + dups)) -ge "$nfiles" ] && [ "$stored" -gt 0 ]; then
	ok "$stored reports stored, $dups duplicates within the corpus"
else fail "reports counted: stored=$stored duplicates=$dups files=$nfiles"; fi

# shellcheck disable=SC2086
"$TLSRPT" parse -v --db "$db" $files > "$dir/out2" 2>&1
again=$(grep -c '^stored ' "$dir/out2")
dups2=$(grep -c '^duplicate ' "$dir/out2")
if [ "$again" = 0 ] && [ "$dups2" = $((stored + dups)) ]; then ok "second pass: all $dups2 duplicates"
else fail "second pass stored $again, duplicates $dups2 (want 0, $((stored + dups)))"; fi

"$TLSRPT" summary --db "$db" --since 2000-01-01 --json > "$dir/sum.json" 2>"$dir/sum.err"
missing=""
for d in company-y.example example.com karlsen.fr test.xmox.nl; do
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if sys.argv[2] in [x["domain"] for x in d["domains"]] else 1)' \
		"$dir/sum.json" "$d" || missing="$missing $d"
done
if [ -z "$missing" ]; then ok "summary --json names the corpus domains"
else fail "summary --json lacks:$missing" "$(head -c 300 "$dir/sum.json")" "$(cat "$dir/sum.err")"; fi

# the RFC 8460 example report: 5326 ok, 303 failed, its top failure explained
/usr/bin/python3 - "$dir/sum.json" <<'PY' > "$dir/check" 2>&1
import json, sys
d = {x["domain"]: x for x in json.load(open(sys.argv[1]))["domains"]}["company-y.example"]
assert d["successful_sessions"] == 5326 and d["failed_sessions"] == 303, d
f = d["failures"][0]
assert f["result_type"] == "starttls-not-supported" and f["failed_sessions"] == 200, f
assert f["explanation"] and "STARTTLS" in f["fix"], f
PY
if [ $? = 0 ]; then ok "summary sums the RFC example report and explains its top failure"
else fail "summary of company-y.example" "$(cat "$dir/check")"; fi

"$TLSRPT" summary --db "$db" --since 2016-04-01 --until 2016-04-01 --csv > "$dir/sum.csv"
if head -n 1 "$dir/sum.csv" | grep -q '^record,domain,date,' &&
   grep -q '^sessions,company-y.example,2016-04-01,,5326,303,' "$dir/sum.csv"; then
	ok "summary --csv has the header and the day row"
else fail "summary --csv" "$(head -n 3 "$dir/sum.csv")"; fi

"$TLSRPT" parse --db "$db" "$neg" > "$dir/neg" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "^$neg: no report found: " "$dir/neg"; then
	ok "negative sample: exit 1 with \"FILE: no report found: why\""
else fail "negative sample: exit $rc" "$(cat "$dir/neg")"; fi

# bad input among good input: the good one is still stored
good=tests/corpus/mjl-+mox/microsoft.eml
"$TLSRPT" parse -v --db "sqlite:$dir/mixed.db" "$neg" "$good" > "$dir/mixed" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q '^stored ' "$dir/mixed"; then ok "bad input is skipped, the rest is stored"
else fail "mixed input: exit $rc" "$(cat "$dir/mixed")"; fi

printf '{"organization-name":"x"' | "$TLSRPT" parse -n > "$dir/trunc" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q '^<stdin>: ' "$dir/trunc"; then ok "truncated JSON on stdin: exit 1, named <stdin>"
else fail "truncated JSON: exit $rc" "$(cat "$dir/trunc")"; fi

"$TLSRPT" parse --db "sqlite:$dir/nodir/x/y.db" "$good" > "$dir/nostore" 2>&1
rc=$?
if [ "$rc" = 3 ] && grep -q 'tlsrpt: store: ' "$dir/nostore"; then ok "unusable store: exit 3"
else fail "unusable store: exit $rc" "$(cat "$dir/nostore")"; fi

# --mta (an MTA alias pipe): the store failing exits 75 (EX_TEMPFAIL: the MTA
# retries), with the reason on stderr; a mail holding no report exits 0 (not
# bounced); a report is stored as without it
"$TLSRPT" parse --mta --db "sqlite:$dir/nodir/x/y.db" < "$good" > "$dir/mta-nostore" 2>&1
rc=$?
if [ "$rc" = 75 ] && grep -q 'tlsrpt: store: ' "$dir/mta-nostore"; then ok "--mta: unusable store: exit 75 (EX_TEMPFAIL), reason on stderr"
else fail "--mta unusable store: exit $rc, want 75" "$(cat "$dir/mta-nostore")"; fi
"$TLSRPT" parse --mta --db "sqlite:$dir/mta.db" < "$neg" > "$dir/mta-neg" 2>&1
rc=$?
if [ "$rc" = 0 ]; then ok "--mta: a mail that is no report exits 0 (accepted, not bounced)"
else fail "--mta no report: exit $rc, want 0" "$(cat "$dir/mta-neg")"; fi
"$TLSRPT" parse --mta -v --db "sqlite:$dir/mta.db" < "$good" > "$dir/mta-good" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '^stored ' "$dir/mta-good"; then ok "--mta: a report mail is stored, exit 0"
else fail "--mta report: exit $rc" "$(cat "$dir/mta-good")"; fi

"$TLSRPT" parse -n --json "$good" > "$dir/json" 2>/dev/null
if /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["organization-name"]' "$dir/json"; then
	ok "parse -n --json prints the report as JSON"
else fail "parse --json output" "$(head -c 300 "$dir/json")"; fi
# each leniency once per report: a count as a string (in two details: one
# line, "(2 times)"), policies as one object, a draft-era name; -q silences
# them (a repeated member name is refused, not a leniency: test_abuse)
cat > "$dir/lenient.json" <<'JSON'
{"organization-name":"Org L","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a@example.net","report-id":"lenient-1","policies":{"policy":{"policy-type":"sts","policy-string":["version: STSv1"],"policy-domain":"example.org","mx-host":["mx.example.org"]},"summary":{"total-successful-session-count":1,"total-failure-session-count":2},"failure-details":[{"result-type":"certificate-expired","failed-session-count":"1","failure-error-code":"X"},{"result-type":"certificate-expired","failed-session-count":"1"}]}}
JSON
"$TLSRPT" parse -n "$dir/lenient.json" > "$dir/len.out" 2> "$dir/len.err"
rc=$?
pre="$dir/lenient.json: report-id=lenient-1: lenient: "
if [ "$rc" = 0 ] &&
   [ "$(grep -c -F "${pre}policies[*].failure-details[*].failed-session-count: count given as the string \"1\" (2 times)" "$dir/len.err")" = 1 ] &&
   [ "$(grep -c -F "${pre}policies: an object, not an array" "$dir/len.err")" = 1 ] &&
   [ "$(grep -c -F "${pre}policies[*].failure-details[*].failure-error-code: draft-era name" "$dir/len.err")" = 1 ]; then
	ok "parse prints each leniency once per report"
else fail "parse leniency lines (exit $rc)" "$(cat "$dir/len.err")"; fi
"$TLSRPT" parse -n -q "$dir/lenient.json" > "$dir/lenq.out" 2> "$dir/lenq.err"
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$dir/lenq.err" ]; then ok "parse -q prints no leniency"
else fail "parse -q (exit $rc)" "$(cat "$dir/lenq.err")"; fi
# the same organization and report-id with other contents: a conflict,
# warned about, counted by summary; the first one still counts
sed 's/"total-successful-session-count":1,/"total-successful-session-count":9,/' "$dir/lenient.json" > "$dir/lenient2.json"
"$TLSRPT" parse -q --db "sqlite:$dir/conf.db" "$dir/lenient.json" 2>/dev/null
"$TLSRPT" parse --db "sqlite:$dir/conf.db" "$dir/lenient2.json" > /dev/null 2> "$dir/conf.err"
rc=$?
"$TLSRPT" summary --db "sqlite:$dir/conf.db" --since 2024-05-01 --until 2024-05-02 --json > "$dir/conf.json"
"$TLSRPT" summary --db "sqlite:$dir/conf.db" --since 2024-05-01 --until 2024-05-02 > "$dir/conf.txt"
if [ "$rc" = 0 ] && grep -q 'report-id=lenient-1 org=Org L: warning: already stored with different contents' "$dir/conf.err" &&
   /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["conflicts"] == 1 and d["successful_sessions"] == 1, d' "$dir/conf.json" &&
   grep -q '^Warning: 1 report was received again with different contents' "$dir/conf.txt"; then
	ok "same report-id, other contents: warned, counted in summary, the first counts"
else fail "report conflict (exit $rc)" "$(cat "$dir/conf.err")" "$(head -c 400 "$dir/conf.json")" "$(head -3 "$dir/conf.txt")"; fi

# Group commit: 300 reports in one run are committed in a few
# transactions, not one each (a commit per report wrote ~17 WAL pages
# each: thousands of pwrite64 calls); all 300 are there afterwards, and a
# second run finds them all duplicates.
if command -v strace >/dev/null && command -v sqlite3 >/dev/null; then
	mkdir -p "$dir/many"
	/usr/bin/python3 - "$good" "$dir/many" <<'PYEOF'
import sys, json, gzip, email
from email import policy
src = open(sys.argv[1], 'rb').read()
msg = email.message_from_bytes(src, policy=policy.default)
doc = None
for part in msg.walk():
    data = part.get_payload(decode=True)
    if not data:
        continue
    try:
        data = gzip.decompress(data)
    except OSError:
        pass
    try:
        doc = json.loads(data)
        break
    except ValueError:
        pass
for i in range(300):
    doc["report-id"] = "group-commit-%d" % i
    open("%s/r%03d.json.gz" % (sys.argv[2], i), "wb").write(gzip.compress(json.dumps(doc).encode()))
PYEOF
	# (LeakSanitizer cannot run under ptrace: off for this one run)
	ASAN_OPTIONS=detect_leaks=0 strace -f -c -e trace=pwrite64 -o "$dir/strace" "$TLSRPT" parse --db "sqlite:$dir/many.db" "$dir/many"/*.json.gz > "$dir/many.out" 2>&1
	rc=$?
	w=$(awk '$NF == "pwrite64" { print $4 }' "$dir/strace")
	n=$(sqlite3 "$dir/many.db" "SELECT COUNT(*) FROM reports WHERE report_id LIKE 'group-commit-%'")
	if [ "$rc" = 0 ] && [ "$n" = 300 ] && [ "${w:-99999}" -lt 900 ]; then
		ok "300 reports stored with group commits ($w WAL writes)"
	else fail "group commit" "rc=$rc stored=$n pwrite64=$w" "$(tail -3 "$dir/many.out")"; fi
	"$TLSRPT" parse -v --db "sqlite:$dir/many.db" "$dir/many"/*.json.gz > "$dir/many2.out" 2>&1
	if [ "$(grep -c '^duplicate ' "$dir/many2.out")" = 300 ]; then ok "a second run: 300 duplicates"
	else fail "second run duplicates" "$(tail -3 "$dir/many2.out")"; fi
else
	ok "# SKIP group commit: strace or sqlite3 missing"
fi
# Files are read ahead in batches through io_uring (util/file_batch.h):
# the output and exit code are the same as reading each file plainly
# (TLSRPT_IO_URING=0), for the corpus and for what a batch leaves to the
# plain read: a missing file, a directory, an empty file, a FIFO with a
# writer, /dev/stdin, a report larger than a batch reads (1 MiB).
mkfifo "$dir/fifo"
: > "$dir/empty"
/usr/bin/python3 -c 'import sys; d=open(sys.argv[1]).read().rstrip(); sys.stdout.write(d[:-1] + " " * (1 << 20) + "}")' \
	"$dir/lenient.json" > "$dir/big.json"
for e in 1 0; do
	(cat "$dir/lenient.json" > "$dir/fifo") &
	# shellcheck disable=SC2086
	TLSRPT_IO_URING=$e "$TLSRPT" parse -n $files "$dir/missing" "$dir" "$dir/empty" \
		"$dir/fifo" "$dir/big.json" /dev/stdin "$neg" < "$dir/lenient2.json" > "$dir/uring-out-$e" 2>&1
	echo "exit $?" >> "$dir/uring-out-$e"
	wait
done
if cmp -s "$dir/uring-out-1" "$dir/uring-out-0" && grep -q '^exit 1$' "$dir/uring-out-1" &&
   grep -q "missing: open: No such file" "$dir/uring-out-1" &&
   grep -q "fifo: report-id=lenient-1" "$dir/uring-out-1" &&
   grep -q "big.json: report-id=lenient-1" "$dir/uring-out-1"; then
	ok "parse reads ahead with io_uring: the same output and exit as plain reads"
else fail "io_uring and plain reads differ" "$(diff "$dir/uring-out-1" "$dir/uring-out-0" | head -10)" \
	"$(tail -3 "$dir/uring-out-1")"; fi
# ... and the batches are really used: far fewer openat calls
if command -v strace >/dev/null; then
	for e in 1 0; do
		# shellcheck disable=SC2086
		ASAN_OPTIONS=detect_leaks=0 TLSRPT_IO_URING=$e strace -f -c -e trace=io_uring_enter,openat \
			-o "$dir/uring-strace-$e" "$TLSRPT" parse -n -q $files > /dev/null 2>&1
	done
	enters=$(awk '$NF == "io_uring_enter" { print $4 }' "$dir/uring-strace-1")
	opens=$(awk '$NF == "openat" { print $4 }' "$dir/uring-strace-1")
	opens0=$(awk '$NF == "openat" { print $4 }' "$dir/uring-strace-0")
	if [ -n "$enters" ] && [ $((opens0 - ${opens:-0})) -ge $((nfiles - 5)) ]; then
		ok "$nfiles files read in $enters io_uring_enter calls ($opens openat, $opens0 without)"
	elif [ -z "$enters" ] && ! ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=io_uring_setup "$TLSRPT" parse -n "$good" "$good" 2>&1 | grep -q 'io_uring_setup(.*= [0-9]'; then
		ok "# SKIP io_uring is not available here: plain reads only"
	else fail "io_uring reads" "io_uring_enter=$enters openat=$opens without=$opens0"; fi
	# 300 files in one directory: their types come from one listing of it,
	# not from a stat() each (util/dir_types.h)
	if [ -n "$enters" ] && [ -d "$dir/many" ]; then
		ASAN_OPTIONS=detect_leaks=0 strace -f -c -e trace=newfstatat,statx,getdents64 \
			-o "$dir/list-strace" "$TLSRPT" parse -n -q "$dir/many"/*.json.gz > /dev/null 2>&1
		stats=$(awk '$NF == "newfstatat" || $NF == "statx" { n += $4 } END { print n + 0 }' "$dir/list-strace")
		lists=$(awk '$NF == "getdents64" { print $4 }' "$dir/list-strace")
		if [ "$stats" -lt 100 ] && [ -n "$lists" ]; then
			ok "300 files in one directory: $lists getdents64, $stats stat calls"
		else fail "directory listing" "stat calls: $stats, getdents64: $lists"; fi
	fi
else
	ok "# SKIP io_uring reads: strace missing"
fi
tap_done
