#!/bin/sh
# Builds each fuzz/fuzz_*.c as a libFuzzer target (clang, ASan+UBSan) and
# runs it for FUZZ_SECONDS on a copy of its seed corpus fuzz/corpus/<name>/.
# Prints one TAP line per target.  Crashes are kept in $O/fuzz-crash/.
set -u
O=${O:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
out="$O/libfuzzer"
mkdir -p "$out" "$O/fuzz-crash"
pkgs=$(cat scripts/pkgs.txt)    # the Makefile's PKGS
cflags=$(pkg-config --cflags $pkgs | sed 's/-I/-isystem /g')
libs="$(pkg-config --libs $pkgs) -lopendkim -lcrypt -lresolv -lpthread -lm"
flags="-std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g -O1 -fno-sanitize-recover=all -Iinclude -Isrc $cflags"
# The core (and libtlsrpt, which policyd reports through) is compiled once,
# instrumented, and shared by every target; two compilers at a time.
objs=""
stale=""
for src in $(find src lib -name '*.c' ! -path 'src/cmd/*' | sort); do
	obj="$out/obj/${src%.c}.o"
	objs="$objs $obj"
	[ "$obj" -nt "$src" ] || stale="$stale $src"
done
rm -f "$out/core.failed"
# shellcheck disable=SC2086,SC2016
[ -z "$stale" ] || printf '%s\n' $stale | xargs -P 2 -I '{}' sh -c '
	o="$1/obj/${2%.c}.o"; mkdir -p "$(dirname "$o")"
	clang $3 -fsanitize=fuzzer-no-link,address,undefined -c "$2" -o "$o" 2>> "$1/core.build.log" ||
		{ rm -f "$o"; echo "$2" >> "$1/core.failed"; }' sh "$out" '{}' "$flags"
build_failed=$(cat "$out/core.failed" 2>/dev/null | tr '\n' ' ')
n=0
for f in fuzz/fuzz_*.c; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	name=$(basename "$f" .c)
	bin="$out/$name"
	if [ -n "$build_failed" ] || ! clang $flags -fsanitize=fuzzer,address,undefined \
		-o "$bin" "$f" $objs $libs 2> "$out/$name.build.log"; then
		echo "not ok $n - $name: libFuzzer build failed:$build_failed"
		tail -20 "$out/$name.build.log" "$out/core.build.log" 2>/dev/null | sed 's/^/# /'
		continue
	fi
	work="$out/$name.corpus"
	rm -rf "$work"; mkdir -p "$work"
	[ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/"
	if "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$O/fuzz-crash/$name-" "$work" > "$out/$name.log" 2>&1; then
		echo "ok $n - $name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$name.log" | head -1 | awk '{print $2}') runs in ${FUZZ_SECONDS}s, no crash"
	else
		echo "not ok $n - $name: crash, see $O/fuzz-crash/"; tail -30 "$out/$name.log" | sed 's/^/# /'
	fi
done
exit 0
