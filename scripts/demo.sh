#!/bin/sh
# demo.sh PROGRAM: `make demo`.  Ingests every sample report under
# tests/corpus into a fresh SQLite store, then prints the summary and the
# one command that opens the dashboard on it.
# The corpus holds one deliberate non-report (a cron mail, see
# tests/corpus/MANIFEST.tsv): it must be refused with a clear message
# without stopping the rest.  The per-report lines and the warnings about
# sender mistakes go to a log file that is named; the screen gets the
# counts, what was refused and the summary.
set -u
tlsrpt=${1:-build/tlsrpt}
[ -x "$tlsrpt" ] || { echo "demo: $tlsrpt not built (run make)" >&2; exit 1; }
dir=$(mktemp -d /tmp/tlsrpt-demo.XXXXXX) || exit 1
db="sqlite:$dir/demo.db"
files=$(find tests/corpus -type f ! -name '*.md' ! -name '*.tsv' | sort)
n=$(echo "$files" | wc -l)

echo "== tlsrpt demo: $n sample files from tests/corpus into $db"
echo
# shellcheck disable=SC2086
"$tlsrpt" parse -v --db "$db" $files > "$dir/parse.log" 2>&1
rc=$?
mistakes=$(grep -cE ': (lenient|warning|note): ' "$dir/parse.log")
echo "   $(tail -n 1 "$dir/parse.log")"
echo "   ($mistakes warnings and notes about sender mistakes, each report's line: $dir/parse.log)"
case $rc in
0) echo "== parse: every file held a report (exit 0)" ;;
1) echo "== parse: done (exit 1); refused and skipped, the rest stored:"
   grep -E ': (no report found|unreadable|not a valid report|open|input larger)' "$dir/parse.log" |
	sed 's/^/   /' ;;
*) echo "== parse failed (exit $rc)"; exit "$rc" ;;
esac
echo
echo "== the same files again: everything is a duplicate now"
# shellcheck disable=SC2086
"$tlsrpt" parse -v --db "$db" $files 2>&1 | tail -n 1
echo
echo "== summary of all stored reports (tlsrpt summary --since 2000-01-01)"
"$tlsrpt" summary --db "$db" --since 2000-01-01 || exit 1
echo
echo "The store is kept at $dir/demo.db; try:"
echo "  $tlsrpt summary --db $db --since 2000-01-01 --domain example.com --json"
echo "  $tlsrpt summary --db $db --since 2000-01-01 --csv"
echo
root=""
[ "$(id -u)" = 0 ] && root=" --allow-root"     # daemons refuse root unless told
echo "== the dashboard: start it on the demo store (loopback only, no login for the demo)"
echo "  $tlsrpt serve --db $db --listen 127.0.0.1:8460 --dashboard-listen 127.0.0.1:8461 --no-auth$root"
echo "and open http://127.0.0.1:8461/?period=all in a browser (Ctrl-C stops it)."
echo "On a server, the dashboard needs users: tlsrpt user add NAME --admin (tlsrpt-serve(1))."
