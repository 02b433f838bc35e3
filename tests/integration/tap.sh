# tap.sh: sourced by integration tests; prints TAP lines.
#   ok "description" | fail "description" [details…] | check "description" CMD…
#   skip_all "reason": ends the script with one ok "# SKIP" line.
# $TLSRPT is the program under test; $TLSRPT_SRC the source tree;
# $COMPONENTS the real-server scripts (tests/components).
tap_n=0
tap_failed=0
COMPONENTS=${COMPONENTS:-$TLSRPT_SRC/tests/components}
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
fail() {
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"; shift
	for l in "$@"; do echo "# $l"; done
}
check() {
	d=$1; shift
	if out=$("$@" 2>&1); then ok "$d"; else fail "$d" "command: $*" "$out"; fi
}
tap_done() { [ "$tap_failed" = 0 ]; }
