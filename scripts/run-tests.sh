#!/bin/sh
# Runs every test and ends with the line "N passed, N failed".
#   unit tests       $O/tests/unit/**/test_*   (cmocka, TAP output)
#   fuzz replays     $O/fuzz/*-replay over fuzz/corpus/<target>/
#   fuzz, briefly    scripts/fuzz.sh (libFuzzer, FUZZ_SECONDS each; clang)
#   integration      tests/integration/test_*.sh (TAP; real servers)
# Every test speaks TAP ("ok …" / "not ok …"); a program that dies without
# saying "not ok" counts as one failure, and so does one that prints no
# result at all; "ok … # SKIP" (and cmocka's "not ok … # SKIP") counts as
# skipped, neither passed nor failed.
# TESTS=pattern runs a subset.
# Each PASS/FAIL line gives the test's wall time and the CPU time (user+sys)
# of its processes (those it waited for; a daemon it left running is not
# counted); the end lists the 15 slowest tests and the totals, so that what
# makes `make check` slow shows in every CI log.
set -u
O=${O:-build}
TESTS=${TESTS:-}
log=$(mktemp -d /tmp/tlsrpt-tests.XXXXXX)
pass=0
fail=0
skip=0
failed_names=""
timings="$log/timings"   # "WALL CPU NAME" per test
: > "$timings"
suite_start=$(date +%s.%N)

# cpu_secs: user+sys seconds of this shell's waited-for children so far
# (the second line of `times`, "1m2.5s 0m3.1s"; `times` runs in this shell,
# not in a subshell, which would know no children)
cpu_secs() {
	times > "$log/times"
	awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
		printf "%.1f", s }' "$log/times"
}

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
	start=$(date +%s.%N)
	cpu_secs > "$log/cpu0"
	"$@" > "$out" 2>&1
	rc=$?
	# "ok … # SKIP …" is a skip, not a pass; so is cmocka's
	# "not ok … # SKIP …" (cmocka 1.1 writes a skip that way)
	s=$(grep -c '^\(not \)\{0,1\}ok .*# *SKIP' "$out")
	p=$(( $(grep -c '^ok ' "$out") - $(grep -c '^ok .*# *SKIP' "$out") ))
	f=$(grep -v '# *SKIP' "$out" | grep -c '^not ok ')
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
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	cpu_secs > "$log/cpu1"
	cpu=$(awk -v a="$(cat "$log/cpu0")" -v b="$(cat "$log/cpu1")" 'BEGIN { printf "%.1f", b - a }')
	echo "$secs $cpu $name" >> "$timings"
	if [ "$f" != 0 ]; then
		failed_names="$failed_names $name"
		echo "FAIL $name ($p passed, $f failed, ${secs}s, cpu ${cpu}s)"
		grep -v '^ok ' "$out" | tail -n 40 | sed 's/^/    /'
	else
		if [ "$s" != 0 ]; then echo "PASS $name ($p passed, $s skipped, ${secs}s, cpu ${cpu}s)"
		else echo "PASS $name ($p passed, ${secs}s, cpu ${cpu}s)"; fi
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
echo "slowest tests (wall s, cpu s = user+sys of the processes it waited for):"
sort -rn "$timings" | head -n 15 | awk '{ printf "  %7.1f %7.1f  %s\n", $1, $2, $3 }'
awk -v a="$suite_start" -v b="$(date +%s.%N)" '{ w += $1; c += $2 }
	END { printf "  %7.1f %7.1f  all %d tests (%.1f s wall in all)\n", w, c, NR, b - a }' "$timings"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "logs: $log"
if [ "$skip" != 0 ]; then
	grep -h '^\(not \)\{0,1\}ok .*# *SKIP' "$log"/*.log | sed 's/^/skipped: /'
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
