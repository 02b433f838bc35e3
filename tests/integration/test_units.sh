#!/bin/sh
# The systemd units of the Debian package (systemd/): `systemd-analyze
# verify` accepts each, and `systemd-analyze security --offline=yes` rates
# each service at an exposure of at most 2.0 ("OK").  The score of each is
# printed, and a service stripped of its hardening must score worse (the
# check can fail).  systemd need not be running.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
command -v systemd-analyze > /dev/null || { echo "ok 1 # SKIP systemd-analyze not installed"; exit 0; }
dir=$(mktemp -d /tmp/tlsrpt-units.XXXXXX)
trap 'rm -rf "$dir"' EXIT
MAX=2.0
# verify wants the programs named by ExecStart= to exist
for f in systemd/*.service systemd/*.timer; do
	sed "s|/usr/bin/tlsrpt|$TLSRPT|g" "$f" > "$dir/${f#systemd/}"
done
n=$(ls "$dir" | wc -l)
if [ "$n" -ge 10 ] && (cd "$dir" && systemd-analyze verify --man=no ./*.service ./*.timer) > "$dir/verify.log" 2>&1 &&
   [ ! -s "$dir/verify.log" ]; then
	ok "systemd-analyze verify: $n units, no complaint"
else fail "systemd-analyze verify" "$(cat "$dir/verify.log")"; fi
for want in collectd reportd serve dashboard policyd fetch alert prune; do
	[ -f "systemd/tlsrpt-$want.service" ] || fail "systemd/tlsrpt-$want.service is missing"
done
for t in fetch alert prune; do
	if grep -q "^OnCalendar=" "systemd/tlsrpt-$t.timer" 2>/dev/null; then :; else fail "tlsrpt-$t.timer has no OnCalendar="; fi
done

# score SERVICE-FILE: the overall exposure systemd-analyze gives it
score() {
	(cd "$(dirname "$1")" && systemd-analyze security --offline=yes "./$(basename "$1")" 2>&1) |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}
for f in "$dir"/*.service; do
	u=$(basename "$f")
	s=$(score "$f")
	grep -q '^User=_tlsrpt$' "$f" || fail "$u: not User=_tlsrpt"
	grep -q '^CapabilityBoundingSet=$' "$f" || fail "$u: capabilities not emptied"
	if [ -n "$s" ] && awk -v s="$s" -v m="$MAX" 'BEGIN { exit !(s <= m) }'; then
		ok "$u: exposure $s (<= $MAX)"
	else fail "$u: exposure '$s' above $MAX" "$(cd "$dir" && systemd-analyze security --offline=yes "./$u" 2>&1 | grep -v '✓' | head -n 30)"; fi
done
# the check can fail: the collector without its hardening
grep -v -e '^Protect' -e '^Private' -e '^Restrict' -e '^SystemCall' -e '^Capability' \
	-e '^NoNewPrivileges' "$dir/tlsrpt-collectd.service" > "$dir/bare.service"
s=$(score "$dir/bare.service")
if [ -n "$s" ] && awk -v s="$s" -v m="$MAX" 'BEGIN { exit !(s > m) }'; then
	ok "without its hardening the collector scores $s (> $MAX): the check bites"
else fail "the unhardened collector scores '$s'"; fi
tap_done
