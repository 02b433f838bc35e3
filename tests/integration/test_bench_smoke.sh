#!/bin/sh
# Every benchmark under bench/ (programs and scripts) still builds, runs to
# the end on a tiny input and prints its figure lines (no INCOMPLETE run, no
# send or decode error), here under the sanitizers of the build.  Nothing is timed:
# the figures themselves are for `make bench` (bench/README.md).
. "$(dirname "$0")/tap.sh"
B="$TLSRPT_SRC/$TLSRPT_O/bench"
[ -d "$B" ] || skip_all "no benchmark programs in $B"
T=$(mktemp -d /tmp/tlsrpt-benchsmoke.XXXXXX)
trap 'rm -rf "$T"' EXIT

# figures_ok FILE PATTERN COUNT: FILE has PATTERN (grep) on COUNT lines or
# more, never "INCOMPLETE" and no non-zero error count.
figures_ok() {
	[ "$(grep -c -- "$2" "$1")" -ge "$3" ] &&
		! grep -qE -- "INCOMPLETE|[1-9][0-9]* (send )?errors" "$1"
}

# bench NAME PATTERN COUNT [ENV=… …] -- ARGS…: runs $B/NAME; passes when it
# exits 0 and its output is figures_ok.
bench() {
	name=$1 pat=$2 want=$3
	shift 3
	envs=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs="$envs $1"; shift; done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	case "$name" in
	*.sh) prog="sh $TLSRPT_SRC/bench/$name" ;;
	*) prog="$B/$name" ;;
	esac
	# shellcheck disable=SC2086
	if env $envs $prog "$@" >"$T/$name.out" 2>"$T/$name.err"; then rc=0; else rc=$?; fi
	got=$(grep -c -- "$pat" "$T/$name.out")
	if [ "$rc" = 0 ] && figures_ok "$T/$name.out" "$pat" "$want"; then
		ok "$name runs and prints its $want figure line(s)"
	else
		fail "$name (exit $rc, $got of $want lines matching '$pat')" \
			"$(tail -5 "$T/$name.out")" "$(tail -5 "$T/$name.err")"
	fi
}

bench bench_lib "us/event" 4 BENCH_LIB_N=2000 --
bench bench_collectd "results/s" 4 BENCH_COLLECTD_N=3000 --
bench bench_store_results "results/s" 1 -- 3000 300
bench bench_policyd "lookups/s" 2 BENCH_POLICYD_N=2000 --
bench bench_parse_json "reports/s" 2 BENCH_SECONDS=0.2 --
bench bench_datetime "of a report parse" 1 BENCH_SECONDS=0.1 --
bench bench_parse.sh "anchor: " 2 BENCH_PARSE_N=40 BENCH_PARSE_EML=10 BENCH_PARSE_RUNS=1 --
bench bench_ingest_mail "messages/s" 1 --
bench bench_aggregate "reports/s" 1 -- 500
bench bench_dashboard "server CPU" 9 -- 300 30 10
bench bench_serve.sh "reports/s stored" 1 BENCH_SERVE_N=30 BENCH_SERVE_PG=no --
bench bench_serve_auth.sh "requests/s" 7 BENCH_AUTH_N=40 BENCH_AUTH_CLIENTS=2 --
bench bench_journal "per datagram" 1 BENCH_JOURNAL_N=2000 --
bench bench_json_libs.sh "jansson  datagram" 1 BENCH_JSON_N=200 --
# the reporter's table: its data row for 200 domains with 200 reports
# written, not the header or the footer (both say "reports/s")
reporter_row='^ *200 \{1,\}200 '
bench bench_reporter.sh "$reporter_row" 1 BENCH_REPORTER_SIZES=200 --
# and that check refuses the table without a data row (no size to run)
BENCH_REPORTER_SIZES=" " sh "$TLSRPT_SRC/bench/bench_reporter.sh" > "$T/reporter-none.out" 2>&1
if grep -q "reports/s" "$T/reporter-none.out" && ! figures_ok "$T/reporter-none.out" "$reporter_row" 1; then
	ok "the bench_reporter.sh check needs a data row: header and footer alone fail it"
else
	fail "the bench_reporter.sh check passes a table without a data row" "$(cat "$T/reporter-none.out")"
fi
# bench_collectd_drain raises net.unix.max_dgram_qlen for its run: it needs
# root, 2 CPUs and a writable /proc/sys (not so in every container).
qlen=$(cat /proc/sys/net/unix/max_dgram_qlen 2>/dev/null)
if [ "$(id -u)" = 0 ] && [ "$(nproc)" -ge 2 ] && [ -n "$qlen" ] &&
   (echo "$qlen" > /proc/sys/net/unix/max_dgram_qlen) 2>/dev/null; then
	bench bench_collectd_drain "results/s" 2 BENCH_COLLECTD_N=3000 --
	[ "$(cat /proc/sys/net/unix/max_dgram_qlen)" = "$qlen" ] &&
		ok "bench_collectd_drain puts net.unix.max_dgram_qlen back ($qlen)" ||
		fail "bench_collectd_drain left net.unix.max_dgram_qlen changed" \
			"before $qlen, after $(cat /proc/sys/net/unix/max_dgram_qlen)"
else
	ok "# SKIP bench_collectd_drain needs root, 2 CPUs and a writable /proc/sys"
fi
tap_done
