#!/bin/sh
# Issue 16 and issue 10 item 4, through the real program: a mistyped store
# never becomes a new one; read-only commands work for a user who may only
# read (SQLite in a directory they cannot write; a PostgreSQL role granted
# SELECT only); no password in errors; secrets readable by others refused;
# the collector's socket mode and group; daemons refuse root and drop to
# --user; `tlsrpt prune` on SQLite (the file shrinks) and PostgreSQL.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
[ "$(id -u)" = 0 ] || { echo "ok 1 # SKIP needs root (runs commands as nobody)"; exit 0; }
dir=$(mktemp -d /tmp/tlp.XXXXXX)
chmod 755 "$dir"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	bash "$COMPONENTS/pg.sh" stop "$dir/pg" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
unset TLSRPT_DB TLSRPT_DATABASE_URL
export TLSRPT_CONFIG="$dir/empty.conf"
: > "$TLSRPT_CONFIG"
chmod 644 "$TLSRPT_CONFIG"
json=tests/golden/rfc-errata-6241.json
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env -u TLSRPT_ALLOW_ROOT "$@"; }

# --- a mistyped store ------------------------------------------------------
mkdir "$dir/cwd"
(cd "$dir/cwd" && "$TLSRPT" parse --db sqlite3:x.db "$TLSRPT_SRC/$json") > "$dir/out" 2>&1
rc=$?
if [ "$rc" = 3 ] && grep -q 'unknown scheme "sqlite3:"' "$dir/out" && [ -z "$(ls "$dir/cwd")" ]; then
	ok "sqlite3:x.db is an unknown scheme, no file x.db created"
else fail "sqlite3:x.db (exit $rc)" "$(cat "$dir/out")" "$(ls "$dir/cwd")"; fi
"$TLSRPT" summary --db "sqlite:$dir/none.db" > "$dir/out" 2>&1
rc=$?
if [ "$rc" = 3 ] && grep -q 'does not exist' "$dir/out" && [ ! -e "$dir/none.db" ]; then
	ok "summary on a store that does not exist says so and creates nothing"
else fail "summary on a missing store (exit $rc)" "$(cat "$dir/out")"; fi
"$TLSRPT" parse --db "sqlite:$dir/no/such/dir/t.db" "$json" > "$dir/out" 2>&1
if grep -q "directory $dir/no/such/dir does not exist" "$dir/out"; then
	ok "parse into a missing directory names the directory"
else fail "parse into a missing directory" "$(cat "$dir/out")"; fi
"$TLSRPT" summary --db "postgresql://u:hunter2@127.0.0.1:1/x?connect_timeout=2" > "$dir/out" 2>&1
"$TLSRPT" summary --db "pgsql://u:hunter2@127.0.0.1:1/x" >> "$dir/out" 2>&1
if ! grep -q hunter2 "$dir/out" && [ "$(grep -c store "$dir/out")" = 2 ]; then
	ok "store errors do not echo the password of the URL"
else fail "a password in an error" "$(cat "$dir/out")"; fi

# --- a user who may only read: SQLite ---------------------------------------
mkdir "$dir/ro"
"$TLSRPT" parse --db "sqlite:$dir/ro/t.db" "$json" > /dev/null 2>&1
mode=$(stat -c %a "$dir/ro/t.db")
if [ "$mode" = 640 ]; then ok "a new store is created mode 640"
else fail "a new store has mode $mode"; fi
chmod 644 "$dir/ro/t.db"
rm -f "$dir/ro/t.db-wal" "$dir/ro/t.db-shm"
chmod 755 "$dir/ro"         # nobody may read the file, not write the directory
if as_nobody "$TLSRPT" summary --db "sqlite:$dir/ro/t.db" --since 2016-01-01 > "$dir/out" 2>&1 &&
   grep -q 'company-y.example' "$dir/out"; then
	ok "summary as a user who may only read (mode-644 file, directory not writable)"
else fail "summary read-only" "$(cat "$dir/out")"; fi
if as_nobody "$TLSRPT" alert --dry-run --to a@example.com --db "sqlite:$dir/ro/t.db" > "$dir/out" 2>&1; then
	ok "alert --dry-run as a user who may only read"
else fail "alert --dry-run read-only" "$(cat "$dir/out")"; fi
as_nobody "$TLSRPT" parse --db "sqlite:$dir/ro/t.db" "$json" > "$dir/out" 2>&1
if grep -q 'not writable by uid' "$dir/out"; then ok "parse as that user says the store is not writable"
else fail "parse as a reader" "$(cat "$dir/out")"; fi
# (serve --read-only, the dashboard for such a user: test_serve_readonly.sh)

# --- secrets readable by others ----------------------------------------------
echo secret > "$dir/pw"
chmod 644 "$dir/pw"
"$TLSRPT" fetch imap "imap://u@127.0.0.1:1/INBOX" --password-file "$dir/pw" \
	--db "sqlite:$dir/f.db" > "$dir/out" 2>&1
if grep -q "password file $dir/pw is readable by others (mode 0644): refused" "$dir/out"; then
	ok "a password file readable by others is refused"
else fail "password file 0644" "$(cat "$dir/out")"; fi
chmod 640 "$dir/pw"
"$TLSRPT" fetch imap "imap://u@127.0.0.1:1/INBOX" --password-file "$dir/pw" \
	--db "sqlite:$dir/f.db" > "$dir/out" 2>&1
if ! grep -q "refused" "$dir/out"; then ok "a password file mode 640 (own group) is read"
else fail "password file 0640" "$(cat "$dir/out")"; fi
openssl genrsa -out "$dir/k.pem" 2048 2>/dev/null
chmod 604 "$dir/k.pem"
"$TLSRPT" send --submitter example.com --dkim-key "$dir/k.pem" --dkim-selector s \
	--db "sqlite:$dir/f.db" --sendmail /bin/true > "$dir/out" 2>&1
if grep -q "DKIM key $dir/k.pem is readable by others" "$dir/out"; then
	ok "a DKIM key readable by others is refused"
else fail "DKIM key 0604" "$(cat "$dir/out")"; fi

# --- the collector: socket mode and group, root refused, --user --------------
mkdir "$dir/lib"; chown nobody "$dir/lib"
env -u TLSRPT_ALLOW_ROOT "$TLSRPT" collectd --foreground --socket "$dir/c.sock" \
	--db "sqlite:$dir/lib/c.db" > "$dir/out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q 'refusing to run as root' "$dir/out" && [ ! -e "$dir/c.sock" ]; then
	ok "collectd started as root without --user refuses to run"
else fail "collectd as root (exit $rc)" "$(cat "$dir/out")"; fi
env -u TLSRPT_ALLOW_ROOT "$TLSRPT" collectd --foreground --socket "$dir/c.sock" \
	--socket-mode 0660 --socket-group nogroup --user nobody \
	--db "sqlite:$dir/lib/c.db" > "$dir/c.out" 2>&1 &
cpid=$!
pids="$pids $cpid"
i=0; while [ $i -lt 100 ] && [ ! -e "$dir/lib/c.db" ]; do sleep 0.1; i=$((i + 1)); done
sock=$(stat -c '%a %G' "$dir/c.sock" 2>&1)
uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$cpid/status" 2>/dev/null)
nob=$(id -u nobody)
owner=$(stat -c %U "$dir/lib/c.db" 2>&1)
if [ "$sock" = "660 nogroup" ] && [ "$uid" = "$nob $nob $nob $nob" ] && [ "$owner" = nobody ]; then
	ok "collectd --user nobody: socket 660 group nogroup, runs as nobody, store owned by nobody"
else fail "collectd --user" "socket: $sock" "uid: $uid" "store owner: $owner" "$(cat "$dir/c.out")"; fi
kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null

# --- prune: SQLite shrinks ---------------------------------------------------
for f in tests/golden/*.json tests/corpus/*/*.json; do echo "$f"; done | head -n 200 |
	xargs "$TLSRPT" parse --db "sqlite:$dir/p.db" > /dev/null 2>&1
before=$(stat -c %s "$dir/p.db")
n0=$(sqlite3 "$dir/p.db" 'SELECT COUNT(*) FROM reports')
"$TLSRPT" prune --older-than 1 --batch 7 --db "sqlite:$dir/p.db" > "$dir/out" 2>&1
rc=$?
after=$(stat -c %s "$dir/p.db")
n1=$(sqlite3 "$dir/p.db" 'SELECT COUNT(*) FROM reports')
if [ "$rc" = 0 ] && [ "$n0" -gt 20 ] && [ "$n1" = 0 ] && [ "$after" -lt "$before" ] &&
   grep -q "deleted $n0 reports" "$dir/out"; then
	ok "prune --older-than 1: $n0 reports deleted, file $before -> $after bytes"
else fail "prune on SQLite (exit $rc, $n0 -> $n1 reports, $before -> $after bytes)" "$(cat "$dir/out")"; fi
printf 'retention_days = 0\n' > "$dir/keep.conf"
"$TLSRPT" prune --config "$dir/keep.conf" --db "sqlite:$dir/p.db" > "$dir/out" 2>&1
if grep -q 'nothing pruned' "$dir/out"; then ok "retention_days = 0 keeps everything"
else fail "retention_days = 0" "$(cat "$dir/out")"; fi

# --- PostgreSQL: a read-only role; prune --------------------------------------
if ! bash "$COMPONENTS/pg.sh" start "$dir/pg" > "$dir/pg.log" 2>&1; then
	fail "PostgreSQL did not start" "$(tail -n 5 "$dir/pg.log")"
	tap_done; exit 1
fi
eval "$(cat "$dir/pg/env")"
"$TLSRPT" parse --db "$DATABASE_URL" tests/golden/*.json > /dev/null 2>&1
bash "$COMPONENTS/pg.sh" psql "$dir/pg" -q -c "CREATE ROLE reader LOGIN PASSWORD 'rpw'" \
	-c "GRANT CONNECT ON DATABASE tlsrpt TO reader" \
	-c "GRANT USAGE ON SCHEMA public TO reader" \
	-c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader" > "$dir/grant.log" 2>&1 ||
	fail "creating the read-only role" "$(cat "$dir/grant.log")"
rurl=$(echo "$DATABASE_URL" | sed 's|//tlsrpt:secret@|//reader:rpw@|')
if "$TLSRPT" summary --since 2016-01-01 --db "$rurl" > "$dir/out" 2>&1 && grep -q company-y "$dir/out"; then
	ok "summary with a PostgreSQL role granted SELECT only"
else fail "summary as a read-only role" "$(cat "$dir/out")"; fi
"$TLSRPT" parse --db "$rurl" "$json" > "$dir/out" 2>&1
if [ $? != 0 ] && ! grep -q rpw "$dir/out"; then ok "parse with that role fails, without showing its password"
else fail "parse as a read-only role" "$(cat "$dir/out")"; fi
"$TLSRPT" prune --older-than 1 --batch 5 --db "$DATABASE_URL" > "$dir/out" 2>&1
left=$(bash "$COMPONENTS/pg.sh" psql "$dir/pg" -At -c 'SELECT COUNT(*) FROM reports' 2>&1)
if [ "$left" = 0 ] && grep -q 'autovacuum' "$dir/out"; then
	ok "prune on PostgreSQL deletes the old reports (autovacuum reclaims)"
else fail "prune on PostgreSQL ($left left)" "$(cat "$dir/out")"; fi
tap_done
