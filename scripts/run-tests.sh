#!/bin/sh
# Runs every test and ends with the line "N passed, N failed".
#   unit tests       $O/tests/unit/**/test_*   (cmocka, TAP output)
#   fuzz replays     $O/fuzz/*-replay over fuzz/corpus/<target>/
#   fuzz, briefly    scripts/fuzz.sh (libFuzzer, FUZZ_SECONDS each; clang)
#   integration      tests/integration/test_*.sh (TAP; real servers)
# Every test speaks TAP ("ok …" / "not ok …"); a program that dies without
# saying "not ok" counts as one failure, and so does one that prints no
# result at all; "ok … # SKIP" counts as skipped, not passed.
# TESTS=pattern runs a subset.
set -u
O=${O:-build}
TESTS=${TESTS:-}
log=$(mktemp -d /tmp/tlsrpt-tests.XXXXXX)
pass=0
fail=0
skip=0
failed_names=""

export TLSRPT="$PWD/$O/tlsrpt" TLSRPT_O="$O" TLSRPT_SRC="$PWD"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP
# The tests start daemons as root (CI): allowed explicitly (util/privdrop.h).
export TLSRPT_ALLOW_ROOT=1

# run NAME CMD...: runs one test program, counts its TAP lines.
run() {
	name=$1; shift
	case "$name" in *"$TESTS"*) ;; *) return 0 ;; esac
	out="$log/$(echo "$name" | tr '/ ' '__').log"
	start=$(date +%s)
	"$@" > "$out" 2>&1
	rc=$?
	# "ok … # SKIP …" is a skip, not a pass
	s=$(grep -c '^ok .*# *SKIP' "$out")
	p=$(( $(grep -c '^ok ' "$out") - s ))
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >> "$out"
	fi
	if [ $((p + f + s)) = 0 ]; then
		f=1
		echo "not ok - $name printed no test result" >> "$out"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	secs=$(( $(date +%s) - start ))
	if [ "$f" != 0 ]; then
		failed_names="$failed_names $name"
		echo "FAIL $name ($p passed, $f failed, ${secs}s)"
		grep -v '^ok ' "$out" | tail -n 40 | sed 's/^/    /'
	else
		if [ "$s" != 0 ]; then echo "PASS $name ($p passed, $s skipped, ${secs}s)"
		else echo "PASS $name ($p passed, ${secs}s)"; fi
	fi
}

for t in $(find "$O/tests/unit" -type f -name 'test_*' ! -name '*.d' -perm -u+x 2>/dev/null | sort); do
	run "unit/${t#$O/tests/unit/}" "$t"
done

for r in $(find "$O/fuzz" -type f -name '*-replay' 2>/dev/null | sort); do
	target=$(basename "$r" -replay)
	run "fuzz-replay/$target" "$r" "fuzz/corpus/$target"
done

if [ "${FUZZ_SECONDS:-5}" != 0 ]; then
	run "fuzz/libfuzzer" env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" O="$O" sh scripts/fuzz.sh
fi

for t in $(ls tests/integration/test_*.sh 2>/dev/null | sort); do
	run "integration/$(basename "$t" .sh)" sh "$t"
done

echo
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "logs: $log"
if [ "$skip" != 0 ]; then
	grep -h '^ok .*# *SKIP' "$log"/*.log | sed 's/^/skipped: /'
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
