#!/bin/sh
# The store against a real PostgreSQL 15 (tests/components/pg.sh):
# every store unit test program runs its cases on PostgreSQL too
# (TLSRPT_TEST_PG_URL), including several writer processes at once, and
# `tlsrpt parse` / `summary` work end to end with a postgresql:// URL.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
O=${TLSRPT_O:-build}
# pg.sh needs a short directory (unix socket path limit)
dir=$(mktemp -d /tmp/tpg.XXXXXX)
chmod 755 "$dir"
stop() { bash "$COMPONENTS/pg.sh" stop "$dir/pg" >/dev/null 2>&1; rm -rf "$dir"; }
trap stop EXIT
if ! bash "$COMPONENTS/pg.sh" start "$dir/pg" > "$dir/start.log" 2>&1; then
	fail "PostgreSQL did not start" "$(tail -n 5 "$dir/start.log")"
	tap_done
	exit 1
fi
eval "$(cat "$dir/pg/env")"
export TLSRPT_TEST_PG_URL="$DATABASE_URL"
ok "PostgreSQL started on 127.0.0.1:$PGPORT"

progs=$(find "$O/tests/unit/store" -type f -name 'test_*' ! -name '*.d' -perm -u+x | sort)
[ -n "$progs" ] || fail "no store test programs under $O/tests/unit/store (make test builds them)"
for t in $progs; do
	name=$(basename "$t")
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$dir/$name.log" 2>&1
	rc=$?
	# the second group in each program is the PostgreSQL one
	pg=$(sed -n '/^# ok - sqlite\|^# not ok - sqlite/,$p' "$dir/$name.log")
	npg=$(echo "$pg" | grep -c '^ok ')
	if [ "$rc" = 0 ] && echo "$pg" | grep -q '^# ok - postgresql' && [ "$npg" -gt 0 ]; then
		ok "$name: $npg cases pass on PostgreSQL (and on SQLite)"
	else
		fail "$name on PostgreSQL (exit $rc)" "$(grep -v '^ok ' "$dir/$name.log" | head -n 20)"
	fi
done

# the CLI gets a database of its own, untouched by the unit tests
bash "$COMPONENTS/pg.sh" psql "$dir/pg" -q -c "CREATE DATABASE cli OWNER tlsrpt" >/dev/null 2>&1 ||
	fail "CREATE DATABASE cli"
DATABASE_URL=${DATABASE_URL%/*}/cli
files="tests/corpus/mjl-+mox/microsoft.eml tests/corpus/stalwartlabs+mail-auth/rpt02.json"
"$TLSRPT" parse -v --db "$DATABASE_URL" $files > "$dir/parse1" 2>&1
r1=$?
"$TLSRPT" parse -v --db "$DATABASE_URL" $files > "$dir/parse2" 2>&1
if [ "$r1" = 0 ] && [ "$(grep -c '^stored ' "$dir/parse1")" = 2 ] &&
   [ "$(grep -c '^duplicate ' "$dir/parse2")" = 2 ]; then
	ok "tlsrpt parse --db postgresql://…: stored, then duplicates"
else fail "tlsrpt parse on PostgreSQL (exit $r1)" "$(cat "$dir/parse1" "$dir/parse2")"; fi
TLSRPT_DB="$DATABASE_URL" "$TLSRPT" summary --since 2000-01-01 --json > "$dir/sum" 2>&1
if grep -q '"domain": "test.xmox.nl"' "$dir/sum" && grep -q '"domain": "example.com"' "$dir/sum"; then
	ok "tlsrpt summary from PostgreSQL (TLSRPT_DB)"
else fail "summary from PostgreSQL" "$(head -c 400 "$dir/sum")"; fi
tap_done
