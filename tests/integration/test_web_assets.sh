#!/bin/sh
# The dashboard files compiled into the binary (src/serve/serve_web_assets.c)
# are generated from web/ by scripts/embed-web.sh: fail while they differ.
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-webassets.XXXXXX)
trap 'rm -rf "$dir"' EXIT
sh "$TLSRPT_SRC/scripts/embed-web.sh" "$dir/assets.c"
if cmp -s "$dir/assets.c" "$TLSRPT_SRC/src/serve/serve_web_assets.c"; then
	ok "src/serve/serve_web_assets.c is up to date with web/"
else
	fail "src/serve/serve_web_assets.c is out of date: run sh scripts/embed-web.sh" \
		"$(diff "$dir/assets.c" "$TLSRPT_SRC/src/serve/serve_web_assets.c" | head -5)"
fi
tap_done
