# lib.sh - what the component scripts of this directory share.  Each one
# sources it right after `set -euo pipefail`:
#     . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# It defines functions only (no output, no state):
#   die MSG...             "SCRIPT: MSG" on stderr, exit 1
#   as_root CMD...         CMD as root: directly, else through sudo
#   apt_install PKG...     apt-get install --no-install-recommends (apt-get update
#                          first only when that fails); no package starts a system
#                          service meanwhile (a policy-rc.d that says no, when none is there)
#   alive PID              the process exists and is not a zombie
#   port_free PORT         nothing listens on PORT, TCP or UDP
#   pick_port [NOT...]     prints a free port in 20000-59999 other than NOT...
#   make_tls DIR           once: a test CA and a server certificate for localhost,
#                          example.test, *.example.test, 127.0.0.1, ::1 and
#                          $TLS_EXTRA_SANS in DIR (ca.pem, server.pem, server.key)
#   wait_pid PID N CMD...  runs CMD every 50 ms until it succeeds (returns 0), PID
#                          is gone or N tries are spent (returns 1)
#   stop_pid PID [group]   SIGTERM (with "group": to its process group, as the
#                          leader of a setsid), up to 5 s, then SIGKILL likewise
#   stop_pidfile FILE [group]
#                          stop_pid on the pid in FILE, then removes FILE; prints
#                          "stopped", or "not running" when there is no FILE

die() { echo "${0##*/}: $*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

apt_install() {
    local made=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then   # e.g. unbound on :53, dovecot, a packaged cluster
        as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'; made=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
        { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
    [ -z "$made" ] || as_root rm -f /usr/sbin/policy-rc.d
}

# kill -0 also succeeds on a zombie, and PID 1 in some sandboxes never reaps: check the state
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }

port_free() { ! ss -Hltun "( sport = :$1 )" 2>/dev/null | grep -q .; }

pick_port() {
    local p i n ok
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000)) ok=1
        for n in "$@"; do [ "$p" != "$n" ] || ok=""; done
        [ -n "$ok" ] && port_free "$p" && { echo "$p"; return 0; }
    done
    return 1
}

make_tls() { # DIR: CA + server cert (EC P-256, fast)
    local t=$1
    [ -s "$t/server.pem" ] && return 0
    command -v openssl >/dev/null || apt_install openssl
    mkdir -p "$t"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/CN=TLSRPT Test CA" -keyout "$t/ca.key" -out "$t/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=localhost" -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,DNS:example.test,DNS:*.example.test,IP:127.0.0.1,IP:::1%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' \
        "${TLS_EXTRA_SANS:+,$TLS_EXTRA_SANS}" > "$t/server.ext"
    openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
        -days 825 -extfile "$t/server.ext" -out "$t/server.pem" 2>/dev/null
    chmod 644 "$t/server.key"    # test key: let services running as other users read it
}

wait_pid() { # PID N CMD...
    local pid=$1 n=$2 i
    shift 2
    for i in $(seq 1 "$n"); do
        "$@" && return 0
        alive "$pid" || return 1
        sleep 0.05
    done
    return 1
}

stop_pid() { # PID [group]
    local pid=$1 i
    alive "$pid" || return 0
    if [ "${2:-}" = group ]; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    else
        kill -TERM "$pid" 2>/dev/null || true
    fi
    for i in $(seq 1 100); do alive "$pid" || break; sleep 0.05; done
    if [ "${2:-}" = group ]; then
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
}

stop_pidfile() { # FILE [group]
    [ -f "$1" ] || { echo "not running"; return 0; }
    stop_pid "$(cat "$1")" "${2:-}"
    rm -f "$1"
    echo stopped
}
