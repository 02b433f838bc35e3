# serve_common.sh: what the integration tests of `tlsrpt serve`'s intake
# share (test_serve_durability.sh, test_serve_pg.sh, test_serve_load.sh).
# Sourced after tap.sh; uses $TLSRPT, $TLSRPT_SRC and $TLSRPT_O.  The
# caller's cleanup kills $pid and $lpid (set here) and removes its files.

# the report every client POSTs, with a new report-id each
sample=$TLSRPT_SRC/tests/corpus/Neztore+tls-rpt-monitor/microsoft-report.json
pid=""
lpid=""

# The C load generator (bench/serve_load.c) as $LOAD; a failed test and
# status 1 when it is not built.
serve_load_built() {
	LOAD="$TLSRPT_SRC/${TLSRPT_O:-build}/bench/serve_load"
	case "${TLSRPT_O:-build}" in /*) LOAD="$TLSRPT_O/bench/serve_load" ;; esac
	[ -x "$LOAD" ] && return 0
	fail "the load generator is built ($LOAD: make builds bench/serve_load.c)"
	return 1
}

# serve_start DIR DB [ARG...]: starts tlsrpt serve on the store DB, taking
# reports of every domain on a loopback port and serving /metrics on
# another; output in DIR/serve.out and DIR/serve.err.  Sets pid, port and
# dport; status 1 when it did not start within 10 s.
serve_start() {
	sdir=$1 sdb=$2
	shift 2
	"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth \
		--accept-domain "*" --db "$sdb" -q "$@" > "$sdir/serve.out" 2> "$sdir/serve.err" &
	pid=$!
	port=""
	for _ in $(seq 1 200); do
		port=$(sed -n 's/^listening on .* port \([0-9]*\) .*/\1/p' "$sdir/serve.out")
		dport=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$sdir/serve.out")
		[ -n "$port" ] && [ -n "$dport" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

# serve_stop [SIGNAL]: stops the server started last (SIGTERM by default).
serve_stop() {
	kill "-${1:-TERM}" "$pid"
	wait "$pid" 2>/dev/null
	pid=""
}

# serve_kill_under_load DIR PREFIX AT COUNT LIST: 64 clients POST reports
# (report-ids PREFIX-…) until `COUNT PREFIX` prints AT or more (at most
# 20 s), then serve is killed with SIGKILL.  Sets nok (reports answered
# 200) and missing (how many of them `LIST PREFIX`, the report-ids in the
# store, lacks); the generator's output is in DIR/load-PREFIX, the ids
# missing in DIR/missing-PREFIX.
serve_kill_under_load() {
	kdir=$1 kpre=$2 kat=$3 kcount=$4 klist=$5
	"$LOAD" "$port" 1000000 64 "$sample" "$kpre" "$kdir/ids-$kpre" > "$kdir/load-$kpre" 2>&1 &
	lpid=$!
	for _ in $(seq 1 200); do
		kn=$("$kcount" "$kpre" 2>/dev/null)
		[ "${kn:-0}" -ge "$kat" ] 2>/dev/null && break
		sleep 0.1
	done
	serve_stop KILL
	wait "$lpid"
	lpid=""
	sort "$kdir/ids-$kpre" > "$kdir/ok-$kpre"
	"$klist" "$kpre" | sort > "$kdir/instore-$kpre"
	comm -23 "$kdir/ok-$kpre" "$kdir/instore-$kpre" > "$kdir/missing-$kpre"
	nok=$(wc -l < "$kdir/ok-$kpre")
	missing=$(wc -l < "$kdir/missing-$kpre")
}
