#!/bin/sh
# `tlsrpt fetch maildir|mbox|dir` over the corpus mail: every report is
# stored once, a second run finds only duplicates; the non-report mail (the
# corpus's cron mail) is skipped with one notice and leaves the exit status
# 0, run after run; a genuinely malformed report attachment is an error
# (exit 1) while the good reports are stored; a missing source fails
# clearly (exit 3).
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-fetch-maildir.XXXXXX)
trap 'rm -rf "$dir"' EXIT
corpus="$TLSRPT_SRC/tests/corpus"
mails=$(cd "$corpus" && ls */*.eml */*/*.eml)
n=$(echo "$mails" | wc -l)
cron=kravietz+tlsrpt-rs/empty.eml   # the corpus mail that holds no report

mkdir -p "$dir/Maildir/new" "$dir/Maildir/cur" "$dir/Maildir/tmp"
i=0
for f in $mails; do
	i=$((i + 1))
	# Half in new/, half in cur/ with flags, as a mail client leaves them.
	if [ $((i % 2)) = 0 ]; then name="new/17000000$i.M$i.test"
	else name="cur/17000000$i.M$i.test:2,S"; fi
	cp "$corpus/$f" "$dir/Maildir/$name"
	[ "$f" = "$cron" ] && { cron_path="$dir/Maildir/$name"; cron_mbox="$dir/mbox:$i"; }
	# mboxrd: a From line per message, body From lines quoted with '>'.
	{ echo "From tlsrpt@example.test Mon Jan  1 00:00:00 2024"
	  sed 's/\r$//; s/^\(>*From \)/>\1/' "$corpus/$f"; echo; } >> "$dir/mbox"
done
cp "$dir"/Maildir/new/* "$dir/Maildir/tmp/"   # tmp/ must be ignored
[ -n "$cron_path" ] || fail "the corpus still holds $cron"

summary() { echo "$1" | grep '^fetched'; }
# field OUT K: K = 1 messages, 2 stored, 3 duplicates, 4 skipped, 5 errors
field() { summary "$1" | sed -n "s/^fetched \([0-9]*\) messages: \([0-9]*\) stored, \([0-9]*\) duplicates, \([0-9]*\) skipped (not a report), \([0-9]*\) errors$/\\$2/p"; }
# notices OUT: the lines that skip a non-report
notices() { echo "$1" | grep -c '^tlsrpt: notice: .*: skipped, not a TLSRPT report: '; }

out=$("$TLSRPT" fetch --db "sqlite:$dir/a.db" maildir "$dir/Maildir" 2>&1); rc=$?
stored=$(field "$out" 2); dups=$(field "$out" 3); skipped=$(field "$out" 4); errs=$(field "$out" 5)
if [ "$rc" = 0 ] && [ "$(field "$out" 1)" = "$n" ] && [ "$skipped" = 1 ] && [ "$errs" = 0 ] &&
   [ $((stored + dups + skipped)) = "$n" ] && [ "$stored" -gt 10 ]; then
	ok "maildir: $n messages, $stored stored, $dups duplicates, 1 skipped, 0 errors (exit 0)"
else
	fail "maildir fetch" "rc=$rc, want 0; n=$n" "$out"
fi
if [ "$(notices "$out")" = 1 ] &&
   echo "$out" | grep -qF "tlsrpt: notice: $cron_path: skipped, not a TLSRPT report: no TLSRPT report found in message" &&
   ! echo "$out" | grep -q 'warning\|error:'; then
	ok "the cron mail is named in one notice line, no warning"
else fail "the cron mail is named in one notice line" "want the notice for $cron_path" "$out"; fi

# What was processed is remembered: a second run reads nothing again and
# repeats no notice (a cron line mails no output); --all reads everything
out2=$("$TLSRPT" fetch --db "sqlite:$dir/a.db" maildir "$dir/Maildir" 2>&1); rc=$?
if [ "$rc" = 0 ] && [ "$(field "$out2" 1)" = 0 ] && [ "$(notices "$out2")" = 0 ] &&
   echo "$out2" | grep -qx "$n processed by an earlier run, not read again (--all reads them)"; then
	ok "maildir again: nothing read again, no notice (exit 0)"
else
	fail "maildir again: nothing read again" "rc=$rc, want 0; want $n seen before" "$out2"
fi
mv "$dir/Maildir/new/"* "$dir/Maildir/cur/" 2>/dev/null
out2b=$("$TLSRPT" fetch --db "sqlite:$dir/a.db" maildir "$dir/Maildir" 2>&1)
out2c=$("$TLSRPT" fetch --all --db "sqlite:$dir/a.db" maildir "$dir/Maildir" 2>&1); rc=$?
if [ "$(field "$out2b" 1)" = 0 ] &&
   [ "$rc" = 0 ] && [ "$(field "$out2c" 2)" = 0 ] && [ "$(field "$out2c" 3)" = $((stored + dups)) ] &&
   [ "$(field "$out2c" 4)" = 1 ] && [ "$(field "$out2c" 5)" = 0 ] && [ "$(notices "$out2c")" = 1 ]; then
	ok "maildir: moved to cur/ still known; --all reads all again (duplicates, one notice)"
else
	fail "maildir --all" "rc=$rc, want 0" "$out2b" "$out2c"
fi

out3=$("$TLSRPT" fetch --db "sqlite:$dir/b.db" mbox "$dir/mbox" 2>&1); rc=$?
if [ "$rc" = 0 ] && [ "$(field "$out3" 1)" = "$n" ] && [ "$(field "$out3" 2)" = "$stored" ] &&
   [ "$(field "$out3" 4)" = 1 ] && [ "$(field "$out3" 5)" = 0 ] &&
   echo "$out3" | grep -qF "tlsrpt: notice: $cron_mbox: skipped, not a TLSRPT report:"; then
	ok "mbox: the same $stored reports as the maildir, the cron mail ($cron_mbox) skipped (exit 0)"
else
	fail "mbox: the same reports as the maildir" "rc=$rc, want 0; want $stored stored, $cron_mbox skipped" "$out3"
fi

# A report mail whose gzip attachment is corrupt, next to good reports and
# the cron mail: an error (named, with why), exit 1, the rest stored.
mkdir -p "$dir/Bad/new" "$dir/Bad/cur"
cp "$corpus/kravietz+tlsrpt-rs/google1.eml" "$dir/Bad/new/1.good"
cp "$corpus/kravietz+tlsrpt-rs/mail.ru.eml" "$dir/Bad/new/2.good"
cp "$corpus/$cron" "$dir/Bad/new/3.cron"
cat > "$dir/Bad/new/4.badgz" <<'EOF'
From: reporter@example.org
To: tlsrpt@example.com
Subject: Report Domain: example.com Submitter: example.org Report-ID: <bad@example.org>
TLS-Report-Domain: example.com
MIME-Version: 1.0
Content-Type: multipart/report; report-type=tlsrpt; boundary="B"

--B
Content-Type: text/plain

This is an aggregate TLS report.
--B
Content-Type: application/tlsrpt+gzip
Content-Disposition: attachment; filename="example.org!example.com!1!2.json.gz"
Content-Transfer-Encoding: base64

H4sIAAAAAAAAA3N0cnYBAMmW7UoEAAAA
--B--
EOF
out4=$("$TLSRPT" fetch --db "sqlite:$dir/bad.db" maildir "$dir/Bad" 2>&1); rc=$?
if [ "$rc" = 1 ] && [ "$(field "$out4" 1)" = 4 ] && [ "$(field "$out4" 2)" = 2 ] &&
   [ "$(field "$out4" 4)" = 1 ] && [ "$(field "$out4" 5)" = 1 ]; then
	ok "malformed report attachment: exit 1, 2 good reports stored, cron mail skipped, 1 error"
else
	fail "malformed report attachment" "rc=$rc, want 1; want 4 messages: 2 stored, 1 skipped, 1 errors" "$out4"
fi
if echo "$out4" | grep -qF "tlsrpt: warning: $dir/Bad/new/4.badgz: MIME part" &&
   echo "$out4" | grep -F "$dir/Bad/new/4.badgz" | grep -q 'gzip data is corrupt' &&
   echo "$out4" | grep -qF "tlsrpt: notice: $dir/Bad/new/3.cron: skipped" &&
   [ "$(notices "$out4")" = 1 ]; then
	ok "the malformed attachment is named with its part and why; the cron mail is only a notice"
else fail "the malformed attachment is named with why" "$out4"; fi

out5=$("$TLSRPT" fetch --db "sqlite:$dir/c.db" dir "$corpus/cry-inc+dmarc-report-viewer" 2>&1); rc=$?
if [ "$rc" = 0 ] && [ "$(field "$out5" 5)" = 0 ] && [ "$(field "$out5" 4)" = 0 ] &&
   [ "$(field "$out5" 2)" -gt 0 ]; then
	ok "dir of JSON reports: all stored, exit 0"
else
	fail "dir of JSON reports" "rc=$rc" "$out5"
fi

# dir: a file that is no report (a README) is skipped; a truncated gzip
# report file is an error.
mkdir "$dir/files"
cp "$corpus/kravietz+tlsrpt-rs/rfc8460.json" "$dir/files/a.json"
echo "reports from the mail server, see tlsrpt-fetch(1)" > "$dir/files/README"
out6=$("$TLSRPT" fetch --db "sqlite:$dir/d.db" dir "$dir/files" 2>&1); rc=$?
if [ "$rc" = 0 ] && [ "$(field "$out6" 2)" = 1 ] && [ "$(field "$out6" 4)" = 1 ] &&
   [ "$(field "$out6" 5)" = 0 ] &&
   echo "$out6" | grep -qF "tlsrpt: notice: $dir/files/README: skipped, not a TLSRPT report:"; then
	ok "dir: a README is skipped with a notice, exit 0"
else fail "dir: a README is skipped" "rc=$rc, want 0" "$out6"; fi
gzip -c "$corpus/kravietz+tlsrpt-rs/mail.ru.json" | head -c 100 > "$dir/files/b.json.gz"
out7=$("$TLSRPT" fetch --db "sqlite:$dir/d.db" dir "$dir/files" 2>&1); rc=$?
if [ "$rc" = 1 ] && [ "$(field "$out7" 1)" = 1 ] && [ "$(field "$out7" 5)" = 1 ] &&
   echo "$out7" | grep -qF "tlsrpt: warning: $dir/files/b.json.gz: "; then
	ok "dir: a truncated gzip report is an error (exit 1), the files read before are not read again"
else fail "dir: a truncated gzip report is an error" "rc=$rc, want 1" "$out7"; fi

out8=$("$TLSRPT" fetch --db "sqlite:$dir/c.db" maildir "$dir/nonexistent" 2>&1); rc=$?
if [ "$rc" = 3 ] && echo "$out8" | grep -q 'not a Maildir'; then ok "missing maildir: exit 3, clear error"
else fail "missing maildir: exit 3, clear error" "rc=$rc" "$out8"; fi

out9=$("$TLSRPT" fetch --db "sqlite:$dir/c.db" pop3 x 2>&1); rc=$?
if [ "$rc" = 2 ]; then ok "unknown source: usage error"; else fail "unknown source: usage error" "rc=$rc, want 2" "$out9"; fi
# a usage error says what was wrong before the usage text
for args in "" "maildir" "maildir a b"; do
	# shellcheck disable=SC2086
	o=$("$TLSRPT" fetch --db "sqlite:$dir/c.db" $args 2>&1); rc=$?
	first=$(echo "$o" | head -n 1)
	case "$rc:$first" in
	"2:tlsrpt fetch: "*) ok "fetch $args: exit 2, says what is wrong first ($first)" ;;
	*) fail "fetch $args: usage error says what is wrong first" "rc=$rc" "$o" ;;
	esac
done
o=$("$TLSRPT" send --submitter example.test stray 2>&1); rc=$?
case "$rc:$(echo "$o" | head -n 1)" in
"2:tlsrpt send: unexpected argument \"stray\"") ok "send with a stray argument: exit 2, names it first" ;;
*) fail "send stray argument" "rc=$rc" "$o" ;;
esac

# A store failure in the middle of a batch (a trigger refuses the second of
# three report files): the batch is rolled back whole, so none of the three
# is stored nor remembered as processed, exit 3; once the failure is gone
# the next run stores all three.
if command -v sqlite3 >/dev/null; then
	mkdir -p "$dir/batch"
	for k in 1 2 3; do
		sed "s/\"report-id\": *\"[^\"]*\"/\"report-id\":\"batch-$k\"/" \
			"$corpus/phi-ag+mta-sts-exporter/google.json" > "$dir/batch/r$k.json"
	done
	"$TLSRPT" fetch --db "sqlite:$dir/batch.db" dir "$dir/empty-none" >/dev/null 2>&1   # creates the store
	sqlite3 "$dir/batch.db" "CREATE TRIGGER boom BEFORE INSERT ON reports WHEN NEW.report_id = 'batch-2' BEGIN SELECT RAISE(ABORT, 'test: the store refuses'); END"
	stored_batch() { sqlite3 "$dir/batch.db" "SELECT COUNT(*) FROM reports WHERE report_id LIKE 'batch-%'"; }
	out=$("$TLSRPT" fetch --db "sqlite:$dir/batch.db" dir "$dir/batch" 2>&1); rc=$?
	if [ "$rc" = 3 ] && echo "$out" | grep -q 'test: the store refuses' && [ "$(stored_batch)" = 0 ] &&
	   echo "$out" | grep -q '^2 messages not stored after the store failed'; then
		ok "dir: store failure mid-batch rolls the batch back (exit 3)"
	else fail "dir: store failure mid-batch" "rc=$rc, want 3; stored $(stored_batch), want 0" "$out"; fi
	sqlite3 "$dir/batch.db" "DROP TRIGGER boom"
	out=$("$TLSRPT" fetch --db "sqlite:$dir/batch.db" dir "$dir/batch" 2>&1); rc=$?
	if [ "$rc" = 0 ] && [ "$(field "$out" 2)" = 3 ] && [ "$(stored_batch)" = 3 ]; then
		ok "dir: after the failure the next run stores all three"
	else fail "dir: rerun after the store failure" "rc=$rc; stored $(stored_batch), want 3" "$out"; fi
else
	ok "# SKIP store failure mid-batch: sqlite3 missing"
fi
tap_done
