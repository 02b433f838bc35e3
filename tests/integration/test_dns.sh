#!/bin/sh
# net/dns against a real resolver: starts tests/components/dns.sh (unbound,
# loopback, default example.test zone) and runs the live part of the
# unit test program tests/unit/net/test_dns with TLSRPT_DNS_SERVER set.
. "$(dirname "$0")/tap.sh"
bin="$TLSRPT_SRC/$TLSRPT_O/tests/unit/net/test_dns"
[ -x "$bin" ] || bin="$TLSRPT_O/tests/unit/net/test_dns"
dir=$(mktemp -d /tmp/tlsrpt-test-dns.XXXXXX)
trap 'bash "$COMPONENTS/dns.sh" stop "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
if ! bash "$COMPONENTS/dns.sh" start "$dir" > "$dir/start.log" 2>&1; then
	fail "dns.sh start" "$(cat "$dir/start.log")"
	exit 1
fi
eval "$(cat "$dir/env")"
CMOCKA_MESSAGE_OUTPUT=TAP TLSRPT_DNS_SERVER=$DNS_SERVER "$bin" > "$dir/out" 2>&1
rc=$?
while IFS= read -r l; do
	case "$l" in
	"ok "*) ok "dns live: ${l#ok [0-9]* - }" ;;
	"not ok "*) fail "dns live: ${l#not ok [0-9]* - }" "$(grep -v '^ok' "$dir/out")" ;;
	esac
done < "$dir/out"
[ "$rc" = 0 ] || fail "test_dns exited with $rc"
# the live cases must have run (test_dns registers them only with a server)
[ "$tap_n" -gt 0 ] || fail "test_dns ran no live case" "$(cat "$dir/out")"
tap_done
