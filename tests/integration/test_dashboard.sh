#!/bin/sh
# The dashboard in real headless Chromium (tests/components/chromium.sh):
# real reports are loaded through `tlsrpt serve`, then the page is rendered;
# a screenshot is saved (copied to $TLSRPT_O/dashboard.png) and the DOM after
# the scripts ran must show the timeline chart with data points and the
# failure table with data from the store (a known domain, result type and
# fix), report content escaped (a report with markup in its organization
# name), and the domain filter applied, also to "(no policy domain)" (a
# report whose policy names no policy-domain; the form sends domain=-).
. "$(dirname "$0")/tap.sh"
command -v chromium >/dev/null || { echo "ok 1 # SKIP chromium not installed (scripts/deps.txt)"; exit 0; }
dir=$(mktemp -d /tmp/tlsrpt-dashboard.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
corpus=$TLSRPT_SRC/tests/corpus
chromium_sh() { CHROMIUM_WAIT_MS=5000 bash "$COMPONENTS/chromium.sh" "$@"; }

"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth --accept-domain '*' \
	--db "sqlite:$dir/db.sqlite" > "$dir/serve.out" 2> "$dir/serve.err" &
pid=$!
port=""
for _ in $(seq 1 100); do
	iport=$(sed -n 's/^listening on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
	port=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
	[ -n "$port" ] && [ -n "$iport" ] && break
	sleep 0.05
done
[ -n "$port" ] || { fail "serve starts" "$(cat "$dir/serve.err")"; tap_done; exit; }
base=http://127.0.0.1:$port

# A report whose content tries to inject markup (RFC 8460 §7: untrusted).
sed -e 's/"organization-name": "Example Reporter"/"organization-name": "<img src=x onerror=document.title=1>Evil \&amp; Co"/' \
    -e 's/"report-id": "synthetic-1"/"report-id": "xss-1"/' \
    -e 's/"mx.example.com",$/"<b>mx<\/b>.example.com",/' \
    "$corpus/sebastka+tlsrpt/synthetic-failures.json" > "$dir/evil.json"
# The same report once more, its first policy (the one with failures) without
# policy-domain; its second policy (example.org) keeps one.
sed -e '/"policy-domain": "example.com",/d' -e 's/"report-id": "synthetic-1"/"report-id": "nodomain-1"/' \
    -e 's/"organization-name": "Example Reporter"/"organization-name": "No Domain Reporter"/' \
    "$corpus/sebastka+tlsrpt/synthetic-failures.json" > "$dir/nodomain.json"
for f in "$corpus/sebastka+tlsrpt/synthetic-failures.json" "$corpus/nixis-de+tls-rpt-monitor/tls-rpt.json" \
	 "$corpus/domainaware+parsedmarc/smtp_tls.json" "$corpus/domainaware+parsedmarc/mail.ru.json" \
	 "$corpus/Neztore+tls-rpt-monitor/microsoft-report.json.gz" "$dir/evil.json" "$dir/nodomain.json"; do
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/tlsrpt+gzip' \
		--data-binary @"$f" "http://127.0.0.1:$iport/tlsrpt"
done > "$dir/codes"
if [ "$(grep -c '^200$' "$dir/codes")" = 7 ]; then ok "real reports loaded through the endpoint (7 × 200)"
else fail "reports loaded" "$(cat "$dir/codes")"; fi

if chromium_sh shot "$base/" "$dir/dashboard.png" 1280x1600 > /dev/null 2> "$dir/shot.err" &&
   head -c 8 "$dir/dashboard.png" | od -An -c | grep -q 'P   N   G'; then
	ok "screenshot taken ($dir/dashboard.png)"
	mkdir -p "$TLSRPT_SRC/$TLSRPT_O" && cp "$dir/dashboard.png" "$TLSRPT_SRC/$TLSRPT_O/dashboard.png" &&
		echo "# screenshot: $TLSRPT_O/dashboard.png"
else
	fail "screenshot" "$(cat "$dir/shot.err")"
fi

chromium_sh dom "$base/" > "$dir/dom.html" 2> "$dir/dom.err"
# pick FILE PYTHON-EXPR: evaluates checks on the DOM with html.parser
domcheck() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.tables = {}; self.rects = []; self.tags = []
        self.cur = None; self.cell = None; self.svg = False
        # domains: (value, text, selected) of each <option> of the domain filter
        self.domains = []; self.opt = None; self.select = None
    def handle_starttag(self, tag, a):
        a = dict(a); self.tags.append((tag, a))
        if tag == "select": self.select = a.get("id")
        if tag == "option" and self.select == "f-domain": self.opt = (a.get("value"), [], "selected" in a)
        if tag == "table": self.cur = a.get("id"); self.tables[self.cur] = []
        elif tag == "tr" and self.cur: self.tables[self.cur].append([])
        elif tag in ("td", "th") and self.cur and self.tables[self.cur]: self.cell = []
        if tag == "svg" and a.get("id") == "timeline": self.svg = True
        if tag == "rect" and self.svg: self.rects.append(a)
    def handle_endtag(self, tag):
        if tag == "option" and self.opt:
            self.domains.append((self.opt[0], "".join(self.opt[1]), self.opt[2])); self.opt = None
        if tag == "select": self.select = None
        if tag in ("td", "th") and self.cell is not None:
            self.tables[self.cur][-1].append("".join(self.cell).strip()); self.cell = None
        elif tag == "table": self.cur = None
        elif tag == "svg": self.svg = False
    def handle_data(self, d):
        if self.cell is not None: self.cell.append(d)
        if self.opt: self.opt[1].append(d)
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
rows = lambda t: p.tables.get(t, [])[1:]
ok = eval(sys.argv[2])
if not ok:
    print("tables:", {k: v[:6] for k, v in p.tables.items()}); print("rects:", p.rects[:6])
    print("domain options:", p.domains[:12]); sys.exit(1)
PY
}
check "the scripts ran and loaded the API data" grep -q 'data-loaded="yes"' "$dir/dom.html"
check "timeline chart has bars with data points" domcheck "$dir/dom.html" \
	'len(p.rects) >= 4 and any(r["class"] == "bar-failure" and int(r["data-value"]) > 0 for r in p.rects) and any(r["class"] == "bar-success" and r["data-day"] == "2016-04-01" for r in p.rects)'
check "failure table shows a known domain, result type and MX" domcheck "$dir/dom.html" \
	'any(r[0] == "example.com" and r[1] == "certificate-expired" and r[2] == "mx.example.com" for r in rows("failures"))'
check "failure table shows the plain-language fix" domcheck "$dir/dom.html" \
	'any("Renew the certificate on mx.example.com" in r[5] for r in rows("failures"))'
check "failure counts come from the store (company-y.example starttls 200)" domcheck "$dir/dom.html" \
	'any(r[0] == "company-y.example" and r[1] == "starttls-not-supported" and r[3] == "200" for r in rows("failures"))'
check "organizations table lists the reporters" domcheck "$dir/dom.html" \
	'{"Company-X", "Microsoft Corporation"} <= {r[0] for r in rows("orgs")}'
check "policies table lists the policy domains" domcheck "$dir/dom.html" \
	'{"company-y.example", "example.com"} <= {r[0] for r in rows("policies")}'
check "markup in report content is shown as text, not run" domcheck "$dir/dom.html" \
	'any(r[0].startswith("<img src=x") for r in rows("orgs")) and not any(t == "img" or t == "b" for t, a in p.tags)'

chromium_sh dom "$base/?domain=company-y.example&period=all" > "$dir/dom2.html" 2>> "$dir/dom.err"
check "domain filter: only that domain's failures" domcheck "$dir/dom2.html" \
	'len(rows("failures")) >= 3 and all(r[0] == "company-y.example" for r in rows("failures"))'
check "domain filter: the domain list still offers every domain" domcheck "$dir/dom2.html" \
	'{"example.com", "company-y.example"} <= {a.get("value") for t, a in p.tags if t == "option"}'
check "domain filter: \"(no policy domain)\" is offered as domain=-, the chosen domain selected" \
	domcheck "$dir/dom2.html" \
	'("-", "(no policy domain)", False) in p.domains and ("company-y.example", "company-y.example", True) in p.domains and [o for o in p.domains if o[2]] == [("company-y.example", "company-y.example", True)]'
# What the form sends when "(no policy domain)" is chosen
chromium_sh dom "$base/?domain=-&period=all&since=&until=" > "$dir/dom4.html" 2>> "$dir/dom.err"
check "no policy domain: the scripts ran and say so" \
	grep -q 'id="status"[^>]*>1 reports for (no policy domain)\.<' "$dir/dom4.html"
check "no policy domain: it stays selected in the domain filter" domcheck "$dir/dom4.html" \
	'[o for o in p.domains if o[2]] == [("-", "(no policy domain)", True)] and [o[0] for o in p.domains].count("-") == 1'
check "no policy domain: only the failures of the policy without policy-domain" domcheck "$dir/dom4.html" \
	'sorted((r[0], r[1], r[3]) for r in rows("failures")) == [("(none given)", "certificate-expired", "7"), ("(none given)", "starttls-not-supported", "3")]'
check "no policy domain: only that policy, and its reporter" domcheck "$dir/dom4.html" \
	'[(r[0], r[1], r[4], r[5]) for r in rows("policies")] == [("(none given)", "sts", "90", "10")] and [(r[0], r[1]) for r in rows("orgs")] == [("No Domain Reporter", "1")]'
check "no policy domain: the timeline has only its day" domcheck "$dir/dom4.html" \
	'{r["data-day"] for r in p.rects} == {"2026-09-10"} and sorted(int(r["data-value"]) for r in p.rects) == [10, 90]'
chromium_sh dom "$base/?period=custom&since=2016-04-01&until=2016-04-01" > "$dir/dom3.html" 2>> "$dir/dom.err"
check "period filter: one day shows only that day's data" domcheck "$dir/dom3.html" \
	'{r["data-day"] for r in p.rects} == {"2016-04-01"} and all(r[0] == "company-y.example" for r in rows("failures"))'
tap_done
