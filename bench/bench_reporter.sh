#!/bin/sh
# bench_reporter.sh: the reporter end to end, as issue 12 measures it:
# `tlsrpt send --dry-run` over N policy domains of one day (store read,
# _smtp._tls lookups through a real local unbound, aggregate, JSON, gzip,
# mail, one file pair per domain written; gzip, mail and DKIM on the
# dry-run writer thread, file creation on its filer thread, the rest and
# the lookups (libunbound's event loop) on the main thread), for each N in
# BENCH_REPORTER_SIZES (default "1000 10000 100000"), and 1 000 000 too
# when BENCH_REPORTER_1M=1 (minutes: it fills a store of 1M domains and
# writes 2M files, ~8 GB of 4 KiB blocks; skipped with a note when the
# disk has less than 12 GB free).
# The unbound (tests/components/dns.sh) serves a zone with a wildcard TXT
# record, so every _smtp._tls.dN.example.test has a TLSRPT record; unbound
# answers from its authoritative local zone, no recursion.
# The store is filled through store_put_results() (the collector's path,
# tests/integration/put_results.c -b: batches of ~50 000 sessions per
# transaction); that time is printed apart and is not in the figures.
# Each size writes into a directory of its own and all are removed at the
# end: files created right after many were deleted are slow to create on
# a journal-less ext4 (the allocator skips recently deleted inodes), which
# would charge one size's clean-up to the next one's figure.
# BENCH_REPORTER_DIR: where the dry-run files go (default: the temporary
# directory, under /tmp).  The development VM's root filesystem is an ext4
# without a journal, on which the kernel checks every free inode it
# considers against its deletion time (recently_deleted()): for minutes
# after many files were deleted (any earlier benchmark's clean-up), each
# creation costs 120-175 µs instead of 18-20 µs on an ext4 with a journal
# (the Debian default), which is then most of the reporter's time.  The
# script says so when the directory is on such a filesystem; a journaled
# ext4 (a loop-mounted image will do) gives the figure a server would see.
# Prints a table: per size the reports written, wall and CPU seconds of
# `tlsrpt send` (user+sys, getrusage of the child: the machine may be
# shared), reports/s over wall time, peak RSS, growth of the CPU time per
# 10x domains (linear: 10x) and the anchor: sys4 reportd 169 s / 968 s for
# 1k / 10k domains (issue 12) as a ratio where one exists; target: 1M in
# < 120 s.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-${TLSRPT_O:-build}}
TLSRPT=${TLSRPT:-$SRC/$O/tlsrpt}
SIZES=${BENCH_REPORTER_SIZES:-1000 10000 100000}
[ "${BENCH_REPORTER_1M:-0}" = 1 ] && SIZES="$SIZES 1000000"
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
PKGS=$(cat "$SRC/scripts/pkgs.txt")    # the Makefile's PKGS
# shellcheck disable=SC2046
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 $SAN -I"$SRC/src" $(pkg-config --cflags $PKGS) \
	-o "$T/put_results" "$SRC/tests/integration/put_results.c" "$SRC/$O/libtlsrpt-core.a" \
	$(pkg-config --libs $PKGS) -lopendkim -lresolv -lpthread -lm || exit 1
OUT=${BENCH_REPORTER_DIR:-$T}
[ "$OUT" = "$T" ] || { OUT=$(mktemp -d "$OUT/tlsrpt-bench-reporter.XXXXXX") || exit 1
	trap '"$SRC/tests/components/dns.sh" stop "$T/dns" >/dev/null 2>&1; rm -rf "$T" "$OUT"' EXIT; }
# the ext4 device under OUT, and whether it has a journal (/sys/fs/ext4)
dev=$(df -P "$OUT" | awk 'NR == 2 { sub(".*/", "", $1); print $1 }')
if [ "$(cat "/sys/fs/ext4/$dev/journal_task" 2>/dev/null)" = "<none>" ]; then
	echo "bench_reporter: $OUT is on an ext4 without a journal: file creation there is slowed" \
	     "for minutes after many deletions (see the top of this script); BENCH_REPORTER_DIR" \
	     "on a journaled filesystem gives a server's figure"
fi
D=2026-11-21; B=1795219200; NOW=$((B + 86400 + 3600))
now() { date +%s.%N; }
printf '%9s %9s %8s %8s %10s %8s %9s %13s %s\n' domains reports "wall s" "cpu s" reports/s "RSS MiB" "fill s" "cpu growth" "sys4 reportd (ratio)"
prev=
for n in $SIZES; do
	if [ "$n" -ge 1000000 ] && [ "$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')" -lt 12000000 ]; then
		echo "reporter $n domains: skipped, less than 12 GB free in $OUT"
		continue
	fi
	rm -f "$T/s.db"*; mkdir -p "$OUT/dry$n"
	t0=$(now)
	awk -v n="$n" -v d="$D" 'BEGIN { for (i = 0; i < n; i++) {
		f = (i % 10 == 0) ? 1 : 0
		printf "%s\td%d.example.test\tsts\td%d.example.test\tversion: STSv1|mode: enforce\tmx.example.test\t%d\t%d", d, i, i, 10, f
		if (f) printf "\tcertificate-expired\t192.0.2.1\t192.0.2.25\tmx.example.test\t-"
		printf "\n" } }' | "$T/put_results" -b "sqlite:$T/s.db" || exit 1
	t1=$(now)
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" "$TLSRPT" send --db "sqlite:$T/s.db" \
		--resolver "127.0.0.1@$DNS_PORT" --submitter example.test --dry-run "$OUT/dry$n" \
		--day $D --now $NOW > "$T/out" 2> "$T/err" || { echo "bench_reporter: send failed:"; tail -3 "$T/err"; exit 1; }
	reports=$(find "$OUT/dry$n" -name '*.json.gz' | wc -l)
	read -r wall user sys rss < "$T/time"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	growth=-
	[ -n "$prev" ] && growth=$(awk -v a="$cpu" -v b="$prev" 'BEGIN { printf "x%.1f/x10", a / b }')
	anchor=-
	case $n in
	1000) anchor=$(awk -v w="$wall" 'BEGIN { printf "169 s (%.0fx)", 169 / w }') ;;
	10000) anchor=$(awk -v w="$wall" 'BEGIN { printf "968 s (%.0fx)", 968 / w }') ;;
	1000000) anchor=$(awk -v w="$wall" 'BEGIN { printf "- (target < 120 s: %s)", w < 120 ? "met" : "NOT met" }') ;;
	esac
	awk -v n="$n" -v r="$reports" -v w="$wall" -v c="$cpu" -v m="$rss" -v g="$growth" -v a="$anchor" \
	    -v f="$(awk -v a="$t1" -v b="$t0" 'BEGIN{print a-b}')" 'BEGIN {
		printf "%9d %9d %8.1f %8.1f %10.0f %8d %9.1f %13s %s\n", n, r, w, c, r / (w > 0 ? w : 0.01), m / 1024, f, g, a }'
	[ "$reports" = "$n" ] || echo "bench_reporter: INCOMPLETE: $reports reports for $n domains"
	prev=$cpu
	# the same domains with a resolver that answers nothing (nothing
	# listens on 127.0.0.1:9): every lookup is deferred, none is lost;
	# after DNS_UNREACHABLE_AFTER timeouts in a row the rest are not
	# waited for (src/net/dns.c); before that, 80.1 s for 1 000 domains
	if [ "$n" = 1000 ] && [ "${BENCH_REPORTER_DEAD:-1}" = 1 ]; then
		mkdir -p "$T/dead"
		t0=$(now)
		"$TLSRPT" send --db "sqlite:$T/s.db" --resolver 127.0.0.1@9 --submitter example.test \
			--dry-run "$T/dead" --day $D --now $NOW > "$T/dead.out" 2> "$T/dead.err"
		t1=$(now)
		awk -v w="$(awk -v a="$t1" -v b="$t0" 'BEGIN{print a-b}')" \
		    -v d="$(sed -n 's/.* \([0-9]*\) lookup deferred.*/\1/p' "$T/dead.err" | head -n 1)" \
		    -v f="$(find "$T/dead" -name '*.json.gz' | wc -l)" 'BEGIN {
			printf "dead resolver, 1000 domains: %.1f s wall, %d lookups deferred (kept, retried" \
			       " later), %d report files; before (a87d966): 80.1 s, 1000 deferred: %.1fx faster\n",
			       w, d, f, 80.1 / (w > 0 ? w : 0.01) }'
		rm -rf "$T/dead"
	fi
done
echo "reports/s over wall time; cpu = user + sys of tlsrpt send (not unbound's); the machine may be shared (load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "anchor: sys4 reportd 169 s for 1 000 domains, 968 s for 10 000 (issue 12); target 1M in < 120 s (BENCH_REPORTER_1M=1)"
