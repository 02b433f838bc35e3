#!/bin/sh
# Golden files (STYLE.md §3.8): each tests/golden/<case>.{json,json.gz,eml,zip}
# through `tlsrpt parse -n --json` must give exactly tests/golden/<case>.expected
# (stdout, diagnostics and exit status; see scripts/golden-run.sh).
# After an intended change: make golden-update, then review git diff.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
out=$(mktemp /tmp/tlsrpt-golden-out.XXXXXX)
trap 'rm -f "$out"' EXIT
n=0
seen=""
for input in tests/golden/*; do
	case "$input" in
	*.json.gz) case_=${input%.json.gz} ;;
	*.json|*.eml|*.zip) case_=${input%.*} ;;
	*) continue ;;
	esac
	n=$((n + 1))
	name=$(basename "$input")
	case " $seen " in *" $case_ "*) fail "golden $name: two inputs for $case_.expected"; continue ;; esac
	seen="$seen $case_"
	if [ ! -f "$case_.expected" ]; then
		fail "golden $name: no $case_.expected (make golden-update)"
		continue
	fi
	sh scripts/golden-run.sh "$TLSRPT" "$input" > "$out"
	if d=$(diff -u "$case_.expected" "$out"); then ok "golden $name"
	else
		fail "golden $name differs from $case_.expected"
		echo "$d" | head -n 60 | sed 's/^/#   /'
	fi
done
[ "$n" -gt 0 ] || fail "no golden inputs under tests/golden"
# every expectation has its input
for e in tests/golden/*.expected; do
	case " $seen " in *" ${e%.expected} "*) ;; *) fail "golden expectation $e has no input" ;; esac
done
tap_done
