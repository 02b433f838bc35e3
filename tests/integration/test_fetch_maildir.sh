#!/bin/sh
# `tlsrpt fetch maildir|mbox|dir` over the corpus mail: every report is
# stored once, a second run finds only duplicates, the non-report mail is
# reported and skipped (exit 1), a missing source fails clearly (exit 3).
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-fetch-maildir.XXXXXX)
trap 'rm -rf "$dir"' EXIT
corpus="$TLSRPT_SRC/tests/corpus"
mails=$(cd "$corpus" && ls */*.eml */*/*.eml)
n=$(echo "$mails" | wc -l)

mkdir -p "$dir/Maildir/new" "$dir/Maildir/cur" "$dir/Maildir/tmp"
i=0
for f in $mails; do
	i=$((i + 1))
	# Half in new/, half in cur/ with flags, as a mail client leaves them.
	if [ $((i % 2)) = 0 ]; then cp "$corpus/$f" "$dir/Maildir/new/17000000$i.M$i.test"
	else cp "$corpus/$f" "$dir/Maildir/cur/17000000$i.M$i.test:2,S"; fi
	# mboxrd: a From line per message, body From lines quoted with '>'.
	{ echo "From tlsrpt@example.test Mon Jan  1 00:00:00 2024"
	  sed 's/\r$//; s/^\(>*From \)/>\1/' "$corpus/$f"; echo; } >> "$dir/mbox"
done
cp "$dir"/Maildir/new/* "$dir/Maildir/tmp/"   # tmp/ must be ignored

summary() { echo "$1" | grep '^fetched'; }
field() { summary "$1" | sed -n "s/^fetched \([0-9]*\) messages: \([0-9]*\) stored, \([0-9]*\) duplicates, \([0-9]*\) errors$/\\$2/p"; }

out=$("$TLSRPT" fetch --db "sqlite:$dir/a.db" maildir "$dir/Maildir" 2>&1); rc=$?
stored=$(field "$out" 2); dups=$(field "$out" 3); errs=$(field "$out" 4)
if [ "$rc" = 1 ] && [ "$(field "$out" 1)" = "$n" ] && [ "$errs" = 1 ] &&
   [ $((stored + dups + errs)) = "$n" ] && [ "$stored" -gt 10 ]; then
	ok "maildir: $n messages, $stored stored, $dups duplicates, 1 refused (exit 1)"
else
	fail "maildir fetch" "rc=$rc n=$n" "$out"
fi
if echo "$out" | grep -q 'no TLSRPT report found in message'; then ok "the cron mail is named as not a report"
else fail "the cron mail is named as not a report" "$out"; fi

# exit 1: the cron mail is read and refused again
out2=$("$TLSRPT" fetch --db "sqlite:$dir/a.db" maildir "$dir/Maildir" 2>&1); rc=$?
if [ "$rc" = 1 ] && [ "$(field "$out2" 2)" = 0 ] && [ "$(field "$out2" 3)" = $((stored + dups)) ]; then
	ok "maildir again: only duplicates"
else
	fail "maildir again: only duplicates" "rc=$rc, want 1" "$out2"
fi

out3=$("$TLSRPT" fetch --db "sqlite:$dir/b.db" mbox "$dir/mbox" 2>&1); rc=$?
if [ "$rc" = 1 ] && [ "$(field "$out3" 1)" = "$n" ] && [ "$(field "$out3" 2)" = "$stored" ] &&
   [ "$(field "$out3" 4)" = 1 ]; then
	ok "mbox: the same $stored reports as the maildir"
else
	fail "mbox: the same reports as the maildir" "rc=$rc, want 1; want $stored stored" "$out3"
fi

out4=$("$TLSRPT" fetch --db "sqlite:$dir/c.db" dir "$corpus/cry-inc+dmarc-report-viewer" 2>&1); rc=$?
if [ "$rc" = 0 ] && [ "$(field "$out4" 4)" = 0 ] && [ "$(field "$out4" 2)" -gt 0 ]; then
	ok "dir of JSON reports: all stored, exit 0"
else
	fail "dir of JSON reports" "rc=$rc" "$out4"
fi

out5=$("$TLSRPT" fetch --db "sqlite:$dir/c.db" maildir "$dir/nonexistent" 2>&1); rc=$?
if [ "$rc" = 3 ] && echo "$out5" | grep -q 'not a Maildir'; then ok "missing maildir: exit 3, clear error"
else fail "missing maildir: exit 3, clear error" "rc=$rc" "$out5"; fi

out6=$("$TLSRPT" fetch --db "sqlite:$dir/c.db" pop3 x 2>&1); rc=$?
if [ "$rc" = 2 ]; then ok "unknown source: usage error"; else fail "unknown source: usage error" "rc=$rc, want 2" "$out6"; fi
tap_done
