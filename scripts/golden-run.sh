#!/bin/sh
# golden-run.sh PROGRAM INPUT: prints what `PROGRAM parse -n --json INPUT`
# does, in the form kept in tests/golden/<case>.expected: stdout, then
# "--- stderr" and the diagnostics, then "--- exit N".  Run from the top
# of the source tree so that file names in messages are relative.
# Used by tests/integration/test_golden.sh and scripts/golden-update.sh.
set -u
prog=$1 input=$2
err=$(mktemp /tmp/tlsrpt-golden.XXXXXX)
# no tlsrpt.conf or store settings from the caller's environment
env -u TLSRPT_DB -u TLSRPT_DATABASE_URL TLSRPT_CONFIG=/dev/null LC_ALL=C \
	"$prog" parse -n --json "$input" 2> "$err"
rc=$?
echo "--- stderr"
cat "$err"
echo "--- exit $rc"
rm -f "$err"
