#!/usr/bin/python3
"""figures_compare.py: used by test_serve_summary.sh.

Reduces `tlsrpt summary --json`, the JSON API (/api/summary and
/api/failures) and, when given, /metrics to the same figures and exits 1
with the differences on stderr unless every figure two of them both show
is equal:
  total          reports, successful and failed sessions
  domain         per policy domain: reports, successful, failed sessions
  domain_org     per (domain, organization): sessions (summary, metrics)
  org            per organization: sessions
  day            per UTC day: sessions
  failure_type   per (domain, result-type): failed sessions of the
                 failure details
With --one-domain (a domain filter was given) the reports per day and per
organization are compared too (without it a report naming two domains
counts once per domain in the summary, so they cannot be summed).
Also fails when a domain is shown with upper case or a trailing dot, and,
with --expect JSON, when a figure differs from the one expected there
(keys as above; lists for tuples, "total" is one list; "domain_org" and
"failure_type" keys joined with "|").
"""
import argparse
import json
import re
import sys
from collections import defaultdict

problems = []


def add3(m, k, r, s, f):
    a = m.get(k, (0, 0, 0))
    m[k] = (a[0] + r, a[1] + s, a[2] + f)


def add2(m, k, s, f):
    a = m.get(k, (0, 0))
    m[k] = (a[0] + s, a[1] + f)


def from_summary(doc, one_domain):
    fig = defaultdict(dict)
    fig["total"] = {"": (doc["reports"], doc["successful_sessions"], doc["failed_sessions"])}
    for d in doc["domains"]:
        name = d["domain"]
        add3(fig["domain"], name, d["reports"], d["successful_sessions"], d["failed_sessions"])
        for o in d["organizations"]:
            add2(fig["domain_org"], (name, o["organization"]),
                 o["successful_sessions"], o["failed_sessions"])
            add2(fig["org"], o["organization"], o["successful_sessions"], o["failed_sessions"])
            if one_domain:
                fig["org_reports"][o["organization"]] = o["reports"]
        for day in d["days"]:
            add2(fig["day"], day["date"], day["successful_sessions"], day["failed_sessions"])
            if one_domain:
                fig["day_reports"][day["date"]] = day["reports"]
        for x in d["failures"]:
            k = (name, x["result_type"] or "")
            fig["failure_type"][k] = fig["failure_type"].get(k, 0) + x["failed_sessions"]
    return fig


def from_api(summary, failures, one_domain):
    fig = defaultdict(dict)
    fig["total"] = {"": (summary["reports"], summary["success"], summary["failure"])}
    for d in summary["domain_totals"]:
        add3(fig["domain"], d["domain"], d["reports"], d["success"], d["failure"])
    for o in summary["organizations"]:
        add2(fig["org"], o["organization"], o["success"], o["failure"])
        if one_domain:
            fig["org_reports"][o["organization"]] = o["reports"]
    for day in summary["days"]:
        add2(fig["day"], day["day"], day["success"], day["failure"])
        if one_domain:
            fig["day_reports"][day["day"]] = day["reports"]
    for x in failures["failures"]:
        k = (x["domain"], x["result_type"])
        fig["failure_type"][k] = fig["failure_type"].get(k, 0) + x["count"]
    if sorted(summary["domains"]) != sorted(fig["domain"]):
        problems.append("api: \"domains\" %r is not the domains of \"domain_totals\" %r"
                        % (summary["domains"], sorted(fig["domain"])))
    return fig


LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def from_metrics(text):
    fig = defaultdict(dict)
    total = [None, 0, 0]
    for line in text.splitlines():
        m = re.match(r'^(tlsrpt_sessions_total|tlsrpt_failures_total)\{(.*)\} (\d+)$', line)
        if m is None:
            continue
        labels = {k: unescape(v) for k, v in LABEL.findall(m.group(2))}
        n = int(m.group(3))
        if m.group(1) == "tlsrpt_sessions_total":
            ok = n if labels["result"] == "success" else 0
            bad = n if labels["result"] == "failure" else 0
            add2(fig["domain_org"], (labels["domain"], labels["org"]), ok, bad)
            add2(fig["org"], labels["org"], ok, bad)
            d = fig["domain"].get(labels["domain"], (None, 0, 0))
            fig["domain"][labels["domain"]] = (None, d[1] + ok, d[2] + bad)
            total[1] += ok
            total[2] += bad
        else:
            k = (labels["domain"], labels["result_type"])
            fig["failure_type"][k] = fig["failure_type"].get(k, 0) + n
    fig["total"] = {"": tuple(total)}
    return fig


def same(a, b):
    """Equal, where None (a figure a view does not show) matches anything."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))
    return a == b


def compare(name_a, a, name_b, b):
    for what in sorted(set(a) & set(b)):
        ma, mb = a[what], b[what]
        for k in sorted(set(ma) | set(mb), key=repr):
            va, vb = ma.get(k), mb.get(k)
            if va is None or vb is None or not same(va, vb):
                problems.append("%s %r: %s %r, %s %r" % (what, k, name_a, va, name_b, vb))


def check_domains(name, fig):
    for d in list(fig.get("domain", {})) + [k[0] for k in fig.get("domain_org", {})] + \
            [k[0] for k in fig.get("failure_type", {})]:
        if d != d.lower() or d.endswith("."):
            problems.append("%s shows domain %r (not lower case without trailing dot)"
                            % (name, d))


def check_expect(fig, expect):
    for what, want in expect.items():
        if what == "total":
            want = {"": want}
        for k, v in want.items():
            key = tuple(k.split("|")) if what in ("domain_org", "failure_type") else k
            got = fig[what].get(key)
            if isinstance(v, list):
                v = tuple(v)
            if got != v:
                problems.append("expected %s %r = %r, got %r" % (what, k, v, got))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--summary", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--failures", required=True)
    ap.add_argument("--metrics")
    ap.add_argument("--one-domain", action="store_true")
    ap.add_argument("--expect")
    a = ap.parse_args()
    with open(a.summary) as f:
        s = from_summary(json.load(f), a.one_domain)
    with open(a.api) as f1, open(a.failures) as f2:
        api = from_api(json.load(f1), json.load(f2), a.one_domain)
    views = [("summary", s), ("api", api)]
    if a.metrics:
        with open(a.metrics) as f:
            views.append(("metrics", from_metrics(f.read())))
    for name, fig in views:
        if not fig.get("domain"):
            problems.append("%s shows no domain at all" % name)
        check_domains(name, fig)
    for i in range(1, len(views)):
        compare(views[0][0], views[0][1], views[i][0], views[i][1])
    if a.expect:
        check_expect(s, json.loads(a.expect))
    for p in problems[:40]:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
