#!/bin/sh
# The documentation of every `tlsrpt` command names exactly the long options
# the command accepts.  What it accepts is read from the source (the
# getopt_long() option tables of src/cmd/*.c, see docs_options.py), never
# from the docs; it is compared with `tlsrpt COMMAND --help` and with the
# command's man page (man/tlsrpt-COMMAND.N, else tlsrpt.1), both ways.
# Also: tlsrpt.1 describes every command and its SEE ALSO lists every page.
. "$(dirname "$0")/tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$TLSRPT_SRC" || exit 1
dir=$(mktemp -d /tmp/tlsrpt-test-docs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
unset TLSRPT_DB TLSRPT_DATABASE_URL

# Options deliberately left out of the help text or the man page, with the
# reason.  COMMAND (* = every command) OPTION WHERE (help, man or both) REASON.
# Prefer documenting an option to adding it here.
cat > "$dir/exempt" <<'EOF'
*  help  both  every command takes --help; tlsrpt(1) says once that "tlsrpt COMMAND --help" prints the options
EOF

# The commands: those `tlsrpt --help` lists, which must be src/cmd/cmd_*.c.
cmds=$("$TLSRPT" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
srcs=$(for f in src/cmd/cmd_*.c; do f=${f#src/cmd/cmd_}; echo "${f%.c}"; done)
if [ -n "$cmds" ] && [ "$(echo "$cmds" | sort)" = "$(echo "$srcs" | sort)" ]; then
	ok "tlsrpt --help lists the commands of src/cmd/cmd_*.c ($(printf '%s' "$cmds" | tr '\n' ' '))"
else
	fail "tlsrpt --help does not list the commands of src/cmd/cmd_*.c" \
		"--help: $(printf '%s' "$cmds" | tr '\n' ' ')" "src/cmd: $(printf '%s' "$srcs" | tr '\n' ' ')"
fi

# tlsrpt.1 documents --help once for all commands (the exemption above).
if grep -q '^\.Fl \\-help' man/tlsrpt.1; then ok "tlsrpt.1 documents COMMAND --help"
else fail "tlsrpt.1 does not document COMMAND --help (the exemption relies on it)"; fi

# Each command's help text, as a user sees it (no tlsrpt.conf).
: > "$dir/empty.conf"
for c in $srcs; do
	if TLSRPT_CONFIG="$dir/empty.conf" "$TLSRPT" "$c" --help > "$dir/$c.help" 2> "$dir/$c.err" &&
	   head -n 1 "$dir/$c.help" | grep -q "^usage: tlsrpt $c\b"; then
		:
	else
		fail "tlsrpt $c --help prints its usage on stdout and exits 0" \
			"$(head -n 3 "$dir/$c.help")" "$(cat "$dir/$c.err")"
	fi
done

# shellcheck disable=SC2086
if /usr/bin/python3 "$here/docs_options.py" "$TLSRPT_SRC" "$dir" "$dir/exempt" $srcs \
	> "$dir/results" 2> "$dir/py.err" && [ -s "$dir/results" ]; then
	while IFS='	' read -r status desc details; do
		if [ "$status" = ok ]; then ok "$desc"
		else
			# shellcheck disable=SC2086
			old=$IFS; IFS='	'; set -- $details; IFS=$old
			fail "$desc" "$@"
		fi
	done < "$dir/results"
else
	fail "docs_options.py failed" "$(cat "$dir/py.err")"
fi
tap_done
