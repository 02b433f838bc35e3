#!/bin/sh
# bench_serve: reports stored per second by the HTTP(S) intake of
# `tlsrpt serve` (RFC 8460 §3, plain HTTP here), with group commit
# (src/serve/intake.h), against the targets of issue 12:
#   >= 20 000 reports/s on SQLite, >= 10 000 reports/s on PostgreSQL,
#   with 64 concurrent clients.
#
# BENCH_SERVE_N distinct reports (default 20000: the Microsoft report of
# the corpus with a new report-id each, ~1 KB of JSON) are POSTed over
# BENCH_SERVE_CLIENTS keep-alive connections (default 64) by the C load
# generator bench/serve_load.c (one epoll thread; its own CPU is printed:
# the Python generator could not send 20 000/s).  The server runs with
# its default 4 worker threads and --per-ip-limit 128 (all clients come
# from 127.0.0.1).  Printed per store: reports/s answered 200 (their
# number checked in the store afterwards), the ratio to the target, the server's
# CPU time per report (/proc/PID/stat: the machine is shared, wall-clock
# rates vary with the load, CPU per report less), and the commits made.
#
# The server runs with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, as the
# systemd unit runs it (BENCH_SERVE_THP=0: without).
# SQLite always; PostgreSQL when BENCH_SERVE_DB=postgresql://… is given,
# or else when tests/components/pg.sh can start a server here (not with
# BENCH_SERVE_PG=no).
set -u
N=${BENCH_SERVE_N:-20000}
C=${BENCH_SERVE_CLIENTS:-64}
SRC=${TLSRPT_SRC:-.}
O=${TLSRPT_O:-build}
LOAD="$SRC/$O/bench/serve_load"
case "$O" in /*) LOAD="$O/bench/serve_load" ;; esac
SAMPLE="$SRC/tests/corpus/Neztore+tls-rpt-monitor/microsoft-report.json"
T=$(mktemp -d /tmp/bench_serve.XXXXXX)
chmod 755 "$T"
pid=
pgdir=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$pgdir" ] && bash "$SRC/tests/components/pg.sh" stop "$pgdir" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
if [ ! -x "$LOAD" ]; then
	echo "bench_serve: $LOAD is not built (make $O/bench/serve_load)"
	exit 1
fi

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# the CPU ticks of serve's store writer threads (named intake-writer:
# one on SQLite, --intake-writers on PostgreSQL), summed
wticks() {
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = intake-writer ] && cat "$t/stat"
	done | awk '{ s += $14 + $15 } END { print s + 0 }'
}

# the CPU ticks of the PostgreSQL server started here (the postmaster and
# its children: serve's backend does the SQL work); empty otherwise
pgticks() {
	[ -n "$pgdir" ] && [ -f "$pgdir/data/postmaster.pid" ] || return 0
	pm=$(head -n 1 "$pgdir/data/postmaster.pid")
	for p in "$pm" $(pgrep -P "$pm"); do cat "/proc/$p/stat" 2>/dev/null; done |
		awk '{ s += $14 + $15 } END { print s + 0 }'
}

# The server runs as its systemd unit runs it: malloc's heaps on huge pages
# (GLIBC_TUNABLES=glibc.malloc.hugetlb=1); BENCH_SERVE_THP=0 runs it without.
if [ "${BENCH_SERVE_THP:-1}" = 0 ]; then SERVE_TUNABLES=${GLIBC_TUNABLES:-}
else SERVE_TUNABLES=glibc.malloc.hugetlb=1; fi
echo "bench_serve: server run with GLIBC_TUNABLES=${SERVE_TUNABLES:-(unset)} (the systemd unit sets glibc.malloc.hugetlb=1; BENCH_SERVE_THP=0 runs without)"

# run NAME DB_URL TARGET: one server, one load, one line of figures
run() {
	name=$1 db=$2 target=$3
	GLIBC_TUNABLES=$SERVE_TUNABLES "$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth \
		--accept-domain "*" --per-ip-limit 128 --db "$db" -q >"$T/log" 2>&1 &
	pid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:[0-9]* port \([0-9]*\).*/\1/p' "$T/log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	dport=$(sed -n 's/^dashboard on .* port \([0-9]*\).*/\1/p' "$T/log")
	if [ -z "$port" ] || [ -z "$dport" ]; then
		echo "bench_serve: $name: the server did not start: $(cat "$T/log")"
		kill "$pid" 2>/dev/null
		pid=
		return 1
	fi
	tag="bench-$name-$(date +%s%N)"
	c0=$(ticks "$pid")
	w0=$(wticks "$pid")
	p0=$(pgticks)
	"$LOAD" "$port" "$N" "$C" "$SAMPLE" "$tag" "$T/ids" > "$T/load" 2>&1
	c1=$(ticks "$pid")
	w1=$(wticks "$pid")
	p1=$(pgticks)
	curl -s "http://127.0.0.1:$dport/metrics" > "$T/metrics"
	kill "$pid"
	wait "$pid" 2>/dev/null
	pid=
	res=$(sed -n 's/^RESULT //p' "$T/load")
	if [ -z "$res" ]; then
		echo "bench_serve: $name: the load generator failed: $(cat "$T/load")"
		return 1
	fi
	eval "$res"
	# every report answered 200 is in the store
	case "$db" in
	sqlite:*) instore=$(sqlite3 "${db#sqlite:}" \
		"SELECT COUNT(*) FROM reports WHERE report_id LIKE '$tag-%'" 2>&1) ;;
	*) instore=$(psql -Atq "$db" \
		-c "SELECT COUNT(*) FROM reports WHERE report_id LIKE '$tag-%'" 2>&1) ;;
	esac
	commits=$(sed -n 's/^tlsrpt_intake_commits_total \([0-9]*\).*/\1/p' "$T/metrics")
	writers=$(sed -n 's/^tlsrpt_intake_writers \([0-9]*\).*/\1/p' "$T/metrics")
	awk -v name="$name" -v n="$n" -v c="$C" -v ok="$ok" -v rate="$rate" -v secs="$secs" \
	    -v target="$target" -v t0="$c0" -v t1="$c1" -v hz="$(getconf CLK_TCK)" \
	    -v gcpu="$cpu" -v commits="${commits:-?}" -v instore="$instore" \
	    -v w0="${w0:-0}" -v w1="${w1:-0}" -v ncpu="$(nproc)" \
	    -v p0="${p0:-}" -v p1="${p1:-}" -v nw="${writers:-1}" 'BEGIN {
		ok_rate = ok / secs
		okn = ok > 0 ? ok : 1
		cpu_us = (t1 - t0) / hz * 1e6 / okn
		w_us = (w1 - w0) / hz * 1e6 / okn
		printf "bench_serve: %-10s %d reports, %d clients: %6.0f reports/s stored" \
		       " (target %d: ratio %.2f), server CPU %.0f us per report" \
		       " (%d store writer threads %.0f us), %s commits, generator CPU %.2f s%s\n",
		       name, n, c, ok_rate, target, ok_rate / target, cpu_us, nw, w_us,
		       commits, gcpu,
		       ok == n ? "" : sprintf(" INCOMPLETE: %d of %d answered 200", ok, n)
		# what the CPU costs allow on an idle machine: each writer is
		# serial, the rest spreads over the CPUs
		if (w_us > 0 && cpu_us > 0) {
			lim_w = (nw < ncpu ? nw : ncpu) * 1e6 / w_us
			lim_c = ncpu * 1e6 / cpu_us
			lim = lim_w < lim_c ? lim_w : lim_c
			printf "bench_serve: %-10s CPU bound on an idle %d-CPU machine:" \
			       " %.0f reports/s (writers alone %.0f/s, all CPUs %.0f/s):" \
			       " ratio %.2f to the target\n",
			       name, ncpu, lim, lim_w, lim_c, lim / target
		}
		# the CPU of the PostgreSQL server (one started here only): it shares the CPUs
		if (name == "postgresql" && p0 != "" && p1 != "") {
			pg_us = (p1 - p0) / hz * 1e6 / okn
			lim_all = ncpu * 1e6 / (cpu_us + pg_us)
			printf "bench_serve: %-10s PostgreSQL server CPU %.0f us per report;" \
			       " serve and PostgreSQL together on an idle %d-CPU machine:" \
			       " %.0f reports/s: ratio %.2f to the target\n",
			       name, pg_us, ncpu, lim_all, lim_all / target
		}
		if (instore != ok)
			printf "bench_serve: %s: %d answered 200 but the store holds %s of them\n",
			       name, ok, instore
	}'
}

run sqlite "sqlite:$T/db.sqlite" 20000

pgurl=${BENCH_SERVE_DB:-}
if [ -z "$pgurl" ] && [ "${BENCH_SERVE_PG:-yes}" != no ] && command -v bash >/dev/null &&
   [ -f "$SRC/tests/components/pg.sh" ]; then
	pgdir="$T/pg"
	if bash "$SRC/tests/components/pg.sh" start "$pgdir" > "$T/pg.log" 2>&1; then
		pgurl=$(sed -n 's/^export DATABASE_URL=//p; s/^DATABASE_URL=//p' "$pgdir/env" |
			tr -d "'\"" | head -n 1)
	else
		echo "bench_serve: postgresql: not measured (tests/components/pg.sh: $(tail -n 1 "$T/pg.log"))"
		pgdir=
	fi
fi
[ -n "$pgurl" ] && run postgresql "$pgurl" 10000
exit 0
