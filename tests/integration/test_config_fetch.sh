#!/bin/sh
# `tlsrpt fetch imap` with every IMAP setting taken from tlsrpt.conf
# (fetch_imap_*, database_url) against a real Dovecot (tests/components/
# imap.sh) on loopback: URL, user, password file, CA, \Seen; a flag still
# overrides the file; a wrong fetch_imap_cacert is refused; --no-seen
# overrides fetch_imap_seen = yes (file or environment), the last flag winning.
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-config-fetch.XXXXXX)
chmod o+x "$dir"
trap 'bash "$COMPONENTS/imap.sh" stop "$dir/imap" >/dev/null 2>&1; rm -rf "$dir"' EXIT
unset TLSRPT_IMAP_PASSWORD TLSRPT_DB TLSRPT_CONFIG
corpus="$TLSRPT_SRC/tests/corpus"
cp "$corpus/kravietz+tlsrpt-rs/google1.eml" "$corpus/kravietz+tlsrpt-rs/mail.ru.eml" "$dir/"
if ! bash "$COMPONENTS/imap.sh" add "$dir/imap" tls "$dir"/*.eml >/dev/null 2>"$dir/add.err" ||
   ! bash "$COMPONENTS/imap.sh" start "$dir/imap" >/dev/null 2>"$dir/start.err"; then
	fail "dovecot starts" "$(cat "$dir/add.err" "$dir/start.err")"
	tap_done; exit
fi
eval "$(cat "$dir/imap/env")"
printf '%s\n' "$IMAP_PASS" > "$dir/imap.pw"
chmod 600 "$dir/imap.pw"   # a password file others may read is refused
cat > "$dir/tlsrpt.conf" <<CONF
# everything 'tlsrpt fetch imap' needs
database_url = sqlite:$dir/tlsrpt.db
fetch_imap_url = imaps://localhost:$IMAPS_PORT
fetch_imap_user = $IMAP_USER
fetch_imap_password_file = $dir/imap.pw
fetch_imap_cacert = $IMAP_CA
fetch_imap_seen = yes
CONF

out=$("$TLSRPT" fetch --config "$dir/tlsrpt.conf" imap 2>&1)
rc=$?
case "$out" in
*"fetched 2 messages: 2 stored"*) [ "$rc" = 0 ] && ok "fetch imap with URL, user, password file and CA from tlsrpt.conf" ||
	fail "fetch imap from tlsrpt.conf: status $rc" "$out" ;;
*) fail "fetch imap from tlsrpt.conf" "rc=$rc" "$out" ;;
esac
flags=$(curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "imaps://localhost:$IMAPS_PORT/INBOX" \
	-X 'FETCH 1:* FLAGS' 2>&1)
n_seen=$(echo "$flags" | grep -c 'Seen')
[ "$n_seen" = 2 ] && ok "fetch_imap_seen = yes flagged both stored messages \\Seen" ||
	fail "fetch_imap_seen" "$flags"
out=$(env TLSRPT_CONFIG="$dir/tlsrpt.conf" "$TLSRPT" fetch imap 2>&1)
rc=$?
case "$rc:$out" in 0:*"fetched 0 messages"*) ok "TLSRPT_CONFIG: second fetch finds nothing new" ;;
*) fail "second fetch through TLSRPT_CONFIG" "rc=$rc, want 0" "$out" ;; esac
out=$("$TLSRPT" fetch --config "$dir/tlsrpt.conf" imap --cacert /etc/ssl/certs/ca-certificates.crt 2>&1)
rc=$?
case "$out" in *certificate*|*SSL*|*TLS*) ;; *) rc="$rc, no certificate error" ;; esac
[ "$rc" = 3 ] && ok "--cacert overrides fetch_imap_cacert (the system CAs refuse the test CA)" ||
	fail "--cacert over fetch_imap_cacert" "rc=$rc" "$out"
sed "s|^fetch_imap_password_file = .*|fetch_imap_password_file = $dir/nonexistent|" \
	"$dir/tlsrpt.conf" > "$dir/nopw.conf"
out=$(env TLSRPT_IMAP_PASSWORD="$IMAP_PASS" "$TLSRPT" fetch --config "$dir/nopw.conf" imap 2>&1)
rc=$?
[ "$rc" = 0 ] && ok "TLSRPT_IMAP_PASSWORD overrides fetch_imap_password_file" ||
	fail "TLSRPT_IMAP_PASSWORD over fetch_imap_password_file" "rc=$rc" "$out"
# ---- fetch_imap_seen = yes and --no-seen ---------------------------------
# imap_cmd CMD: one IMAP command on INBOX (curl SELECTs it first)
imap_cmd() {
	curl -sS --cacert "$IMAP_CA" -u "$IMAP_USER:$IMAP_PASS" "imaps://localhost:$IMAPS_PORT/INBOX" -X "$1" 2>&1
}
seen_count() { imap_cmd 'FETCH 1:* FLAGS' | grep -c 'Seen'; }
# seen_run NAME ARGS…: clears \Seen on both messages, fetches them into a new
# store; prints "S seen before, rc=R, N stored, S seen"
seen_run() {
	n=$1; shift
	imap_cmd 'STORE 1:* -FLAGS (\Seen)' >/dev/null
	before=$(seen_count)
	out=$("$TLSRPT" fetch --db "sqlite:$dir/seen-$n.db" "$@" 2>&1)
	rc=$?
	echo "$before seen before, rc=$rc, $(echo "$out" | grep -o '[0-9]* stored'), $(seen_count) seen"
}
# seen_expect DESC WANT_SEEN NAME ARGS…
seen_expect() {
	d=$1; want="0 seen before, rc=0, 2 stored, $2 seen"; shift 2
	got=$(seen_run "$@")
	[ "$got" = "$want" ] && ok "$d" || fail "$d" "args: $*" "want: $want" "got:  $got"
}
conf="$dir/tlsrpt.conf"
seen_expect "fetch_imap_seen = yes: both flagged \\Seen" 2 file --config "$conf" imap
seen_expect "--no-seen overrides fetch_imap_seen = yes: none flagged" 0 no --config "$conf" imap --no-seen
seen_expect "--seen --no-seen: the last wins, none flagged" 0 on-no --config "$conf" imap --seen --no-seen
seen_expect "--no-seen --seen: the last wins, both flagged" 2 no-on --config "$conf" imap --no-seen --seen
grep -v '^fetch_imap_seen' "$conf" > "$dir/noseen.conf"
seen_expect "without fetch_imap_seen: none flagged" 0 none --config "$dir/noseen.conf" imap
export TLSRPT_FETCH_IMAP_SEEN=yes
seen_expect "TLSRPT_FETCH_IMAP_SEEN=yes: both flagged" 2 env --config "$dir/noseen.conf" imap
seen_expect "--no-seen overrides TLSRPT_FETCH_IMAP_SEEN=yes: none flagged" 0 env-no \
	--config "$dir/noseen.conf" imap --no-seen
unset TLSRPT_FETCH_IMAP_SEEN
tap_done
