#!/bin/sh
# bench_reporter.sh: the reporter end to end, as issue 12 measures it:
# `tlsrpt send --dry-run` over N policy domains of one day (store read,
# _smtp._tls lookups through a local unbound, aggregate, JSON, gzip,
# mail, one file pair per domain written), for each N in
# BENCH_REPORTER_SIZES (default "1000 10000"; 100000 and the 1M figure
# are run by hand: BENCH_REPORTER_SIZES=1000000 takes tens of minutes on
# a loaded 2-CPU machine and writes two files per domain).
# The store is filled through store_put_results() (the collector's path,
# tests/integration/put_results.c); that time is printed apart.
# Prints per size: seconds (wall, on a loaded machine), reports/s, and
# the growth factor per 10x domains (linear: 10x; the old read was
# quadratic).  Anchor: sys4 reportd 169 s / 968 s for 1k / 10k domains
# (issue 12); target: 1M in < 120 s.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-${TLSRPT_O:-build}}
TLSRPT=${TLSRPT:-$SRC/$O/tlsrpt}
SIZES=${BENCH_REPORTER_SIZES:-1000 10000}
T=$(mktemp -d /tmp/tlsrpt-bench-reporter.XXXXXX)
trap '"$SRC/tests/components/dns.sh" stop "$T/dns" >/dev/null 2>&1; rm -rf "$T"' EXIT
command -v unbound >/dev/null || { echo "bench_reporter: unbound missing, skipped"; exit 0; }
mkdir -p "$T/dns/zones"
cat > "$T/dns/zones/example.test.zone" <<'ZONE'
$ORIGIN example.test.
$TTL 300
@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
@ IN NS ns.example.test.
ns IN A 127.0.0.1
*  IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.test"
ZONE
"$SRC/tests/components/dns.sh" start "$T/dns" >/dev/null || { echo "bench_reporter: dns did not start"; exit 1; }
eval "$(cat "$T/dns/env")"
SAN=
nm "$SRC/$O/libtlsrpt-core.a" 2>/dev/null | grep -q __asan_ && SAN="-fsanitize=address,undefined"
PKGS="jansson zlib libarchive gmime-3.0 libcurl libunbound opendkim libmicrohttpd sqlite3 libpq libidn2 openssl"
# shellcheck disable=SC2046
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 $SAN -I"$SRC/src" $(pkg-config --cflags $PKGS) \
	-o "$T/put_results" "$SRC/tests/integration/put_results.c" "$SRC/$O/libtlsrpt-core.a" \
	$(pkg-config --libs $PKGS) -lopendkim -lpthread -lm || exit 1
D=2026-11-21; B=1795219200; NOW=$((B + 86400 + 3600))
now() { date +%s.%N; }
prev=
for n in $SIZES; do
	rm -rf "$T/dry" "$T/s.db"*; mkdir -p "$T/dry"
	t0=$(now)
	awk -v n="$n" -v d="$D" 'BEGIN { for (i = 0; i < n; i++) {
		f = (i % 10 == 0) ? 1 : 0
		printf "%s\td%d.example.test\tsts\td%d.example.test\tversion: STSv1|mode: enforce\tmx.example.test\t%d\t%d", d, i, i, 10, f
		if (f) printf "\tcertificate-expired\t192.0.2.1\t192.0.2.25\tmx.example.test\t-"
		printf "\n" } }' | "$T/put_results" "sqlite:$T/s.db" || exit 1
	t1=$(now)
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" "$TLSRPT" send --db "sqlite:$T/s.db" \
		--resolver "127.0.0.1@$DNS_PORT" --submitter example.test --dry-run "$T/dry" \
		--day $D --now $NOW > "$T/out" 2> "$T/err" || { echo "bench_reporter: send failed:"; tail -3 "$T/err"; exit 1; }
	reports=$(ls "$T/dry" | grep -c '\.json\.gz$')
	read -r wall user sys rss < "$T/time"
	growth=
	[ -n "$prev" ] && growth=$(awk -v a="$wall" -v b="$prev" 'BEGIN { printf " growth x%.1f per x10 domains (linear: x10)", a / b }')
	awk -v n="$n" -v r="$reports" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v f="$(awk -v a="$t1" -v b="$t0" 'BEGIN{print a-b}')" -v g="$growth" 'BEGIN {
		printf "reporter %7d domains: %d reports in %.1f s (%.0f reports/s; cpu user %.1f s sys %.1f s; peak RSS %d MiB)%s; store filled in %.1f s\n", n, r, w, r / w, u, s, m / 1024, g, f
		if (n == 1000000) printf "  target: 1M in < 120 s: %s\n", (w < 120 ? "met" : "NOT met") }'
	prev=$wall
done
echo "anchor: sys4 reportd 169 s for 1 000 domains, 968 s for 10 000 (issue 12); before the step-5/6 index: 1.15 / 5.9 / 45.7 s for 1k/10k/100k, 1M killed after 759 s"
