#!/bin/sh
# The Debian packages, installed and used as an operator would (issue 16):
# `make deb` (reused while its inputs are unchanged; lintian without
# errors), then, in a private mount namespace whose /etc, /usr and /var are
# throw-away overlays of this machine's (so nothing is left on the host and
# parallel tests never see the install): dpkg -i; files, owners and modes;
# each daemon run as its unit's user (setpriv; systemd is not PID 1 here);
# results collected through the installed libtlsrpt -> reported -> received
# by the installed `serve`, shown by the read-only dashboard; then
# dpkg --purge leaves nothing behind.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" = 0 ] || { echo "ok 1 # SKIP needs root (dpkg -i in a private namespace)"; exit 0; }
	for c in dpkg-buildpackage dh lintian unshare setpriv; do
		command -v "$c" > /dev/null || { echo "ok 1 # SKIP $c not installed"; exit 0; }
	done
	if sh scripts/build-deb.sh build/deb > "/tmp/tlsrpt-deb-build.$$" 2>&1; then
		ok "make deb: $(ls build/deb/*.deb | grep -cv dbgsym) packages, lintian: no errors"
	else
		fail "make deb" "$(tail -n 30 "/tmp/tlsrpt-deb-build.$$")"
		rm -f "/tmp/tlsrpt-deb-build.$$"; tap_done; exit 1
	fi
	rm -f "/tmp/tlsrpt-deb-build.$$"
	if grep -q '^[EW]: ' build/deb/lintian.txt; then
		fail "lintian warnings" "$(grep '^[EW]: ' build/deb/lintian.txt)"
	else ok "lintian: no warning either (man page NAME sections, debian/copyright)"; fi
	dir=$(mktemp -d /tmp/tdeb.XXXXXX)
	chmod 755 "$dir"
	TAP_N=$tap_n unshare -m --propagation private sh "$0" --inside "$dir"
	rc=$?
	rm -rf "$dir"
	exit $rc
fi

# ---- inside the private mount namespace ------------------------------------
dir=$2
tap_n=${TAP_N:-0}
pids=""
for d in etc usr var; do
	mkdir -p "$dir/ov/$d/up" "$dir/ov/$d/work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$dir/ov/$d/up,workdir=$dir/ov/$d/work" "/$d" ||
		{ fail "overlay on /$d"; exit 1; }
done
# a run directory of our own too (setpriv, sqlite, adduser may touch it)
mount -t tmpfs tmpfs /run/user 2> /dev/null || true
cleanup() { for p in $pids; do kill "$p" 2> /dev/null; done; wait 2> /dev/null; }
trap cleanup EXIT
unset TLSRPT_DB TLSRPT_DATABASE_URL TLSRPT_CONFIG TLSRPT_SOCKET TLSRPT_ALLOW_ROOT
# Postfix's group and spool, as a Postfix installation has them
getent group postfix > /dev/null || addgroup --system --quiet postfix
mkdir -p /var/spool/postfix
debs=$(ls build/deb/*.deb | grep -v dbgsym)
# shellcheck disable=SC2086
if dpkg -i $debs > "$dir/install.log" 2>&1; then ok "dpkg -i: $(echo $debs | wc -w) packages installed"
else fail "dpkg -i" "$(tail -n 20 "$dir/install.log")"; exit 1; fi

# ---- files, owners, modes ---------------------------------------------------
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
want="/usr/bin/tlsrpt root:root 755
/etc/tlsrpt/tlsrpt.conf root:_tlsrpt 640
/var/lib/tlsrpt _tlsrpt:_tlsrpt 750
/var/spool/postfix/tlsrpt _tlsrpt:postfix 2750
/usr/lib/$ma/libtlsrpt.so.0 root:root 644
/usr/include/tlsrpt.h root:root 644
/lib/systemd/system/tlsrpt-collectd.service root:root 644
/lib/systemd/system/tlsrpt-prune.timer root:root 644
/usr/share/man/man1/tlsrpt-prune.1.gz root:root 644
/usr/share/man/man5/tlsrpt.conf.5.gz root:root 644"
bad=$(echo "$want" | while read -r f o m; do
	got=$(stat -c '%U:%G %a' "$f" 2>&1)
	[ "$got" = "$o $m" ] || echo "$f: $got (want $o $m)"
done)
if [ -z "$bad" ]; then ok "installed files have the expected owners and modes"
else fail "owners and modes" "$bad"; fi
sh=$(getent passwd _tlsrpt | cut -d: -f7)
if [ -n "$sh" ] && [ "$(id -u _tlsrpt)" -lt 1000 ] && [ "$sh" = /usr/sbin/nologin ]; then
	ok "system user _tlsrpt (uid $(id -u _tlsrpt), no login shell)"
else fail "user _tlsrpt" "$(getent passwd _tlsrpt)"; fi
if [ "$(readlink "/usr/lib/$ma/libtlsrpt.so")" = libtlsrpt.so.0 ] &&
   [ "$(pkg-config --modversion libtlsrpt)" = 0.5.1 ]; then
	ok "libtlsrpt-dev: .so link and pkg-config"
else fail "libtlsrpt-dev" "$(ls -l "/usr/lib/$ma/libtlsrpt.so" 2>&1)" "$(pkg-config --modversion libtlsrpt 2>&1)"; fi
n=$(grep -c '^#[a-z0-9_]* =' /etc/tlsrpt/tlsrpt.conf)
m=$(/usr/bin/tlsrpt config --defaults | grep -c ' =')
if [ "$n" = "$m" ] && /usr/bin/tlsrpt config -n > /dev/null; then
	ok "tlsrpt.conf: all $m parameters commented, the file parses"
else fail "tlsrpt.conf has $n of $m parameters"; fi
# the library is usable from the installed header: the MTA side of the test
# shellcheck disable=SC2046
if cc -std=c11 -D_POSIX_C_SOURCE=200809L -Itests/tools -o "$dir/load" tests/tools/tlsrpt_load.c \
	$(pkg-config --cflags --libs libtlsrpt) 2> "$dir/cc.log"; then
	ok "a program builds against the installed libtlsrpt-dev"
else fail "building against libtlsrpt-dev" "$(cat "$dir/cc.log")"; fi

# as_unit UNIT CMD…: runs CMD as the User=/Group= of the installed unit
as_unit() {
	u=$(sed -n 's/^User=//p' "/lib/systemd/system/$1.service")
	g=$(sed -n 's/^Group=//p' "/lib/systemd/system/$1.service")
	shift
	setpriv --reuid="$u" --regid="$g" --init-groups --no-new-privs "$@"
}
# as_unit_bg UNIT CMD…: as_unit in the background, $! being the daemon
as_unit_bg() {
	u=$(sed -n 's/^User=//p' "/lib/systemd/system/$1.service")
	g=$(sed -n 's/^Group=//p' "/lib/systemd/system/$1.service")
	shift
	( exec setpriv --reuid="$u" --regid="$g" --init-groups --no-new-privs "$@" ) &
}
# wait_for TEST…: up to 10 s
wait_for() { i=0; while [ $i -lt 100 ] && ! "$@"; do sleep 0.1; i=$((i + 1)); done; "$@"; }

# ---- collect ------------------------------------------------------------------
cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/tlsrpt-collectd.service)
# shellcheck disable=SC2086
as_unit_bg tlsrpt-collectd $cmd --stats-secs 0 > "$dir/collectd.log" 2>&1
cpid=$!; pids="$pids $cpid"
sock=/var/spool/postfix/tlsrpt/tlsrpt.sock
if wait_for test -S "$sock" && [ "$(stat -c '%a %G' "$sock")" = "660 postfix" ] &&
   [ "$(awk '/^Uid:/ {print $2}' "/proc/$cpid/status")" = "$(id -u _tlsrpt)" ]; then
	ok "collectd as _tlsrpt: socket $sock mode 660 group postfix"
else fail "collectd under its unit's user" "$(ls -l "$sock" 2>&1)" "$(cat "$dir/collectd.log")"; fi
# the MTA: any user of group postfix (smtp(8) runs as postfix)
if setpriv --reuid=nobody --regid=postfix --clear-groups "$dir/load" "$sock" 200 3 20 > "$dir/load.log" 2>&1; then
	ok "200 results sent through the installed libtlsrpt as group postfix"
else fail "sending results" "$(cat "$dir/load.log")"; fi
kill -TERM "$cpid"; wait "$cpid"; crc=$?
n=$(sqlite3 /var/lib/tlsrpt/tlsrpt.db 'SELECT SUM(total_success + total_failure) FROM result_policies' 2>&1)
if [ "$crc" = 0 ] && [ "$n" = 200 ] && [ "$(stat -c %U /var/lib/tlsrpt/tlsrpt.db)" = _tlsrpt ]; then
	ok "collectd stored the 200 results in /var/lib/tlsrpt/tlsrpt.db (owned by _tlsrpt)"
else fail "results stored (exit $crc)" "sessions: $n" "$(cat "$dir/collectd.log")"; fi

# ---- report -----------------------------------------------------------------
mkdir "$dir/out" && chown _tlsrpt "$dir/out"
day=$(date -u +%Y-%m-%d)
as_unit tlsrpt-reportd timeout 60 /usr/bin/tlsrpt send --day "$day" --force --submitter example.net \
	--resolver 127.0.0.1@9 --timeout 5 --dry-run "$dir/out" > "$dir/send.log" 2>&1
nrep=$(ls "$dir/out"/*.json.gz 2> /dev/null | wc -l)
if [ "$nrep" = 3 ]; then ok "send (as the reporter's user) wrote 3 reports, one per domain"
else fail "reports written: $nrep" "$(cat "$dir/send.log")"; fi
as_unit tlsrpt-reportd timeout 20 /usr/bin/tlsrpt reportd --submitter example.net \
	--resolver 127.0.0.1@9 --fake-clock "$(date +%s)" --stop-at "$(date +%s)" > "$dir/reportd.log" 2>&1
rrc=$?
if [ "$rrc" = 0 ]; then ok "reportd runs as _tlsrpt (one pass on a fake clock)"
else fail "reportd as _tlsrpt (exit $rrc)" "$(cat "$dir/reportd.log")"; fi

# ---- receive --------------------------------------------------------------------
cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/tlsrpt-serve.service)
# shellcheck disable=SC2086
# (the dashboard on a loopback port of its own without login, and any
# domain accepted: the packaged defaults need users, tlsrpt-serve(1))
as_unit_bg tlsrpt-serve $cmd --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth \
	--accept-domain '*' > "$dir/serve.out" 2> "$dir/serve.err"
spid=$!; pids="$pids $spid"
wait_for grep -q '^dashboard on' "$dir/serve.out"
port=$(sed -n 's/^listening on .* port \([0-9]*\).*/\1/p' "$dir/serve.out")
dport=$(sed -n 's/^dashboard on .* port \([0-9]*\).*/\1/p' "$dir/serve.out")
codes=""
for f in "$dir/out"/*.json.gz; do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/tlsrpt+gzip' \
		--data-binary "@$f" "http://127.0.0.1:$port/tlsrpt")"
done
sum=$(curl -s "http://127.0.0.1:$dport/api/summary?since=$day")
if [ "$codes" = " 200 200 200" ] && echo "$sum" | grep -q 'd0.example' && echo "$sum" | grep -q 'd2.example'; then
	ok "serve (as _tlsrpt) received the 3 reports; the API shows them"
else fail "receiving (port '$port', answers$codes)" "$sum" "$(cat "$dir/serve.err")"; fi
kill "$spid"; wait "$spid" 2> /dev/null
# the read-only dashboard: /var/lib/tlsrpt read-only as its unit makes it
# (ProtectSystem=strict, ReadOnlyPaths=), here by a read-only bind mount
cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/tlsrpt-dashboard.service)
mount --bind /var/lib/tlsrpt /var/lib/tlsrpt && mount -o remount,bind,ro /var/lib/tlsrpt
sum0=$(sha256sum < /var/lib/tlsrpt/tlsrpt.db)
# shellcheck disable=SC2086
as_unit_bg tlsrpt-dashboard $cmd --dashboard-listen 127.0.0.1:0 --no-auth \
	> "$dir/dash.out" 2> "$dir/dash.err"
dpid=$!; pids="$pids $dpid"
wait_for grep -q '^dashboard on' "$dir/dash.out"
dport=$(sed -n 's/^dashboard on .* port \([0-9]*\).*/\1/p' "$dir/dash.out")
sum=$(curl -s "http://127.0.0.1:$dport/api/summary?since=$day")
if echo "$sum" | grep -q 'd1.example' && ! grep -q '^listening on' "$dir/dash.out" &&
   [ "$(sha256sum < /var/lib/tlsrpt/tlsrpt.db)" = "$sum0" ]; then
	ok "tlsrpt-dashboard (serve --read-only as _tlsrpt, /var/lib/tlsrpt read-only): the API shows the reports, no intake"
else fail "the read-only dashboard (port '$dport')" "$sum" "$(cat "$dir/dash.err")"; fi
kill "$dpid"; wait "$dpid" 2> /dev/null
umount /var/lib/tlsrpt
if as_unit tlsrpt-serve /usr/bin/tlsrpt summary --since "$day" > "$dir/summary" 2>&1 &&
   grep -q 'd1.example: ' "$dir/summary"; then
	ok "summary as _tlsrpt reads the installed store"
else fail "summary" "$(cat "$dir/summary")"; fi
if as_unit tlsrpt-prune /usr/bin/tlsrpt prune --older-than 1 > "$dir/prune" 2>&1; then
	ok "prune runs as _tlsrpt: $(head -n 1 "$dir/prune")"
else fail "prune as _tlsrpt" "$(cat "$dir/prune")"; fi

# ---- purge ----------------------------------------------------------------------
if dpkg --purge tlsrpt libtlsrpt-dev libtlsrpt0 > "$dir/purge.log" 2>&1; then
	left=$(ls -d /etc/tlsrpt /var/lib/tlsrpt /var/spool/postfix/tlsrpt /usr/bin/tlsrpt \
		/usr/include/tlsrpt.h /usr/lib/$ma/libtlsrpt* /lib/systemd/system/tlsrpt-* 2> /dev/null)
	pkgs=$(dpkg -l 'tlsrpt*' 'libtlsrpt*' 2> /dev/null | grep '^[a-z][a-z] ' | grep -v '^un')
	if [ -z "$left$pkgs" ]; then
		ok "dpkg --purge: no file left (the user _tlsrpt stays, as Debian policy keeps system users)"
	else fail "left after purge" "$left" "$pkgs"; fi
else fail "dpkg --purge" "$(tail -n 20 "$dir/purge.log")"; fi
tap_done
