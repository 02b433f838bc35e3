#!/bin/sh
# Every command, on a usage error, first says what was wrong (a line that
# names the problem, before any usage text), then the usage or a hint to
# --help, and exits with the usage status 2 (tlsrpt(1), EXIT STATUS).
# The table has, for each command `tlsrpt help` lists: an unknown option,
# an option without its argument, a bad value for a numeric option (or a
# date), an extra or a missing positional argument.  No row may start
# anything: a store in a temporary directory, no tlsrpt.conf, no terminal.
# Also: `tlsrpt user add` without a terminal says so once, and prune
# --older-than takes days alone or any date.
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-test-usage.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export TLSRPT_CONFIG=/dev/null TLSRPT_DB="sqlite:$dir/db.sqlite"
unset TLSRPT_DATABASE_URL

# COMMAND|ARGS|WORDS the first line must hold (a grep -E pattern)
cat > "$dir/table" <<'EOT'
alert|--bogus|unrecognized option '--bogus'
alert|--to|option '--to' requires an argument
alert|--to a@b.example --dry-run --min-failures many|--min-failures many
alert|--to a@b.example --dry-run --threshold-rate 2|--threshold-rate 2
alert|--to a@b.example --dry-run --since tomorrow|--since "tomorrow": not
alert|--to a@b.example --dry-run extra|unexpected argument "extra"
check|--bogus|unrecognized option '--bogus'
check|--timeout|option '--timeout' requires an argument
check|--timeout soon example.com|--timeout.*soon
check|a.example b.example|one DOMAIN
check||DOMAIN
collectd|--bogus|unrecognized option '--bogus'
collectd|--socket|option '--socket' requires an argument
collectd|--socket S --batch lots|--batch.*lots
collectd|--socket S extra|unexpected argument "extra"
config|--bogus|unrecognized option '--bogus'
config|--config|option '--config' requires an argument
config|no_such_parameter|unknown parameter 'no_such_parameter'
fetch|--bogus|unrecognized option '--bogus'
fetch|--db|option '--db' requires an argument
fetch|maildir a b c|too many arguments
fetch||(source|SOURCE|missing)
parse|--bogus|unrecognized option '--bogus'
parse|--db|option '--db' requires an argument
policyd|--bogus|unrecognized option '--bogus'
policyd|--socket|option '--socket' requires an argument
policyd|--workers many|--workers.*many
policyd|extra|unexpected argument "?extra
prune|--bogus|unrecognized option '--bogus'
prune|--older-than|option '--older-than' requires an argument
prune|--batch lots|--batch lots
prune|--older-than later|--older-than "later": not
prune|--older-than 12h|--older-than 12h: less than 1 day ago
prune|extra|unexpected argument "extra"
reportd|--bogus|unrecognized option '--bogus'
reportd|--jitter|option '--jitter' requires an argument
reportd|--jitter lots|--jitter lots
reportd|--fake-clock noon|--fake-clock "noon": not
reportd|extra|unexpected argument "extra"
send|--bogus|unrecognized option '--bogus'
send|--day|option '--day' requires an argument
send|--timeout x|--timeout.*x
send|--day 2026-02-30|--day "2026-02-30": not a calendar date
send|--suppress mailto:a@b.example|--until
send|extra|unexpected argument "extra"
serve|--bogus|unrecognized option '--bogus'
serve|--listen|option '--listen' requires an argument
serve|--threads many|--threads.*many
serve|extra|unexpected argument "extra"
summary|--bogus|unrecognized option '--bogus'
summary|--since|option '--since' requires an argument
summary|--since 2026-13-01|--since "2026-13-01": not a calendar date
summary|--until 25h ago|unexpected argument "ago"
summary|extra|unexpected argument "extra"
user|--bogus|unrecognized option '--bogus'
user|add|add: missing NAME
user|add bob --db|option '--db' requires an argument
user|frobnicate bob|unknown verb "frobnicate"
user|add bob carol|unexpected argument "carol"
version|--bogus|unrecognized option "--bogus"
version|extra|unexpected argument "extra"
EOT

# Every command `tlsrpt help` lists has rows.
cmds=$("$TLSRPT" help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
missing=""
for c in $cmds; do grep -q "^$c|" "$dir/table" || missing="$missing $c"; done
if [ -n "$cmds" ] && [ -z "$missing" ]; then ok "the table covers every command ($(echo $cmds))"
else fail "commands without rows:$missing"; fi

while IFS='|' read -r cmd args want; do
	# shellcheck disable=SC2086  # args is a list of words
	timeout 10 "$TLSRPT" "$cmd" $args < /dev/null > "$dir/out" 2> "$dir/err"
	rc=$?
	first=$(head -n 1 "$dir/err")
	if [ "$rc" = 2 ] && [ -s "$dir/err" ] && ! echo "$first" | grep -q '^usage:' &&
	   echo "$first" | grep -Eq -- "$want" && echo "$first" | grep -q "^tlsrpt[ :]"; then
		ok "tlsrpt $cmd $args: exit 2, says: $first"
	else
		fail "tlsrpt $cmd $args: want exit 2 and a first line \"tlsrpt…$want…\"" \
			"exit $rc" "stderr: $(head -n 3 "$dir/err")" "stdout: $(head -n 2 "$dir/out")"
	fi
	# the usage or a hint to --help follows
	if [ "$rc" = 2 ] && ! grep -Eq -- "^usage: tlsrpt $cmd|tlsrpt $cmd --help" "$dir/err"; then
		fail "tlsrpt $cmd $args: neither the usage nor a hint to --help" "$(cat "$dir/err")"
	fi
done < "$dir/table"

# prune --older-than takes days alone or any date (model/when.h); 36500
# days ago is before 1970 (a negative limit, once taken for "not given")
for arg in 400 36500 2000-01-01 90d 2000-01-01T02:00:00+02:00; do
	"$TLSRPT" prune --older-than "$arg" > "$dir/out" 2> "$dir/err"
	rc=$?
	if [ "$rc" = 0 ] && grep -q "^deleted 0 reports.* from before [0-9-]*T" "$dir/out"; then
		ok "prune --older-than $arg: $(head -n 1 "$dir/out")"
	else fail "prune --older-than $arg" "exit $rc" "$(cat "$dir/out" "$dir/err")"; fi
done

# `user add` without a terminal: one reason, not a second "no password read"
# (setsid: no controlling terminal even when the tests run in one)
setsid -w "$TLSRPT" user add bob < /dev/null > /dev/null 2> "$dir/err"
rc=$?
reasons=$(grep -v "^Try 'tlsrpt user --help'" "$dir/err")
if [ "$rc" != 0 ] && [ "$(echo "$reasons" | wc -l)" = 1 ] &&
   echo "$reasons" | grep -q "no terminal.*--password-stdin"; then
	ok "user add without a terminal: one error, the reason ($reasons)"
else fail "user add without a terminal: want the one line \"no terminal…\"" "exit $rc" "$(cat "$dir/err")"; fi
tap_done
