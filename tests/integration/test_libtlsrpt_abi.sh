#!/bin/sh
# libtlsrpt as an MTA sees it: the shared library exports exactly sys4's 19
# functions, SONAME libtlsrpt.so.0, libc as its only dependency; the header
# compiles as C and as C++; a program built like Postfix (-ltlsrpt) links
# to the shared library and reports through it; the pkg-config file.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
SO="$TLSRPT_O/libtlsrpt.so.0"
T=$(mktemp -d /tmp/tlsrpt-abi.XXXXXX)
trap 'rm -rf "$T"' EXIT

want="tlsrpt_add_delivery_request_failure tlsrpt_add_mx_host_pattern tlsrpt_add_policy_string
tlsrpt_cancel_delivery_request tlsrpt_close tlsrpt_errno_from_error_code tlsrpt_error_code_is_internal
tlsrpt_finish_delivery_request tlsrpt_finish_policy tlsrpt_get_socket tlsrpt_init_delivery_request
tlsrpt_init_policy tlsrpt_open tlsrpt_set_blocking tlsrpt_set_malloc_and_free tlsrpt_set_nonblocking
tlsrpt_strerror tlsrpt_version tlsrpt_version_check"
# Every defined dynamic symbol, whatever its type (T, D, B, R, W, V, i…).
got=$(nm -D --defined-only "$SO" | awk 'NF >= 3 {print $3}' | sort | tr '\n' ' ')
exp=$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')
[ "$got" = "$exp" ] && ok "exports exactly the 19 sys4 functions" || fail "exported symbols" "got: $got" "want: $exp"

soname=$(readelf -d "$SO" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libtlsrpt.so.0 ] && ok "SONAME libtlsrpt.so.0" || fail "SONAME" "$soname"
needed=$(readelf -d "$SO" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -v -e '^libasan' -e '^libubsan' | tr '\n' ' ')
[ "$needed" = "libc.so.6 " ] && ok "depends on libc only" || fail "NEEDED" "$needed"

cat > "$T/mta.c" <<'CEOF'
#include <stdio.h>
#include <tlsrpt.h>
#if TLSRPT_VERSION_MAJOR != 0 || TLSRPT_VERSION_MINOR != 5
#error "must claim 0.5"
#endif
int main(int argc, char **argv) {
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	int rc = tlsrpt_open(&con, argc > 1 ? argv[1] : "/nonexistent");
	if (rc == 0) rc = tlsrpt_init_delivery_request(&dr, con, "example.com", "v=TLSRPTv1; rua=mailto:a@example.com");
	if (rc == 0) rc = tlsrpt_init_policy(dr, TLSRPT_NO_POLICY_FOUND, NULL);
	if (rc == 0) rc = tlsrpt_add_delivery_request_failure(dr, TLSRPT_STARTTLS_NOT_SUPPORTED, "192.0.2.1", "mx.example.com", NULL, NULL, NULL, NULL);
	if (rc == 0) rc = tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE);
	if (rc == 0) rc = tlsrpt_finish_delivery_request(&dr); else tlsrpt_cancel_delivery_request(&dr);
	tlsrpt_close(&con);
	printf("%d %d %s %s\n", rc, tlsrpt_error_code_is_internal(rc), tlsrpt_strerror(rc), TLSRPT_VERSION_STRING);
	return 0;
}
CEOF
san=
if nm "$TLSRPT_O/libtlsrpt.a" 2>/dev/null | grep -q __asan; then san="-fsanitize=address,undefined"; fi
check "tlsrpt.h compiles as C (-std=c89 -pedantic)" cc -std=c89 -pedantic -Wall -Werror -Iinclude -fsyntax-only "$T/mta.c"
if command -v c++ >/dev/null; then
	check "tlsrpt.h compiles as C++" c++ -x c++ -Wall -Werror -Iinclude -fsyntax-only "$T/mta.c"
else
	ok "tlsrpt.h compiles as C++ # SKIP no c++ compiler"
fi
# Postfix: CCARGS=-DUSE_TLSRPT -I…, AUXLIBS=-L… -ltlsrpt
if cc $san -Iinclude -o "$T/mta" "$T/mta.c" -L"$TLSRPT_O" -ltlsrpt 2>"$T/cc.log"; then
	ok "an MTA links with -ltlsrpt"
	out=$(LD_LIBRARY_PATH="$TLSRPT_O" "$T/mta" "$T/none.sock")
	case "$out" in "13002 0 "*" 0.5.1") ok "reports through the shared library (ENOENT without a collector: $out)";;
	*) fail "run through the shared library" "$out";; esac
	/usr/bin/python3 - "$T/c.sock" "$T/mta" "$TLSRPT_O" > "$T/got" <<'PEOF'
import os, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
env = dict(os.environ, LD_LIBRARY_PATH=sys.argv[3])
subprocess.run([sys.argv[2], sys.argv[1]], env=env, check=True, stdout=subprocess.DEVNULL)
s.settimeout(5); sys.stdout.buffer.write(s.recv(65536))
PEOF
	want='{"dpv": "1","d": "example.com","pr": "v=TLSRPTv1; rua=mailto:a@example.com","policies":[{"policy-type":9,"failure-details":[{"c":201,"s": "192.0.2.1","n": "mx.example.com"}],"t":1,"f":1}]}'
	# byte for byte: printf adds no newline, cmp sees a trailing one
	printf '%s' "$want" > "$T/want"
	cmp -s "$T/got" "$T/want" && ok "datagram received from the shared library, byte for byte" ||
		fail "datagram" "$(od -c "$T/got" | tail -3)"
else
	fail "an MTA links with -ltlsrpt" "$(cat "$T/cc.log")"
fi

make -s O="$TLSRPT_O" install DESTDIR="$T/inst" PREFIX=/usr >/dev/null 2>"$T/inst.log"
pc=$T/inst/usr/lib/pkgconfig/libtlsrpt.pc
if [ -f "$pc" ] && [ "$(PKG_CONFIG_PATH=$T/inst/usr/lib/pkgconfig pkg-config --modversion libtlsrpt)" = 0.5.1 ] &&
   PKG_CONFIG_PATH=$T/inst/usr/lib/pkgconfig pkg-config --libs libtlsrpt | grep -q -- '-ltlsrpt'; then
	ok "make install: libtlsrpt.pc (0.5.1, -ltlsrpt), man pages"
else
	fail "pkg-config file" "$(cat "$T/inst.log")" "$(cat "$pc" 2>/dev/null)"
fi
[ -f "$T/inst/usr/share/man/man3/tlsrpt_open.3" ] && ok "one man page link per function" || fail "man links"
missing=""
for m in "$TLSRPT_SRC"/man/*.[1358]; do
	f=$(basename "$m")
	[ -f "$T/inst/usr/share/man/man${f##*.}/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "make install: every man page (sections 1, 3, 5, 8)" ||
	fail "make install: man pages not installed:$missing"
tap_done
