#!/bin/sh
# Source hygiene checks (STYLE.md §3.9): banned functions, file length,
# self-contained headers, no tlsrpt_ names in src/, man pages lint-clean.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1

# git ls-files, not a glob: only tracked files; an empty list must fail, or
# grep would read standard input and find nothing
srcs=$(git ls-files 'src/*.c' 'src/*.h' 'lib/*.c' 'lib/*.h' 2>/dev/null)
[ -n "$srcs" ] || { fail "git ls-files lists no sources (not a git checkout?)"; tap_done; exit 1; }
# shellcheck disable=SC2086
banned=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok)\s*\(' $srcs 2>/dev/null)
if [ -z "$banned" ]; then ok "no banned functions (strcpy strcat sprintf gets atoi atol strtok)"
else fail "banned functions used" $banned; fi

# a generated file (first line says GENERATED, e.g. serve_web_assets.c) is data, not code
long=$(git ls-files '*.c' '*.h' | while read -r f; do head -n 1 "$f" | grep -q GENERATED || echo "$f"; done |
	xargs -r wc -l | awk '$2 != "total" && $1 > 600 {print $2 " (" $1 " lines)"}')
if [ -z "$long" ]; then ok "no C file over 600 lines (generated files aside)"; else fail "files over 600 lines" $long; fi

pkgs=$(cat scripts/pkgs.txt)    # the Makefile's PKGS
cflags="-std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iinclude -Isrc -I$TLSRPT_O/gen $(pkg-config --cflags $pkgs | sed 's/-I/-isystem /g')"
bad=""
for h in $(git ls-files 'src/*.h' 'include/*.h'); do
	inc=${h#src/}; inc=${inc#include/}
	# shellcheck disable=SC2086
	if ! echo "#include \"$inc\"" | cc $cflags -x c -fsyntax-only - 2>/dev/null; then
		bad="$bad $h"
	fi
done
if [ -z "$bad" ]; then ok "every header compiles on its own"; else fail "headers not self-contained:$bad"; fi

names=$(git ls-files 'src/*.c' | xargs -r grep -nE '^[a-z_ ]*\btlsrpt_[a-z_]+\(' 2>/dev/null | grep -v '^\s*/\*' | head)
if [ -z "$names" ]; then ok "no tlsrpt_ function definitions in src/ (reserved for lib/)"
else fail "tlsrpt_ names defined in src/" "$names"; fi

if ls man/*.[0-9] >/dev/null 2>&1; then
	if out=$(mandoc -Tlint -W warning man/*.[0-9] 2>&1); then ok "man pages pass mandoc -Tlint"
	else fail "mandoc -Tlint" "$out"; fi
	# every page renders, and no flag macro runs on into the prose after
	# it ("(-vv: -each -request)" for ".Pq Fl vv : each request")
	bad=""
	for p in man/*.[0-9]; do
		if ! r=$(mandoc -Tutf8 -W warning "$p" 2>&1 | col -b); then bad="$bad $p: does not render;"; continue; fi
		hit=$(echo "$r" | grep -nE '\(-[A-Za-z-]+: -[a-z]+ -[a-z]+' | head -3)
		[ -z "$hit" ] || bad="$bad $p: $hit;"
	done
	if [ -z "$bad" ]; then ok "every man page renders without a flag run into prose"
	else fail "man page rendering" "$bad"; fi
fi

# Every tlsrpt.conf parameter is documented, and nothing else is
# (Postfix mantools/check-postconf-undocumented).
if params=$("$TLSRPT" config --defaults | sed -n 's/^\([a-z0-9_]*\) =.*/\1/p') && [ -n "$params" ]; then
	documented=$(sed -n 's/^\.It Cm \([a-z0-9_]*\).*/\1/p' man/tlsrpt.conf.5 | sort -u)
	missing=$(for p in $params; do echo "$documented" | grep -qx "$p" || echo "$p"; done)
	extra=$(for p in $documented; do echo "$params" | grep -qx "$p" || echo "$p"; done)
	if [ -z "$missing$extra" ]; then ok "every tlsrpt.conf parameter is in man/tlsrpt.conf.5 (and no other)"
	else fail "man/tlsrpt.conf.5 out of date" "undocumented: $(echo $missing)" "documented but unknown: $(echo $extra)"; fi
else fail "tlsrpt config --defaults printed no parameters"; fi
# ... and every parameter is read somewhere (no dead parameters).
readers=$(git ls-files 'src/*.c' | grep -v '^src/cmd/config_params.c$')
# shellcheck disable=SC2086
dead=$(for p in $params; do grep -q "\"$p\"" $readers || echo "$p"; done)
if [ -z "$dead" ]; then ok "every tlsrpt.conf parameter is read by some command"
else fail "parameters nothing reads" "$(echo $dead)"; fi
tap_done
