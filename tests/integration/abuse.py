#!/usr/bin/python3
"""abuse.py: the hostile senders of test_abuse.sh, against a real `tlsrpt serve`.

  abuse.py post BASE KIND N     POSTs N reports of KIND to BASE/tlsrpt over one
                                keep-alive connection; prints
                                "N STORED REFUSED OTHER" and, on stderr, the
                                first answer of each HTTP status
  abuse.py get BASE PATH...     GETs each PATH; prints "PATH CODE BODY-LINE"
  abuse.py numbers FILE         exits 1 (saying where) if the JSON in FILE holds
                                a number that is negative or above 2^53-1

KIND: worst  (every count 2^53-1: the largest the parser reads)
      limit  (one report's sessions exactly at the plausibility limit, 10^12)
      dupkey (total-failure-session-count twice: 0, then 5)
"""
import http.client
import json
import sys
import urllib.parse

COUNT_MAX = 2**53 - 1
LIMIT = 10**12


def report(kind, i):
    if kind == "worst":
        ok = bad = det = COUNT_MAX
    else:
        ok, bad, det = LIMIT - 1000, 1000, 1000
    summary = ('"summary":{"total-successful-session-count":%d,'
               '"total-failure-session-count":%d}' % (ok, bad))
    if kind == "dupkey":
        summary = ('"summary":{"total-successful-session-count":5,'
                   '"total-failure-session-count":0,"total-failure-session-count":5}')
    return ('{"organization-name":"Abuser %s","date-range":{"start-datetime":'
            '"2026-01-01T00:00:00Z","end-datetime":"2026-01-01T23:59:59Z"},'
            '"contact-info":"x@abuse.example","report-id":"abuse-%s-%d",'
            '"policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1",'
            '"mode: enforce","mx: mx.abuse.example","max_age: 86400"],'
            '"policy-domain":"abuse.example","mx-host":["mx.abuse.example"]},%s,'
            '"failure-details":[{"result-type":"certificate-expired",'
            '"receiving-mx-hostname":"mx.abuse.example","failed-session-count":%d}]}]}'
            % (kind, kind, i, summary, det)).encode()


def connect(base):
    u = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def post(base, kind, n):
    conn = connect(base)
    stored = refused = other = 0
    seen = {}
    for i in range(n):
        body = report(kind, i)
        try:
            conn.request("POST", "/tlsrpt", body,
                         {"Content-Type": "application/tlsrpt+json"})
            r = conn.getresponse()
            code, text = r.status, r.read().decode(errors="replace").strip()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            conn = connect(base)
            code, text = 0, "connection: %s" % e
        if code == 200 and text.startswith("stored"):
            stored += 1
        elif code == 400:
            refused += 1
        else:
            other += 1
        seen.setdefault(code, text)
    for code, text in sorted(seen.items()):
        print("HTTP %d: %s" % (code, text[:300]), file=sys.stderr)
    print(n, stored, refused, other)


def get(base, paths):
    for p in paths:
        conn = connect(base)
        conn.request("GET", p)
        r = conn.getresponse()
        text = r.read().decode(errors="replace").strip().replace("\n", " ")
        print(p, r.status, text[:200])
        conn.close()


def numbers(path):
    bad = []

    def walk(v, where):
        if isinstance(v, bool):
            return
        if isinstance(v, (int, float)):
            if v < 0 or v > COUNT_MAX:
                bad.append("%s = %r" % (where, v))
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, where + "." + k)
        elif isinstance(v, list):
            for k, x in enumerate(v):
                walk(x, "%s[%d]" % (where, k))

    with open(path) as f:
        walk(json.load(f), "")
    if bad:
        print("\n".join(bad[:10]))
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "post":
        post(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "get":
        get(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "numbers":
        numbers(sys.argv[2])
    else:
        sys.exit(__doc__)
