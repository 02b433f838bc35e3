#!/bin/sh
# golden-update.sh PROGRAM: rewrites tests/golden/<case>.expected from the
# current output of `PROGRAM parse -n --json` on each input
# tests/golden/<case>.{json,json.gz,eml,zip} (`make golden-update`).
# Review the result with `git diff tests/golden` before committing.
set -eu
prog=${1:?usage: golden-update.sh PROGRAM}
case "$prog" in /*) ;; *) prog="$PWD/$prog" ;; esac
cd "$(dirname "$0")/.."
n=0
for input in tests/golden/*; do
	case "$input" in
	*.json.gz) case_=${input%.json.gz} ;;
	*.json|*.eml|*.zip) case_=${input%.*} ;;
	*) continue ;;
	esac
	sh scripts/golden-run.sh "$prog" "$input" > "$case_.expected.tmp"
	if cmp -s "$case_.expected.tmp" "$case_.expected" 2>/dev/null; then
		rm -f "$case_.expected.tmp"
	else
		mv "$case_.expected.tmp" "$case_.expected"
		echo "updated $case_.expected"
	fi
	n=$((n + 1))
done
echo "$n golden cases; review with: git diff tests/golden"
