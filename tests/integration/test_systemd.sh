#!/bin/sh
# The units of the Debian package under a real systemd (issue 16): PID 1
# of the test machine is not systemd, so this boots one in a container
# (systemd-nspawn, package systemd-container) whose root is a throw-away
# overlay of this machine's own root (no Debian mirror, no image: the
# installed systemd boots in a few seconds).  Inside, a oneshot unit runs
# the checks and powers off: dpkg -i of the packages built by `make deb`,
# then each service is started by systemctl and must run as _tlsrpt and do
# its job: collectd (socket mode and group, results stored), serve
# (a report POSTed and stored), tlsrpt-dashboard (read-only: the store is
# mounted read-only for it, login by token shows the report; then both
# serve units together on their default ports), policyd
# (socketmap socket answers), reportd (runs), prune (oneshot succeeds);
# the timers are loaded.  TAP lines come back through a bound directory.
# SKIP (with the reason) when the container cannot be booted here.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
skip() { echo "ok 1 # SKIP $*"; exit 0; }
if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (mounts an overlay, boots a container)"
	for c in systemd-nspawn dpkg-buildpackage lintian unshare; do
		command -v "$c" > /dev/null || skip "$c not installed (systemd-container, scripts/deps.txt)"
	done
	[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd to boot"
	if ! sh scripts/build-deb.sh build/deb > "/tmp/tlsrpt-sd-build.$$" 2>&1; then
		fail "make deb" "$(tail -n 20 "/tmp/tlsrpt-sd-build.$$")"
		rm -f "/tmp/tlsrpt-sd-build.$$"; tap_done; exit 1
	fi
	rm -f "/tmp/tlsrpt-sd-build.$$"
	dir=$(mktemp -d /tmp/tsd.XXXXXX)
	chmod 755 "$dir"
	unshare -m --propagation private sh "$0" --inside "$dir"
	rc=$?
	rm -rf "$dir"
	exit $rc
fi

# ---- in a private mount namespace: the container's root ---------------------
dir=$2
mkdir -p "$dir/up" "$dir/work" "$dir/root" "$dir/results"
mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/up,workdir=$dir/work" "$dir/root" ||
	skip "cannot mount an overlay of / (kernel without overlayfs?)"
r=$dir/root
mkdir -p "$r/debs" "$r/results"
cp build/deb/*.deb "$r/debs/" && rm -f "$r"/debs/*dbgsym*
cp tests/tools/tlsrpt_load.c tests/tools/load_event.h "$r/debs/"
cp tests/golden/rfc-errata-6241.json "$r/debs/report.json"
systemd-id128 new > "$r/etc/machine-id"        # the host's would clash
# a Docker-made host forbids starting services in maintainer scripts
rm -f "$r/usr/sbin/policy-rc.d"
(cd systemd && ls) > "$r/debs/units"
# nothing of the host's own services: the container boots into our target
cat > "$r/etc/systemd/system/tlsrpt-check.target" << 'EOF'
[Unit]
Description=tlsrpt unit checks
Requires=basic.target tlsrpt-check.service
After=basic.target
AllowIsolate=yes
EOF
cat > "$r/etc/systemd/system/tlsrpt-check.service" << 'EOF'
[Unit]
After=basic.target
[Service]
Type=oneshot
ExecStart=/bin/sh /debs/check.sh
ExecStartPost=/bin/systemctl --no-block poweroff
StandardOutput=file:/results/check.log
StandardError=inherit
TimeoutStartSec=150
EOF
cat > "$r/debs/check.sh" << 'EOF'
#!/bin/sh
# runs inside the container, under systemd; TAP lines into /results/tap
n=0
ok() { n=$((n + 1)); echo "ok $n - $*" >> /results/tap; }
fail() { n=$((n + 1)); echo "not ok $n - $1" >> /results/tap; shift; for l in "$@"; do echo "$l" | sed 's/^/# /' >> /results/tap; done; }
user_of() { pid=$(systemctl show -p MainPID --value "$1"); ps -o user= -p "$pid" 2> /dev/null | tr -d ' '; }
wait_for() { i=0; while [ $i -lt 100 ] && ! "$@"; do sleep 0.1; i=$((i + 1)); done; "$@"; }
[ "$(cat /proc/1/comm)" = systemd ] && ok "PID 1 is systemd $(systemctl --version | head -n 1 | cut -d' ' -f2)" ||
	fail "PID 1 is $(cat /proc/1/comm)"
getent group postfix > /dev/null || addgroup --system --quiet postfix
mkdir -p /var/spool/postfix
if dpkg -i /debs/*.deb > /results/dpkg.log 2>&1; then ok "dpkg -i under systemd"
else fail "dpkg -i" "$(tail -n 10 /results/dpkg.log)"; fi
missing=""
for u in $(cat /debs/units); do
	[ "$(systemctl show -p LoadState --value "$u")" = loaded ] || missing="$missing $u"
done
[ -z "$missing" ] && ok "systemd loads the $(wc -l < /debs/units) units of systemd/" || fail "units not loaded:$missing"
systemctl is-enabled -q tlsrpt-prune.timer && systemctl is-active -q tlsrpt-prune.timer &&
	ok "tlsrpt-prune.timer is enabled and active after install" ||
	fail "tlsrpt-prune.timer not active" "$(systemctl status tlsrpt-prune.timer 2>&1 | head -n 5)"
cat >> /etc/tlsrpt/tlsrpt.conf << 'CONF'
serve_accept_domains = *
report_submitter = example.net
CONF

# collectd: socket for postfix, results stored
systemctl start tlsrpt-collectd
sock=/var/spool/postfix/tlsrpt/tlsrpt.sock
if wait_for test -S $sock && [ "$(user_of tlsrpt-collectd)" = _tlsrpt ] &&
   [ "$(stat -c '%a %G' $sock)" = "660 postfix" ]; then
	ok "tlsrpt-collectd runs as _tlsrpt; socket 660 group postfix"
else fail "tlsrpt-collectd" "$(systemctl status tlsrpt-collectd 2>&1 | tail -n 8)"; fi
if cc -std=c11 -D_POSIX_C_SOURCE=200809L -I/debs -o /debs/load /debs/tlsrpt_load.c \
	$(pkg-config --cflags --libs libtlsrpt) 2> /results/cc.log; then
	setpriv --reuid=nobody --regid=postfix --clear-groups /debs/load $sock 50 2 10 > /results/load.log 2>&1
	systemctl stop tlsrpt-collectd
	s=$(sqlite3 /var/lib/tlsrpt/tlsrpt.db 'SELECT SUM(total_success + total_failure) FROM result_policies' 2>&1)
	[ "$s" = 50 ] && ok "tlsrpt-collectd stored the 50 results sent through libtlsrpt" ||
		fail "collectd stored '$s' sessions" "$(cat /results/load.log)" "$(journalctl -u tlsrpt-collectd --no-pager | tail -n 5)"
else fail "building the load tool" "$(cat /results/cc.log)"; fi

# serve: a report POSTed is stored
systemctl start tlsrpt-serve
if wait_for curl -sf -o /dev/null http://127.0.0.1:8460/healthz && [ "$(user_of tlsrpt-serve)" = _tlsrpt ]; then
	c=$(curl -s -o /results/post.out -w '%{http_code}' -H 'Content-Type: application/tlsrpt+json' \
		--data-binary @/debs/report.json http://127.0.0.1:8460/tlsrpt)
	[ "$c" = 200 ] && ok "tlsrpt-serve runs as _tlsrpt and stores a POSTed report" ||
		fail "POST to tlsrpt-serve: $c" "$(cat /results/post.out)"
else fail "tlsrpt-serve" "$(systemctl status tlsrpt-serve 2>&1 | tail -n 8)"; fi
systemctl stop tlsrpt-serve

# the read-only dashboard: a user and token made by _tlsrpt, then login by
# token; it listens on serve_read_only_listen (127.0.0.1:8462)
tok=$(printf 'Dash-Password-1\n' | runuser -u _tlsrpt -- tlsrpt user add admin --admin --password-stdin > /dev/null 2>&1 &&
	runuser -u _tlsrpt -- tlsrpt user token admin 2> /dev/null)
sum0=$(sha256sum < /var/lib/tlsrpt/tlsrpt.db)
systemctl start tlsrpt-dashboard
if wait_for curl -s -o /dev/null http://127.0.0.1:8462/login.html && [ "$(user_of tlsrpt-dashboard)" = _tlsrpt ]; then
	pid=$(systemctl show -p MainPID --value tlsrpt-dashboard)
	ro=$(nsenter -t "$pid" -m findmnt -n -o OPTIONS --target /var/lib/tlsrpt | cut -d, -f1)
	c=$(curl -s -o /results/dash.out -w '%{http_code}' -H "Authorization: Bearer $tok" \
		'http://127.0.0.1:8462/api/summary?since=2016-01-01')
	if [ "$c" = 200 ] && grep -q company-y /results/dash.out && [ "$ro" = ro ] &&
	   ! curl -s -o /dev/null --max-time 2 http://127.0.0.1:8460/healthz &&
	   ! curl -s -o /dev/null --max-time 2 http://127.0.0.1:8461/login.html; then
		ok "tlsrpt-dashboard runs as _tlsrpt on 8462, /var/lib/tlsrpt read-only for it, no intake; the API shows the report"
	else fail "tlsrpt-dashboard (API $c, mount '$ro')" "$(head -c 300 /results/dash.out)" "$(journalctl -u tlsrpt-dashboard --no-pager | tail -n 5)"; fi
	c=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8462/api/summary)
	[ "$c" = 401 ] && ok "tlsrpt-dashboard: no credentials, 401" || fail "dashboard without credentials: $c"
else fail "tlsrpt-dashboard" "$(systemctl status tlsrpt-dashboard 2>&1 | tail -n 8)"; fi
systemctl stop tlsrpt-dashboard
[ "$(sha256sum < /var/lib/tlsrpt/tlsrpt.db)" = "$sum0" ] && ok "the store is unchanged by the dashboard" ||
	fail "the dashboard changed the store"

# both at once with their default settings: tlsrpt-serve (intake 8460,
# dashboard 8461) beside tlsrpt-dashboard (8462), no port shared
systemctl start tlsrpt-serve tlsrpt-dashboard
if wait_for curl -sf -o /dev/null http://127.0.0.1:8460/healthz &&
   wait_for curl -s -o /dev/null http://127.0.0.1:8462/login.html; then
	c1=$(curl -s -o /results/both1.out -w '%{http_code}' -H "Authorization: Bearer $tok" \
		'http://127.0.0.1:8461/api/summary?since=2016-01-01')
	c2=$(curl -s -o /results/both2.out -w '%{http_code}' -H "Authorization: Bearer $tok" \
		'http://127.0.0.1:8462/api/summary?since=2016-01-01')
	if [ "$c1" = 200 ] && [ "$c2" = 200 ] && grep -q company-y /results/both1.out &&
	   grep -q company-y /results/both2.out &&
	   systemctl is-active -q tlsrpt-serve && systemctl is-active -q tlsrpt-dashboard; then
		ok "tlsrpt-serve and tlsrpt-dashboard run together: intake 8460, dashboards 8461 and 8462 answer"
	else fail "serve + dashboard together (8461: $c1, 8462: $c2)" \
		"$(systemctl show -p ActiveState tlsrpt-serve tlsrpt-dashboard | tr '\n' ' ')" \
		"$(journalctl -u tlsrpt-serve -u tlsrpt-dashboard --no-pager | tail -n 6)"; fi
else fail "serve + dashboard together: not both reachable" \
	"$(systemctl status tlsrpt-serve tlsrpt-dashboard 2>&1 | grep -i 'active:\|error\|address' | head -n 6)"; fi
systemctl stop tlsrpt-serve tlsrpt-dashboard

# policyd: its socket answers a socketmap query
systemctl start tlsrpt-policyd
psock=/var/spool/postfix/tlsrpt/policyd.sock
if wait_for test -S $psock && [ "$(user_of tlsrpt-policyd)" = _tlsrpt ]; then
	ok "tlsrpt-policyd runs as _tlsrpt with its socket $psock"
else fail "tlsrpt-policyd (user '$(user_of tlsrpt-policyd)')" "$(ls -la /var/spool/postfix/tlsrpt)" \
	"$(systemctl show -p ActiveState,SubState,MainPID tlsrpt-policyd)" "$(journalctl -u tlsrpt-policyd --no-pager | tail -n 8)"; fi
systemctl stop tlsrpt-policyd

# reportd: runs (it waits for its daily time)
systemctl start tlsrpt-reportd
sleep 1
if systemctl is-active -q tlsrpt-reportd && [ "$(user_of tlsrpt-reportd)" = _tlsrpt ]; then
	ok "tlsrpt-reportd runs as _tlsrpt"
else fail "tlsrpt-reportd" "$(systemctl status tlsrpt-reportd 2>&1 | tail -n 8)"; fi
systemctl stop tlsrpt-reportd

# prune: the oneshot of the timer succeeds
if systemctl start tlsrpt-prune.service && [ "$(systemctl show -p Result --value tlsrpt-prune.service)" = success ] &&
   [ "$(stat -c %U /var/lib/tlsrpt/tlsrpt.db)" = _tlsrpt ]; then
	ok "tlsrpt-prune.service (the timer's job) succeeds as _tlsrpt"
else fail "tlsrpt-prune.service" "$(journalctl -u tlsrpt-prune --no-pager | tail -n 5)"; fi
for t in fetch alert; do
	systemctl cat "tlsrpt-$t.timer" > /dev/null 2>&1 && [ "$(systemctl show -p LoadState --value "tlsrpt-$t.timer")" = loaded ] &&
		ok "tlsrpt-$t.timer is loaded (enabled by the administrator once configured)" || fail "tlsrpt-$t.timer"
done
echo done >> /results/tap
EOF
start=$(date +%s)
timeout 170 systemd-nspawn -q -D "$r" --register=no --keep-unit --link-journal=no \
	--private-network --console=pipe --bind="$dir/results:/results" \
	-b systemd.unit=tlsrpt-check.target > "$dir/boot.log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
if [ ! -s "$dir/results/tap" ]; then
	if grep -q . "$dir/boot.log"; then
		skip "the container did not run the checks (nspawn exit $rc): $(tail -n 2 "$dir/boot.log" | tr '\n' ' ')"
	fi
	skip "the container did not run the checks (nspawn exit $rc after $secs s)"
fi
tap_n=0
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	"# "*) echo "$line" ;;
	esac
done < "$dir/results/tap"
grep -q '^done$' "$dir/results/tap" || fail "the checks did not finish" "$(tail -n 5 "$dir/results/check.log")"
ok "container booted, checked and powered off in $secs s (nspawn exit $rc)"
tap_done
