#!/usr/bin/env bash
# postfix.sh - a private Postfix 3.10 on loopback, built from the upstream tarball with
# -DUSE_TLSRPT against our include/tlsrpt.h and $TLSRPT_O/libtlsrpt.so.0, for TLSRPT tests.
#
# usage: postfix.sh build             build once into $TLSRPT_SRC/$TLSRPT_O/postfix (reused while the
#                                     tarball's checksum, include/tlsrpt.h and lib/libtlsrpt.map are
#                                     unchanged); prints POSTFIX_HOME=...  Exit 3 (with the reason on
#                                     stderr) if the tarball is absent: callers skip.  Postfix is
#                                     linked against a plain (unsanitized) build of our library,
#                                     $TLSRPT_O/postfix-lib, same sources, header and version script,
#                                     so that no compiler runs with libasan preloaded; at run time
#                                     it loads $TLSRPT_O/libtlsrpt.so.0 (rpath), the library tested.
#        postfix.sh start  DIR [FILE] start a private instance in DIR (needs root; builds first if needed).
#                                     FILE (or $POSTFIX_MAIN_CF, a file) holds extra main.cf lines,
#                                     appended last (they win); $POSTFIX_MASTER_CF (a file) extra
#                                     master.cf lines.  Prints and writes DIR/env (see below).
#        postfix.sh stop   DIR        stop it (master and every child); DIR is kept
#        postfix.sh status DIR        exit 0 if running
#        postfix.sh reload DIR        re-read main.cf/master.cf (postfix reload), and return once the
#                                     master has logged the reload and every process it ran before
#                                     has exited (they do when idle): from then on each process
#                                     runs the new settings; exit 1 after 30 s
#        postfix.sh newaliases DIR    rebuild DIR/etc/aliases.db after editing DIR/etc/aliases
#        postfix.sh flush  DIR        attempt delivery of every deferred mail now (postqueue -f)
#        postfix.sh cmd    DIR PROG ARGS...  run a Postfix command against DIR's configuration, e.g.
#                                     postfix.sh cmd DIR postmap -q d.test socketmap:unix:/s/sock:name
#                                     (PROG: postmap postconf postqueue postsuper postalias postlog)
#        postfix.sh wait-log DIR REGEX N [SECONDS]  wait until DIR/maillog has >= N lines matching
#                                     the extended REGEX (default 20 s); exit 1 on timeout
#        postfix.sh selftest          build, start, deliver one mail to a local sink, stop
#
# DIR layout: DIR/etc (config_directory: main.cf, master.cf, aliases), DIR/spool (queue_directory),
#   DIR/data (data_directory), DIR/maillog (maillog_file: Postfix's log, via postlogd).
# DIR/env:  POSTFIX_DIR  POSTFIX_CONFIG (=DIR/etc)  POSTFIX_QUEUE (=DIR/spool)  POSTFIX_LOG (=DIR/maillog)
#           POSTFIX_SMTPD_PORT (smtpd on 127.0.0.1, mynetworks 127.0.0.0/8: inject mail there)
#           POSTFIX_HOME (the build: bin/ libexec/)
# The instance: inet_interfaces 127.0.0.1, ipv4 only, no chroot, mail_owner postfix, setgid_group
#   postdrop (both created as system accounts if missing), myhostname postfix.test, aliases in
#   hash:DIR/etc/aliases (local_recipient_maps empty: every local name is accepted),
#   smtp_tls_security_level = may, short retry times (1-2 s), no proxymap/verify/postscreen,
#   smtp_tlsrpt_enable = no unless FILE says otherwise, e.g.
#       smtp_tlsrpt_enable = yes
#       smtp_tlsrpt_socket_name = /abs/collectd.sock
#       smtp_tlsrpt_skip_reused_handshakes = no
#       transport_maps = inline:{ d.test=smtp:d.test:2525 }
#       smtp_tls_policy_maps = socketmap:unix:/path/policyd.sock:postfix
# DNS: Postfix knows only the system resolver.  POSTFIX_RESOLV_CONF=FILE bind-mounts FILE on
#   /etc/resolv.conf for the instance alone (private mount namespace, unshare -m), e.g.
#   "nameserver 127.53.1.2\noptions trust-ad" with dns.sh started on 127.53.1.2:53 (trust-ad is
#   needed for DANE: glibc passes the AD bit on only with it).
# Sanitizers: if libtlsrpt.so.0 was built with ASan, its runtime is preloaded into Postfix
#   (LD_PRELOAD, ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0, passed through
#   import_environment) so that the library runs checked inside the real MTA.
# Environment: TLSRPT_SRC (source tree; default: two levels above this file), TLSRPT_O (build
#   directory, default build), POSTFIX_DIST (tarball + SHA256SUMS; default $TLSRPT_SRC/../shared/postfix).
# Build needs: build-essential m4 libdb-dev libssl-dev libnsl-dev (installed if missing); ~2 min
#   CPU (make -j2 on 2 cores), only the programs the tests use, no docs.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # die, as_root, apt_install, alive, ports, make_tls, stop_pid…
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "${TLSRPT_SRC:-$HERE/../..}" && pwd)
O=${TLSRPT_O:-build}
case "$O" in /*) OBUILD=$O ;; *) OBUILD=$SRC/$O ;; esac
HOME_PF=$OBUILD/postfix
DIST=${POSTFIX_DIST:-$SRC/../shared/postfix}
# The programs a test instance runs (and the libraries they need); the rest of Postfix is not built.
PF_DIRS="src/util src/global src/dns src/tls src/xsasl src/master src/milter src/error src/pickup
 src/cleanup src/smtpd src/local src/trivial-rewrite src/qmgr src/smtp src/bounce src/showq
 src/postalias src/postconf src/postmap src/postqueue src/postsuper src/flush src/anvil src/scache
 src/discard src/tlsmgr src/tlsproxy src/postlogd src/postlog"
BUILD_REV=2   # bump when the way of building changes

ensure_build_deps() {
    local need=() p
    for p in build-essential m4 libdb-dev libssl-dev libnsl-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

# The tarball named in DIST/SHA256SUMS; exit 3 when there is none.
tarball() {
    local name
    [ -f "$DIST/SHA256SUMS" ] || { echo "postfix.sh: no Postfix source: $DIST/SHA256SUMS absent" >&2; exit 3; }
    name=$(awk '$2 ~ /^\*?postfix-[0-9.]+\.tar\.gz$/ { sub(/^\*/, "", $2); print $2; exit }' "$DIST/SHA256SUMS")
    [ -n "$name" ] && [ -f "$DIST/$name" ] || { echo "postfix.sh: no Postfix source: no postfix-*.tar.gz listed in $DIST/SHA256SUMS beside it" >&2; exit 3; }
    echo "$DIST/$name"
}

build_key() { # TARBALL: what the build depends on
    {
        echo "rev $BUILD_REV"
        grep " \*\?$(basename "$1")\$" "$DIST/SHA256SUMS"
        sha256sum < "$SRC/include/tlsrpt.h"
        sha256sum < "$SRC/lib/libtlsrpt.map"
        echo "$PF_DIRS" | tr -s ' \n' ' '
        echo "$OBUILD"
    } | sha256sum | cut -d' ' -f1
}

cmd_build() {
    local tb
    tb=$(tarball)
    [ -f "$OBUILD/libtlsrpt.so.0" ] || die "$OBUILD/libtlsrpt.so.0 absent: build the library first (make O=$O)"
    mkdir -p "$HOME_PF"
    # one build at a time: a second caller waits, then reuses it; the lock is
    # held by the subshell only, and released when it ends
    ( flock 9 && build_locked "$tb" ) 9>"$HOME_PF.lock"
}

build_locked() { # TARBALL
    local tb=$1 key
    key=$(build_key "$tb")
    if [ -f "$HOME_PF/build.key" ] && [ "$(cat "$HOME_PF/build.key")" = "$key" ] &&
       [ -x "$HOME_PF/libexec/master" ] && [ -x "$HOME_PF/libexec/smtp" ]; then
        echo "POSTFIX_HOME=$HOME_PF"; return 0
    fi
    ( cd "$DIST" && grep " \*\?$(basename "$tb")\$" SHA256SUMS | sha256sum -c --quiet - ) >&2 ||
        die "checksum mismatch: $tb (see $DIST/SHA256SUMS)"
    ensure_build_deps
    id postfix >/dev/null 2>&1 || ensure_accounts
    rm -rf "$HOME_PF" && mkdir -p "$HOME_PF"
    echo "postfix.sh: building Postfix from $(basename "$tb") into $HOME_PF (log: $HOME_PF.build.log)" >&2
    tar -xzf "$tb" -C "$HOME_PF" --strip-components=1
    # Link-time library: ours without sanitizers (a sanitized one would need libasan
    # preloaded into every compiler and linker run, several times slower).  Same soname, so
    # at run time the rpath finds $OBUILD/libtlsrpt.so.0: the library under test.
    (
        cd "$HOME_PF"
        unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES LD_PRELOAD
        make -C "$SRC" --no-print-directory O="$OBUILD/postfix-lib" SANITIZE= OPT=-O2 \
            "$OBUILD/postfix-lib/libtlsrpt.so.0" &&
        # shellcheck disable=SC2086
        make makefiles DIRS="$(echo $PF_DIRS)" shared=no dynamicmaps=no OPT=-O2 DEBUG= \
            CCARGS="-DUSE_TLS -DUSE_TLSRPT -I$SRC/include -DNO_NIS -DNO_PCRE -DNO_LMDB -DNO_CDB -DNO_EAI" \
            AUXLIBS="-lssl -lcrypto -L$OBUILD/postfix-lib -Wl,-rpath,$OBUILD -ltlsrpt" &&
        make -j2 DIRS="$(echo $PF_DIRS)"
    ) > "$HOME_PF.build.log" 2>&1 || { tail -n 30 "$HOME_PF.build.log" >&2; die "build failed; see $HOME_PF.build.log"; }
    [ -x "$HOME_PF/libexec/smtp" ] || die "build produced no libexec/smtp; see $HOME_PF.build.log"
    echo "$key" > "$HOME_PF/build.key"
    echo "POSTFIX_HOME=$HOME_PF"
}

# The ASan runtime our library needs, if it was built with ASan ("" if not).
asan_runtime() {
    ldd "$OBUILD/libtlsrpt.so.0" 2>/dev/null | awk '/libasan\.so/ { print $3; exit }'
}

ensure_accounts() {
    getent group postdrop >/dev/null || as_root groupadd --system postdrop
    id postfix >/dev/null 2>&1 ||
        as_root useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group postfix
}

master_pid() { [ -f "$1/spool/pid/master.pid" ] && tr -d ' \n' < "$1/spool/pid/master.pid"; }
running() { local p; p=$(master_pid "$1" 2>/dev/null) && [ -n "$p" ] && alive "$p"; }

# pf_env CMD...: run CMD with the environment the instance's programs get.
pf_env() {
    local libasan
    libasan=$(asan_runtime)
    if [ -n "$libasan" ]; then
        env LD_PRELOAD="$libasan" ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0" "$@"
    else
        "$@"
    fi
}

write_main_cf() { # DIR PORT
    local d=$1 imp="MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C"
    [ -z "$(asan_runtime)" ] || imp="$imp LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS"
    cat > "$d/etc/main.cf" <<EOF
# written by tests/components/postfix.sh
compatibility_level = 3.10
config_directory = $d/etc
queue_directory = $d/spool
data_directory = $d/data
command_directory = $HOME_PF/bin
daemon_directory = $HOME_PF/libexec
meta_directory = $HOME_PF/meta
shlib_directory = no
mail_owner = postfix
setgid_group = postdrop
default_privs = nobody
import_environment = $imp
myhostname = postfix.test
mydomain = postfix.test
myorigin = \$myhostname
mydestination = \$myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
maillog_file = $d/maillog
maillog_file_prefixes = $d
alias_maps = hash:$d/etc/aliases
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
smtpd_banner = \$myhostname ESMTP
smtpd_peername_lookup = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_tlsrpt_enable = no
EOF
    if [ -n "${2:-}" ] && [ -f "$2" ]; then
        # a default that FILE sets again is dropped (Postfix would warn about each)
        awk 'NR == FNR { if (match($0, /^[a-z0-9_]+[ \t]*=/)) { k = $0; sub(/[ \t]*=.*/, "", k); set[k] = 1 }; next }
             { k = $0; sub(/[ \t]*=.*/, "", k); if (!(k in set)) print }' "$2" "$d/etc/main.cf" > "$d/etc/main.cf.tmp"
        { echo "# extra lines"; cat "$2"; } >> "$d/etc/main.cf.tmp"
        mv "$d/etc/main.cf.tmp" "$d/etc/main.cf"
    fi
}

write_master_cf() { # DIR PORT
    cat > "$1/etc/master.cf" <<EOF
# written by tests/components/postfix.sh: only the services a test uses; no chroot
127.0.0.1:$2 inet n - n - - smtpd
pickup    fifo  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
flush     unix  n - n 1000? 0 flush
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
tlsproxy  unix  - - n -    0 tlsproxy
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
local     unix  - n n -    - local
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
    if [ -n "${POSTFIX_MASTER_CF:-}" ]; then cat "$POSTFIX_MASTER_CF" >> "$1/etc/master.cf"; fi
}

make_queue() { # DIR
    local q=$1/spool s
    mkdir -p "$q" "$1/data"
    chown root:root "$q"; chmod 755 "$q"
    for s in active bounce corrupt defer deferred flush hold incoming private saved trace; do
        mkdir -p "$q/$s"; chown postfix:root "$q/$s"; chmod 700 "$q/$s"
    done
    mkdir -p "$q/public" "$q/maildrop" "$q/pid"
    chown postfix:postdrop "$q/public" "$q/maildrop"; chmod 710 "$q/public"; chmod 1730 "$q/maildrop"
    chown root:root "$q/pid"; chmod 755 "$q/pid"
    chown postfix:postfix "$1/data"; chmod 700 "$1/data"
}

cmd_start() {
    local dir=${1:?DIR required} extra=${2:-${POSTFIX_MAIN_CF:-}} port i
    [ "$(id -u)" = 0 ] || die "start needs root (Postfix's master runs as root)"
    mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
    if running "$dir"; then cat "$dir/env"; return 0; fi
    [ -z "$extra" ] || [ -f "$extra" ] || die "no such main.cf fragment: $extra"
    cmd_build > /dev/null
    ensure_accounts
    mkdir -p "$dir/etc"
    [ -f "$dir/etc/aliases" ] || printf 'postmaster: root\n' > "$dir/etc/aliases"
    make_queue "$dir"
    : > "$dir/maillog"; chmod 644 "$dir/maillog"
    port=$(pick_port) || die "no free port"
    write_main_cf "$dir" "$extra"
    write_master_cf "$dir" "$port"
    pf_cmd "$dir" postalias "$dir/etc/aliases" || die "postalias $dir/etc/aliases failed"
    local -a run=(pf_env "$HOME_PF/libexec/master" -c "$dir/etc" -w)
    if [ -n "${POSTFIX_RESOLV_CONF:-}" ]; then
        [ -f "$POSTFIX_RESOLV_CONF" ] || die "no such file: $POSTFIX_RESOLV_CONF"
        # private mount namespace: the bind mount is seen by this Postfix only
        unshare --mount --propagation private bash -c 'mount --bind "$1" /etc/resolv.conf && shift && "$@"' \
            sh "$POSTFIX_RESOLV_CONF" env -u LD_PRELOAD "$HERE/postfix.sh" __master "$dir" \
            > "$dir/master.out" 2>&1 || { cat "$dir/master.out" >&2; die "master did not start; see $dir/maillog"; }
    else
        cmd_master "$dir" > "$dir/master.out" 2>&1 || { cat "$dir/master.out" >&2; die "master did not start; see $dir/maillog"; }
    fi
    for i in $(seq 1 100); do
        ! port_free "$port" && running "$dir" && break
        sleep 0.05
    done
    running "$dir" && ! port_free "$port" || { tail -n 20 "$dir/maillog" >&2; die "Postfix did not start; see $dir/maillog"; }
    cat > "$dir/env" <<EOF
POSTFIX_DIR=$dir
POSTFIX_CONFIG=$dir/etc
POSTFIX_QUEUE=$dir/spool
POSTFIX_LOG=$dir/maillog
POSTFIX_SMTPD_PORT=$port
POSTFIX_HOME=$HOME_PF
EOF
    cat "$dir/env"
}

# master -w: returns once the real master daemon has initialised (or failed)
cmd_master() { pf_env "$HOME_PF/libexec/master" -c "$1/etc" -w < /dev/null; }

cmd_stop() {
    local dir=${1:?DIR required} pid
    pid=$(master_pid "$dir" 2>/dev/null) || { echo "not running"; return 0; }
    # master's SIGTERM handler signals its whole process group (its children) before it exits
    [ -z "$pid" ] || stop_pid "$pid"
    rm -f "$dir/spool/pid/master.pid"
    echo stopped
}

pf_cmd() { # DIR PROG ARGS...
    local dir=${1:?DIR required} prog=${2:?PROG required}; shift 2
    case "$prog" in postmap|postconf|postqueue|postsuper|postalias|postlog) ;; *) die "cmd: not a Postfix command here: $prog" ;; esac
    [ -x "$HOME_PF/bin/$prog" ] || die "not built: $HOME_PF/bin/$prog (postfix.sh build)"
    pf_env "$HOME_PF/bin/$prog" -c "$dir/etc" "$@"
}

cmd_wait_log() { # DIR REGEX N [SECONDS]
    local dir=$1 re=$2 n=$3 secs=${4:-20} i
    for i in $(seq 1 $((secs * 10))); do
        [ "$(grep -cE -- "$re" "$dir/maillog" 2>/dev/null || true)" -ge "$n" ] && return 0
        sleep 0.1
    done
    echo "postfix.sh: timeout: $(grep -cE -- "$re" "$dir/maillog" || true) of $n lines matching $re in $dir/maillog" >&2
    return 1
}

# The master re-reads its configuration on SIGHUP, logs "reload -- version", and closes the
# status pipe of every service: each child of the old configuration exits when next idle.
cmd_reload() { # DIR
    local dir=$1 pid old n p left i
    running "$dir" || die "not running"
    pid=$(master_pid "$dir")
    old=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
    n=$(grep -c 'postfix/master\[[0-9]*\]: reload -- version' "$dir/maillog" || true)
    kill -HUP "$pid"
    cmd_wait_log "$dir" 'postfix/master\[[0-9]*\]: reload -- version' $((n + 1)) 30 || die "master logged no reload"
    for i in $(seq 1 300); do
        left=""
        for p in $old; do alive "$p" && left="$left $p"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    [ -z "$left" ] || die "reload: processes of the old configuration still running after 30 s:$left"
    echo reloaded
}

cmd_selftest() {
    local dir rc=0 sink
    dir=$(mktemp -d /tmp/postfix-selftest.XXXXXX); chmod 755 "$dir"
    trap '"$HERE/smtp-sink.sh" stop "$dir/sink" >/dev/null; cmd_stop "$dir/pf" >/dev/null; rm -rf "$dir"; trap - RETURN EXIT' RETURN EXIT
    cmd_build
    eval "$("$HERE/smtp-sink.sh" start "$dir/sink")"
    printf 'transport_maps = inline:{ sink.test=smtp:[127.0.0.1]:%s }\n' "$SMTP_PORT" > "$dir/extra.cf"
    eval "$(cmd_start "$dir/pf" "$dir/extra.cf")"
    printf 'From: a@postfix.test\r\nTo: b@sink.test\r\nSubject: selftest\r\n\r\nhello\r\n' > "$dir/m.eml"
    curl -sS --max-time 10 "smtp://127.0.0.1:$POSTFIX_SMTPD_PORT" --mail-from a@postfix.test --mail-rcpt b@sink.test -T "$dir/m.eml" || rc=1
    if cmd_wait_log "$dir/pf" 'status=sent' 1 20 && [ "$("$HERE/smtp-sink.sh" count "$dir/sink")" = 1 ]; then
        echo "ok   delivered through Postfix to the sink (TLS: $(grep -c 'TLS connection established' "$dir/pf/maillog"))"
    else
        echo "FAIL delivery"; tail -n 20 "$dir/pf/maillog"; rc=1
    fi
    [ $rc = 0 ] && echo "postfix selftest: all passed" || echo "postfix selftest: FAILED"
    return $rc
}

case "${1:-}" in
    build) cmd_build ;;
    start) cmd_start "${2:-}" "${3:-}" ;;
    __master) cmd_master "${2:?}" ;;
    stop) cmd_stop "${2:-}" ;;
    status) running "${2:?DIR required}" && { echo running; cat "$2/env"; } || { echo stopped; exit 1; } ;;
    reload) cmd_reload "${2:?DIR required}" ;;
    flush) pf_cmd "${2:?DIR required}" postqueue -f ;;
    newaliases) pf_cmd "${2:?DIR required}" postalias "$2/etc/aliases" ;;
    cmd) shift; pf_cmd "$@" ;;
    wait-log) cmd_wait_log "${2:?DIR}" "${3:?REGEX}" "${4:?N}" "${5:-20}" ;;
    selftest) cmd_selftest ;;
    *) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 2 ;;
esac
