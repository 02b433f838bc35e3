#!/bin/sh
# `tlsrpt fetch imap` against a real Dovecot (tests/components/imap.sh) on
# loopback, filled with the corpus mail: the first run stores every report,
# the second fetches nothing new; fetching never sets \Seen; --move-to moves
# stored mail only after it is stored; mail that matches the search but
# holds no report is skipped (exit 0); a wrong CA is refused; STARTTLS works.
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-fetch-imap.XXXXXX)
chmod o+x "$dir"
# imap.sh is bash (set -o pipefail): under sh its stop did nothing and dovecot outlived the test
trap 'bash "$COMPONENTS/imap.sh" stop "$dir/imap" >/dev/null 2>&1; rm -rf "$dir"' EXIT
corpus="$TLSRPT_SRC/tests/corpus"

# Every corpus mail that holds a report (all .eml but the negative one).
reports=$(cd "$corpus" && ls */*.eml */*/*.eml | grep -v 'kravietz+tlsrpt-rs/empty.eml')
n_reports=$(echo "$reports" | wc -l)
mkdir -p "$dir/mail"
for f in $reports; do cp "$corpus/$f" "$dir/mail/$(echo "$f" | tr '/' '_')"; done
cp "$corpus/kravietz+tlsrpt-rs/empty.eml" "$dir/mail/zz-cron.eml"

if ! bash "$COMPONENTS/imap.sh" add "$dir/imap" tls "$dir"/mail/*.eml >/dev/null 2>"$dir/add.err" ||
   ! bash "$COMPONENTS/imap.sh" start "$dir/imap" >/dev/null 2>"$dir/start.err"; then
	fail "dovecot starts" "$(cat "$dir/add.err" "$dir/start.err")"
	tap_done; exit
fi
eval "$(cat "$dir/imap/env")"
export TLSRPT_IMAP_PASSWORD="$IMAP_PASS"
db="sqlite:$dir/tlsrpt.db"
url="imaps://localhost:$IMAPS_PORT"

out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" 2>&1)
rc=$?
line=$(echo "$out" | grep '^fetched')
stored=$(echo "$line" | sed -n 's/^fetched \([0-9]*\) messages: \([0-9]*\) stored, \([0-9]*\) duplicates, \([0-9]*\) skipped (not a report), \([0-9]*\) errors$/\2/p')
dups=$(echo "$line" | sed -n 's/^fetched \([0-9]*\) messages: \([0-9]*\) stored, \([0-9]*\) duplicates, \([0-9]*\) skipped (not a report), \([0-9]*\) errors$/\3/p')
msgs=$(echo "$line" | sed -n 's/^fetched \([0-9]*\) messages:.*/\1/p')
if [ "$rc" = 0 ] && [ "$msgs" = "$n_reports" ] && [ -n "$stored" ] && [ "$stored" -gt 0 ] &&
   [ $((stored + dups)) = "$n_reports" ]; then
	ok "first fetch: $n_reports report messages, $stored stored + $dups duplicates"
else
	fail "first fetch stores every report message" "rc=$rc, want $n_reports messages" "$out"
fi

# The cron mail has no TLS-Report-Domain header and no "Report Domain:" subject:
# it is not fetched (not counted, no error), yet the mailbox holds it.
errs=$(echo "$line" | sed -n 's/^fetched .* \([0-9]*\) errors$/\1/p')
total=$(curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "$url/INBOX" -X 'SEARCH ALL' 2>&1 |
	sed -n 's/^\* SEARCH //p' | wc -w)
if [ "$msgs" = "$n_reports" ] && [ "$errs" = 0 ] && [ "$total" = $((n_reports + 1)) ]; then
	ok "non-report mail is not fetched ($total in INBOX, $msgs fetched)"
else fail "non-report mail is not fetched" "INBOX holds $total, fetched $msgs, errors $errs" "$out"; fi

flags=$(curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "$url/INBOX" -X 'FETCH 1:* FLAGS' 2>&1)
nflags=$(echo "$flags" | grep -c '^\* [0-9]* FETCH (FLAGS')
if echo "$flags" | grep -q 'Seen' || [ "$nflags" != $((n_reports + 1)) ]; then
	fail "fetching sets no \\Seen" "$nflags FETCH answers" "$flags"
else ok "fetching sets no \\Seen flag ($nflags messages looked at)"; fi

out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" 2>&1); rc=$?
if [ "$rc" = 0 ] && echo "$out" | grep -qx 'fetched 0 messages: 0 stored, 0 duplicates, 0 skipped (not a report), 0 errors'; then
	ok "second fetch finds nothing new"
else
	fail "second fetch finds nothing new" "rc=$rc, want 0" "$out"
fi

# New mail after the first run: only it is fetched; --move-to moves it.
bash "$COMPONENTS/imap.sh" sample late.test 77 > "$dir/late.eml"
bash "$COMPONENTS/imap.sh" add "$dir/imap" tls "$dir/late.eml" >/dev/null 2>"$dir/add-late.err" ||
	fail "late mail added to the mailbox" "$(cat "$dir/add-late.err")"
out=$("$TLSRPT" fetch --db "$db" imap "imap://localhost:$IMAP_PORT/INBOX" --user "$IMAP_USER" \
	--cacert "$IMAP_CA" --move-to Processed 2>&1); rc=$?
if [ "$rc" = 0 ] && echo "$out" | grep -qx 'fetched 1 messages: 1 stored, 0 duplicates, 0 skipped (not a report), 0 errors'; then
	ok "STARTTLS fetch of new mail stores only it"
else
	fail "STARTTLS fetch of new mail stores only it" "rc=$rc, want 0" "$out"
fi
moved=$(curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "$url/Processed" \
	-X 'SEARCH HEADER TLS-Report-Domain late.test' 2>&1)
left=$(curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "$url/INBOX" \
	-X 'SEARCH HEADER TLS-Report-Domain late.test' 2>&1)
if echo "$moved" | grep -q '^\* SEARCH [0-9]' && ! echo "$left" | grep -q '^\* SEARCH [0-9]'; then
	ok "--move-to moves stored mail to the folder"
else
	fail "--move-to moves stored mail to the folder" "Processed: $moved" "INBOX: $left"
fi

# An automatic reply quoting a report's subject matches the search but holds
# no report: skipped with one notice (exit 0), left in the INBOX by
# --move-to, and not fetched again (its UID is passed).
cat > "$dir/autoreply.eml" <<'EOF'
From: tls@late.test
To: tlsrpt@sender.test
Subject: Automatic reply: Report Domain: late.test Submitter: sender.test
Date: Sat, 21 Nov 2026 13:00:00 +0000
Message-ID: <autoreply@late.test>
Content-Type: text/plain; charset=us-ascii

I am out of the office until Monday.
EOF
bash "$COMPONENTS/imap.sh" add "$dir/imap" tls "$dir/autoreply.eml" >/dev/null 2>"$dir/add-auto.err" ||
	fail "auto-reply added to the mailbox" "$(cat "$dir/add-auto.err")"
out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" \
	--move-to Processed 2>&1); rc=$?
if [ "$rc" = 0 ] &&
   echo "$out" | grep -qx 'fetched 1 messages: 0 stored, 0 duplicates, 1 skipped (not a report), 0 errors' &&
   [ "$(echo "$out" | grep -c '^tlsrpt: notice: .* UID [0-9]*: skipped, not a TLSRPT report: ')" = 1 ] &&
   ! echo "$out" | grep -q 'warning\|error:'; then
	ok "mail matching the search but holding no report: one notice, skipped, exit 0"
else fail "non-report mail matching the search is skipped" "rc=$rc, want 0" "$out"; fi
left=$(curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "$url/INBOX" \
	-X 'SEARCH HEADER Message-ID autoreply@late.test' 2>&1)
if echo "$left" | grep -q '^\* SEARCH [0-9]'; then ok "--move-to leaves skipped mail in place"
else fail "--move-to leaves skipped mail in place" "INBOX: $left"; fi
out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" 2>&1); rc=$?
if [ "$rc" = 0 ] && echo "$out" | grep -qx 'fetched 0 messages: 0 stored, 0 duplicates, 0 skipped (not a report), 0 errors'; then
	ok "skipped mail is not fetched again"
else fail "skipped mail is not fetched again" "rc=$rc, want 0" "$out"; fi

out=$("$TLSRPT" fetch --db "sqlite:$dir/other.db" imap "$url" --user "$IMAP_USER" \
	--cacert /etc/ssl/certs/ca-certificates.crt 2>&1)
rc=$?
if [ "$rc" = 3 ] && echo "$out" | grep -q 'certificate'; then
	ok "wrong CA refused (exit 3, certificate error)"
else
	fail "wrong CA refused" "rc=$rc" "$out"
fi

out=$(TLSRPT_IMAP_PASSWORD=wrong "$TLSRPT" fetch --db "sqlite:$dir/other.db" imap "$url" \
	--user "$IMAP_USER" --cacert "$IMAP_CA" 2>&1)
rc=$?
if [ "$rc" = 3 ]; then ok "wrong password refused (exit 3)"; else fail "wrong password refused" "rc=$rc" "$out"; fi

printf '%s\n' "$IMAP_PASS" > "$dir/pw"
chmod 600 "$dir/pw"   # a password file others may read is refused
out=$(env -u TLSRPT_IMAP_PASSWORD "$TLSRPT" fetch --db "sqlite:$dir/pwfile.db" imap "$url" \
	--user "$IMAP_USER" --password-file "$dir/pw" --cacert "$IMAP_CA" 2>&1); rc=$?
if [ "$rc" = 0 ] && echo "$out" | grep -q '^fetched [1-9]'; then ok "--password-file works"
else fail "--password-file works" "rc=$rc, want 0" "$out"; fi

out=$(env -u TLSRPT_IMAP_PASSWORD "$TLSRPT" fetch --db "sqlite:$dir/other.db" imap "$url" \
	--user "$IMAP_USER" --cacert "$IMAP_CA" 2>&1)
rc=$?
if [ "$rc" = 3 ] && echo "$out" | grep -q 'TLSRPT_IMAP_PASSWORD'; then ok "no password: clear error"
else fail "no password: clear error" "rc=$rc" "$out"; fi

out=$("$TLSRPT" fetch --db "sqlite:$dir/other.db" imap "http://localhost:$IMAP_PORT" --user x 2>&1); rc=$?
if [ "$rc" = 3 ] && echo "$out" | grep -q 'imaps://'; then ok "non-IMAP URL refused"
else fail "non-IMAP URL refused" "rc=$rc, want 3" "$out"; fi

# A report mail over the 10 MiB input limit: refused with the limit named,
# skipped for good (the next run does not fetch it again), exit 1.
bash "$COMPONENTS/imap.sh" sample huge.test 78 | sed '/^--=_tlsrpt_boundary_78--$/d' > "$dir/huge.eml"
{ printf -- '--=_tlsrpt_boundary_78\nContent-Type: text/plain\n\n'
  head -c 8000000 /dev/zero | base64
  echo '--=_tlsrpt_boundary_78--'; } >> "$dir/huge.eml"
bash "$COMPONENTS/imap.sh" add "$dir/imap" tls "$dir/huge.eml" >/dev/null 2>"$dir/add-huge.err" ||
	fail "oversized mail added to the mailbox" "$(cat "$dir/add-huge.err")"
out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" 2>&1)
rc=$?
if [ "$rc" = 1 ] && echo "$out" | grep -q 'larger than the 10485760 bytes limit' &&
   echo "$out" | grep -qx 'fetched 1 messages: 0 stored, 0 duplicates, 0 skipped (not a report), 1 errors'; then
	ok "message over the size limit: refused with the limit named (exit 1)"
else fail "message over the size limit" "rc=$rc" "$out"; fi
out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" 2>&1); rc=$?
if [ "$rc" = 0 ] && echo "$out" | grep -qx 'fetched 0 messages: 0 stored, 0 duplicates, 0 skipped (not a report), 0 errors'; then
	ok "the oversized message is skipped for good, not fetched on every run"
else fail "oversized message skipped for good" "rc=$rc, want 0" "$out"; fi

# A store failure in the middle of a batch (a trigger refuses the second of
# three new report mails): the batch is rolled back whole, so none of the
# three is stored nor flagged \Seen (--seen flags only what a commit
# covers), exit 3; once the failure is gone the next run stores all three
# and flags exactly them.
if command -v sqlite3 >/dev/null; then
	for k in 90 91 92; do bash "$COMPONENTS/imap.sh" sample "batch$k.test" "$k" > "$dir/b$k.eml"; done
	bash "$COMPONENTS/imap.sh" add "$dir/imap" tls "$dir/b90.eml" "$dir/b91.eml" "$dir/b92.eml" \
		>/dev/null 2>"$dir/add-batch.err" || fail "batch mail added" "$(cat "$dir/add-batch.err")"
	sqlite3 "$dir/tlsrpt.db" "CREATE TRIGGER boom BEFORE INSERT ON reports WHEN NEW.report_id = 'r91@sender.test' BEGIN SELECT RAISE(ABORT, 'test: the store refuses'); END"
	seen_batch() {
		curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "$url/INBOX" \
			-X 'SEARCH SEEN HEADER TLS-Report-Domain batch9' 2>&1 | sed -n 's/^\* SEARCH//p' | wc -w
	}
	stored_batch() {
		sqlite3 "$dir/tlsrpt.db" "SELECT COUNT(*) FROM reports WHERE report_id IN ('r90@sender.test', 'r91@sender.test', 'r92@sender.test')"
	}
	out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" --seen 2>&1); rc=$?
	if [ "$rc" = 3 ] && echo "$out" | grep -q 'test: the store refuses' &&
	   [ "$(seen_batch)" = 0 ] && [ "$(stored_batch)" = 0 ]; then
		ok "store failure mid-batch: batch rolled back, none of its mail flagged (exit 3)"
	else fail "store failure mid-batch leaves the mail unflagged" "rc=$rc, want 3; seen $(seen_batch), stored $(stored_batch), want 0 and 0" "$out"; fi
	sqlite3 "$dir/tlsrpt.db" "DROP TRIGGER boom"
	out=$("$TLSRPT" fetch --db "$db" imap "$url" --user "$IMAP_USER" --cacert "$IMAP_CA" --seen 2>&1); rc=$?
	if [ "$rc" = 0 ] && echo "$out" | grep -qx 'fetched 3 messages: 3 stored, 0 duplicates, 0 skipped (not a report), 0 errors' &&
	   [ "$(seen_batch)" = 3 ] && [ "$(stored_batch)" = 3 ]; then
		ok "after the failure: the next run stores the batch and flags it"
	else fail "rerun after the store failure" "rc=$rc; seen $(seen_batch), stored $(stored_batch), want 3 and 3" "$out"; fi
else
	ok "# SKIP store failure mid-batch: sqlite3 missing"
fi

tap_done
