#!/bin/sh
# The provider views of the dashboard, with real parts: reports POSTed to
# `tlsrpt serve` (three domains over 20 days, one of them an IDN, one
# reporter that stops, a failure every few days), then
#  - /api/domains agrees with /api/summary and `tlsrpt summary --json`
#    (one definition of the figures), sorts, pages, flags the reporter
#    that stopped, gives the U-label of the IDN;
#  - /api/reports pages and filters; /api/report shows every field of one
#    report; /api/report/raw is the JSON as received;
#  - format=csv gives the same rows as the JSON (a formula is defused);
#  - bad arguments are refused with 400;
#  - headless Chromium renders the overview, a domain and one report with
#    the numbers of the API; a screenshot of each view is kept in
#    $TLSRPT_O/dashboard-*.png.
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-dashviews.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
py=/usr/bin/python3

# the dashboard on a loopback listener of its own without login (the
# tenant views are test_serve_auth's); reports for any domain accepted
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
intake=http://127.0.0.1:$iport

# 20 days ending yesterday: alpha.example daily from two organizations, of
# which "Quitter Org" stops 6 days before the end; xn--bcher-kva.example
# (bücher.example) every other day; gamma.example once, with a failure
# whose additional-information starts like a spreadsheet formula.
$py - "$intake" > "$dir/post.out" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1]
today = int(time.time()) // 86400
def post(org, n, day, domain, ok, bad, info="cert expired"):
    d = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
    pol = {"policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: enforce", "mx: mx." + domain, "max_age: 86400"],
                      "policy-domain": domain, "mx-host": ["mx." + domain]},
           "summary": {"total-successful-session-count": ok, "total-failure-session-count": bad}}
    if bad:
        pol["failure-details"] = [{"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.7",
                                   "receiving-mx-hostname": "mx." + domain, "receiving-ip": "198.51.100.9",
                                   "failed-session-count": bad, "additional-information": info}]
    r = {"organization-name": org, "date-range": {"start-datetime": d + "T00:00:00Z", "end-datetime": d + "T23:59:59Z"},
         "contact-info": "tls@" + org.split()[0].lower() + ".test", "report-id": "%s-%s-%d" % (org.split()[0], domain, n), "policies": [pol]}
    req = urllib.request.Request(base + "/tlsrpt", json.dumps(r).encode(), {"Content-Type": "application/tlsrpt+json"})
    print(urllib.request.urlopen(req).status)
n = 0
for k in range(20):
    day = today - 20 + k
    n += 1; post("Steady Org", n, day, "alpha.example", 1000, 1 if k % 5 == 0 else 0)
    if k < 14:
        n += 1; post("Quitter Org", n, day, "alpha.example", 500, 0)
    if k % 2 == 0:
        n += 1; post("Steady Org", n, day, "xn--bcher-kva.example", 200, 2 if k == 10 else 0)
n += 1; post("Steady Org", n, today - 3, "gamma.example", 10, 5, "=HYPERLINK(\"http://x\")")
PY
posted=$(grep -c '^200$' "$dir/post.out")
if [ "$posted" = 45 ]; then ok "45 reports posted (200 each)"; else fail "posting" "$posted of 45: $(sort "$dir/post.out" | uniq -c)"; fi

get() { curl -s -o "$dir/$1" -w '%{http_code}' "$base$2"; }

# --- the API -------------------------------------------------------------
get domains.json "/api/domains" > "$dir/code" && get summary.json "/api/summary" > /dev/null &&
	"$TLSRPT" summary --json --since 1970-01-01 --db "sqlite:$dir/db.sqlite" > "$dir/cli.json" 2> "$dir/cli.err"
check "/api/domains agrees with /api/summary and tlsrpt summary --json (per domain: reports, sessions)" \
	$py - "$dir/domains.json" "$dir/summary.json" "$dir/cli.json" <<'PY'
import json, sys
d, s, c = (json.load(open(p)) for p in sys.argv[1:4])
api = {r["domain"]: (r["reports"], r["success"], r["failure"]) for r in d["domains"]}
summ = {r["domain"]: (r["reports"], r["success"], r["failure"]) for r in s["domain_totals"]}
cli = {r["domain"]: (r["reports"], r["successful_sessions"], r["failed_sessions"]) for r in c["domains"]}
assert api == summ == cli, (api, summ, cli)
assert api["alpha.example"] == (34, 27000, 4), api
assert d["total"] == 3 and d["sort"] == "failures" and d["order"] == "desc", d
assert [r["domain"] for r in d["domains"]] == ["gamma.example", "alpha.example", "xn--bcher-kva.example"], d["domains"]
PY
check "/api/domains: the IDN has its U-label, the reporter that stopped is flagged, the steady one not" \
	$py - "$dir/domains.json" <<'PY'
import json, sys
d = {r["domain"]: r for r in json.load(open(sys.argv[1]))["domains"]}
assert d["xn--bcher-kva.example"]["domain_unicode"] == "bücher.example", d
assert "domain_unicode" not in d["alpha.example"]
stale = [s["organization"] for s in d["alpha.example"]["stale_reporters"]]
assert stale == ["Quitter Org"], stale
assert d["alpha.example"]["reporters"] == 2 and d["xn--bcher-kva.example"]["stale_reporters"] == []
PY
get page.json "/api/domains?sort=domain&order=asc&limit=2&offset=1" > /dev/null
check "/api/domains sorts by name and pages" $py -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["domain"] for r in d["domains"]] == ["gamma.example", "xn--bcher-kva.example"], d
assert d["total"] == 3 and d["offset"] == 1 and d["limit"] == 2' "$dir/page.json"
since=$(( ($(date +%s) / 86400 - 10) * 86400 ))
get trend.json "/api/domains?since=$since" > /dev/null
check "/api/domains with a period: the period before and the change" $py -c '
import json, sys
d = {r["domain"]: r for r in json.load(open(sys.argv[1]))["domains"]}
a = d["alpha.example"]
assert "previous" in a and abs(a["trend"] - (a["rate"] - a["previous"]["rate"])) < 1e-12, a' "$dir/trend.json"

get reports.json "/api/reports?domain=alpha.example&limit=5&offset=5" > /dev/null
get reports_f.json "/api/reports?domain=alpha.example&result_type=certificate-expired" > /dev/null
get reports_o.json "/api/reports?domain=alpha.example&org=Quitter%20Org&limit=1000" > /dev/null
check "/api/reports: paged newest first, filtered by result type and by organization" $py - "$dir" <<'PY'
import json, sys
j = lambda n: json.load(open(sys.argv[1] + "/" + n))
p, f, o = j("reports.json"), j("reports_f.json"), j("reports_o.json")
assert p["total"] == 34 and len(p["reports"]) == 5 and p["offset"] == 5 and p["truncated"], p
starts = [r["start"] for r in p["reports"]]
assert starts == sorted(starts, reverse=True), starts
assert f["total"] == 4 and all(r["failure"] == 1 for r in f["reports"]), f
assert o["total"] == 14 and {r["organization"] for r in o["reports"]} == {"Quitter Org"}, o
PY
# keyset paging: following "next" from the first page and "prev" back from
# the last gives the pages offset= gives
check "/api/reports: next / prev cursors walk the same pages as offset=" $py - "$base" <<'PY'
import json, sys, urllib.request
base = sys.argv[1] + "/api/reports?domain=alpha.example&limit=4"
get = lambda q: json.load(urllib.request.urlopen(base + q))
by_offset = [get("&offset=%d" % o)["reports"] for o in range(0, 34, 4)]
pages, p = [], get("")
while True:
    pages.append(p)
    if "next" not in p: break
    p = get("&after=" + p["next"])
assert [x["reports"] for x in pages] == by_offset, [len(x["reports"]) for x in pages]
assert "prev" not in pages[0] and all("prev" in x for x in pages[1:]), pages
back = [pages[-1]]
while "prev" in back[-1]:
    back.append(get("&before=" + back[-1]["prev"]))
assert [x["reports"] for x in reversed(back)] == by_offset, [len(x["reports"]) for x in back]
for q in ("&after=12", "&after=1_0", "&after=x_1", "&before=1_2&after=1_2", "&after=1_2&offset=4"):
    try:
        urllib.request.urlopen(base + q); assert False, q
    except urllib.error.HTTPError as e:
        assert e.code == 400, (q, e.code)
PY
id=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["reports"][0]["id"])' "$dir/reports_f.json")
get one.json "/api/report?id=$id" > /dev/null; get raw.json "/api/report/raw?id=$id" > /dev/null
check "/api/report: every field of the report; /api/report/raw: the JSON as received" $py - "$dir" <<'PY'
import json, sys
one = json.load(open(sys.argv[1] + "/one.json")); raw = json.load(open(sys.argv[1] + "/raw.json"))
r = one["report"]
assert r == raw, (r, raw)
fd = r["policies"][0]["failure-details"][0]
assert fd["sending-mta-ip"] == "192.0.2.7" and fd["receiving-ip"] == "198.51.100.9" and fd["additional-information"] == "cert expired", fd
assert one["source"]["channel"] == "https" and one["raw"] == "/api/report/raw?id=%d" % one["id"], one
PY
code=$(get none.json "/api/report?id=999999")
if [ "$code" = 404 ]; then ok "/api/report of an unknown id: 404"; else fail "unknown report id" "HTTP $code"; fi

get domains.csv "/api/domains?format=csv" > /dev/null; get failures.csv "/api/failures?format=csv" > /dev/null
get failures.json "/api/failures" > /dev/null
check "format=csv: the same rows as the JSON; a formula in report text is defused" $py - "$dir" <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/domains.csv", newline="", encoding="utf-8")))
js = json.load(open(d + "/domains.json"))["domains"]
assert [(r["domain"], int(r["sessions"]), int(r["failure"])) for r in rows] == \
       [(r["domain"], r["sessions"], r["failure"]) for r in js], (rows, js)
fr = list(csv.DictReader(open(d + "/failures.csv", newline="", encoding="utf-8")))
fj = json.load(open(d + "/failures.json"))["failures"]
assert [(r["domain"], int(r["count"])) for r in fr] == [(r["domain"], r["count"]) for r in fj], (fr, fj)
g = [r for r in fr if r["domain"] == "gamma.example"][0]
assert g["additional_information"].startswith("'="), g
PY
bad=""
for q in "domains?sort=nope" "domains?limit=100000" "domains?order=up" "reports?offset=-1" "report?id=abc" "report"; do
	c=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/$q")
	[ "$c" = 400 ] || bad="$bad $q:$c"
done
if [ -z "$bad" ]; then ok "bad arguments are refused with 400 (6 cases)"; else fail "bad arguments" "$bad"; fi

# --- in Chromium ------------------------------------------------------------
if ! command -v chromium >/dev/null; then
	echo "ok $((tap_n + 1)) # SKIP chromium not installed (scripts/deps.txt)"
	tap_done
	exit
fi
chromium_sh() { CHROMIUM_WAIT_MS=8000 bash "$COMPONENTS/chromium.sh" "$@"; }
mkdir -p "$TLSRPT_SRC/$TLSRPT_O"
shots=0
for v in "overview|/?period=all" "domain|/?domain=alpha.example&period=all" "report|/?report=$id" \
	 "phone|/?period=all"; do
	name=${v%%|*}; url=${v#*|}; size=1366x2600
	[ "$name" = phone ] && size=390x2400
	if chromium_sh shot "$base$url" "$dir/$name.png" "$size" > /dev/null 2>> "$dir/shot.err"; then
		cp "$dir/$name.png" "$TLSRPT_SRC/$TLSRPT_O/dashboard-$name.png" && shots=$((shots + 1))
	fi
done
if [ "$shots" = 4 ]; then ok "screenshots of 4 views in $TLSRPT_O/dashboard-*.png"
else fail "screenshots" "$shots of 4" "$(tail -5 "$dir/shot.err")"; fi

chromium_sh dom "$base/?period=all" > "$dir/overview.html" 2> "$dir/dom.err"
chromium_sh dom "$base/?domain=alpha.example&period=all" > "$dir/domain.html" 2>> "$dir/dom.err"
chromium_sh dom "$base/?report=$id" > "$dir/report.html" 2>> "$dir/dom.err"
check "the pages show what the API gives (overview rows, the domain's reports, one report)" \
	$py - "$dir" <<'PY'
import html.parser, json, sys
d = sys.argv[1]
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = {}; self.cur = None; self.cell = None; self.titles = {}; self.text = []
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "table": self.cur = a.get("id"); self.tables[self.cur] = []
        elif tag == "tr" and self.cur: self.tables[self.cur].append([])
        elif tag in ("td", "th") and self.cur and self.tables[self.cur]: self.cell = []
        if tag == "a" and a.get("title"): self.titles[a["title"]] = True
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[self.cur][-1].append("".join(self.cell).strip()); self.cell = None
        elif tag == "table": self.cur = None
    def handle_data(self, x):
        self.text.append(x)
        if self.cell is not None: self.cell.append(x)
def parse(n):
    p = P(); p.feed(open(d + "/" + n, encoding="utf-8").read()); return p
o, dm, rp = parse("overview.html"), parse("domain.html"), parse("report.html")
api = json.load(open(d + "/domains.json"))["domains"]
rows = o.tables["domains"][1:]
assert [(r[0], r[1], r[2]) for r in rows] == \
       [(a.get("domain_unicode", a["domain"]), "{:,}".format(a["sessions"]), "{:,}".format(a["failure"])) for a in api], rows
assert "xn--bcher-kva.example" in o.titles, "the A-label is the U-label's title"
assert "Quitter Org" in rows[1][7], rows[1]
reps = dm.tables["reports"][1:]
assert len(reps) == 34 and all(r[1] in ("Steady Org", "Quitter Org") for r in reps), reps[:3]
t = "".join(rp.text)
for want in ("192.0.2.7", "198.51.100.9", "cert expired", "certificate-expired", "mx.alpha.example", "Steady Org"):
    assert want in t, want
PY
tap_done
