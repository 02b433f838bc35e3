#!/bin/sh
# bench/run.sh: runs every benchmark program built in $O/bench and every
# other bench/*.sh script, one after the other, and prints their figures
# under a header each.  Nothing is asserted: targets are in bench/README.md.
#   O=build/dev sh bench/run.sh        (make bench does this)
#   BENCH=lib sh bench/run.sh          (only the ones whose name contains "lib")
set -u
O=${O:-build}
BENCH=${BENCH:-}
export TLSRPT_ALLOW_ROOT=1     # the daemons run as root here (util/privdrop.h)
export TLSRPT_SRC=${TLSRPT_SRC:-$PWD} TLSRPT="$PWD/$O/tlsrpt" TLSRPT_O="$O"
echo "# bench: $(date -u '+%Y-%m-%dT%H:%M:%SZ') $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for b in $(find "$O/bench" -maxdepth 1 -type f -name "bench_*" -perm -u+x 2>/dev/null | sort) \
	 $(ls bench/*.sh 2>/dev/null | grep -v '/run\.sh$'); do
	name=$(basename "$b")
	case "$name" in *"$BENCH"*) ;; *) continue ;; esac
	echo "== $name"
	case "$b" in
	*.sh) sh "$b" ;;
	*) "$b" ;;
	esac || echo "($name exited with status $?)"
done
