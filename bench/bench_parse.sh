#!/bin/sh
# bench_parse: `tlsrpt parse` over BENCH_PARSE_N report files (default
# 20 000) beside the Python standard library doing the same work on the
# same files in the same run, and `parse --db` (fresh SQLite) beside
# `parse -n`.
#
# The files are made from the corpus (tests/corpus, MANIFEST.tsv): every
# report whose provenance is "real" and container "json" becomes, in
# turn, a .json.gz with a new report-id (gzip level 6, as senders use);
# every real "eml(gz)" mail becomes a .eml whose gzip attachment holds
# its report with a new report-id (BENCH_PARSE_EML files, default 5 000).
#
# Printed per kind, CPU time (user + system, getrusage of the child /
# the Python process, best of BENCH_PARSE_RUNS runs, default 3):
#   ours     `tlsrpt parse -n FILE...` (one process for all files; the
#            files read ahead in batches through io_uring, file_batch.h)
#   no uring the same with TLSRPT_IO_URING=0: four system calls a file
#   python   Debian's python3: open + read + gzip.decompress + json.loads
#            (.eml: email.message_from_bytes, the report part's
#            get_payload(decode=True), gzip.decompress, json.loads)
#   ratio    ours / python in reports per CPU second (target >= 3)
#   --db     `tlsrpt parse --db sqlite:FRESH FILE...`, and the ratio of its
#            CPU time to parse -n's (target <= 2)
#   (the CPU of one process start, measured on one file, is taken off each
#   figure of ours: Python's are measured inside the running interpreter)
#   --db THP the same with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (malloc's
#            heap on transparent huge pages; tlsrpt-fetch.service sets it)
# Anchors from issue 12 (2-vCPU VM): parse -n 28-30k/s .json.gz, 13.3k/s
# .eml; Python stdlib 41.7k/s and 3.7k/s; parse --db 5.4k/s and 4.0k/s.
set -u
N=${BENCH_PARSE_N:-20000}
NEML=${BENCH_PARSE_EML:-5000}
RUNS=${BENCH_PARSE_RUNS:-3}
SRC=${TLSRPT_SRC:-.}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T=$(mktemp -d /tmp/bench_parse.XXXXXX)
# BENCH_PARSE_KEEP=1 keeps the files (for profiling) and prints where
if [ "${BENCH_PARSE_KEEP:-0}" = 1 ]; then echo "files kept in $T"; else trap 'rm -rf "$T"' EXIT; fi

"$PY" - "$SRC/tests/corpus" "$T" "$N" "$NEML" "$RUNS" "$TLSRPT" <<'EOF'
import email, gzip, json, os, resource, subprocess, sys, time, base64

corpus, tmp, n, neml, runs, tlsrpt = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "MANIFEST.tsv"))][1:]
def real(r):
    return r[6].startswith("real")
jsons = [json.load(open(os.path.join(corpus, r[0]), "rb")) for r in rows
         if r[5] == "json" and real(r)]
emls = [open(os.path.join(corpus, r[0]), "rb").read() for r in rows
        if r[5] == "eml(gz)" and real(r)]

def report_part(msg):
    for p in msg.walk():
        fn = p.get_filename() or ""
        if ".json" in fn.lower() or p.get_content_type().startswith("application/tlsrpt"):
            return p
    return None

gz_dir = os.path.join(tmp, "gz")
os.mkdir(gz_dir)
gz_files = []
for i in range(n):
    rep = dict(jsons[i % len(jsons)])
    rep["report-id"] = "bench-parse-%06d-%s" % (i, rep.get("report-id") or "")
    path = os.path.join(gz_dir, "r%06d.json.gz" % i)
    with open(path, "wb") as f:
        f.write(gzip.compress(json.dumps(rep).encode(), 6, mtime=0))
    gz_files.append(path)

eml_dir = os.path.join(tmp, "eml")
os.mkdir(eml_dir)
eml_files = []
for i in range(neml):
    msg = email.message_from_bytes(emls[i % len(emls)])
    part = report_part(msg)
    rep = json.loads(gzip.decompress(part.get_payload(decode=True)))
    rep["report-id"] = "bench-parse-eml-%06d-%s" % (i, rep.get("report-id") or "")
    body = base64.encodebytes(gzip.compress(json.dumps(rep).encode(), 6, mtime=0))
    part.set_payload(body.decode())
    del part["Content-Transfer-Encoding"]
    part["Content-Transfer-Encoding"] = "base64"
    path = os.path.join(eml_dir, "m%06d.eml" % i)
    with open(path, "wb") as f:
        f.write(msg.as_bytes())
    eml_files.append(path)

failed = []

def child_cpu(args, env=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        failed.append(args[1])
        sys.stdout.write("  (%s exited %d: %s)\n" % (args[1], r.returncode,
                         r.stderr.decode(errors="replace")[:300]))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def self_cpu(fn, files):
    before = resource.getrusage(resource.RUSAGE_SELF)
    k = fn(files)
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert k == len(files), "python parsed %d of %d" % (k, len(files))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def py_gz(files):
    k = 0
    for p in files:
        with open(p, "rb") as f:
            rep = json.loads(gzip.decompress(f.read()))
        k += "report-id" in rep
    return k

def py_eml(files):
    k = 0
    for p in files:
        with open(p, "rb") as f:
            msg = email.message_from_bytes(f.read())
        rep = json.loads(gzip.decompress(report_part(msg).get_payload(decode=True)))
        k += "report-id" in rep
    return k

print("# %s reports per CPU second, best of %d runs (the machine is shared: "
      "compare within a run)" % ("tlsrpt parse vs Python stdlib", runs))
# What one process start costs (exec, loading ~70 shared libraries,
# their constructors): measured on one file and taken off every figure
# below, as Python's are measured inside the running interpreter.
start = min(child_cpu([tlsrpt, "parse", "-n", "-q", gz_files[0]]) for _ in range(5))
print("tlsrpt start: %.1f ms of CPU per process (one file parsed), taken off the figures below"
      % (start * 1000))
print("%-8s %8s %12s %12s %12s %7s %12s %9s %12s %9s" % ("input", "files", "parse -n/s",
      "no uring/s", "python/s", "ratio", "--db/s", "--db CPU", "--db THP/s", "THP CPU"))
thp_env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.hugetlb=1")
plain_env = dict(os.environ, TLSRPT_IO_URING="0")
anchors = {"json.gz": "anchor: 28-30k/s, python 41.7k/s (0.73x), --db 5.4k/s",
           "eml": "anchor: 13.3k/s, python 3.7k/s (3.5x), --db 4.0k/s"}
for kind, files, pyfn in (("json.gz", gz_files, py_gz), ("eml", eml_files, py_eml)):
    if not files:
        continue
    ours, plain = [], []
    for _ in range(runs):
        ours.append(child_cpu([tlsrpt, "parse", "-n", "-q"] + files))
        plain.append(child_cpu([tlsrpt, "parse", "-n", "-q"] + files, plain_env))
    ours, plain = min(ours) - start, min(plain) - start
    py = min(self_cpu(pyfn, files) for _ in range(runs))
    db, dbh = [], []
    for r in range(runs):
        for env, out, tag in ((None, db, ""), (thp_env, dbh, "-thp")):
            path = os.path.join(tmp, "db-%s-%d%s.sqlite" % (kind, r, tag))
            # the schema is created first, outside the figure
            child_cpu([tlsrpt, "parse", "--db", "sqlite:" + path, "-q", files[0]], env)
            out.append(child_cpu([tlsrpt, "parse", "--db", "sqlite:" + path, "-q"] + files[1:],
                                 env))
    dbt, dbht = min(db) - start, min(dbh) - start
    m = len(files)
    print("%-8s %8d %12.0f %12.0f %12.0f %6.2fx %12.0f %8.2fx %12.0f %8.2fx   %s" % (
        kind, m, m / ours, m / plain, m / py, py / ours, (m - 1) / dbt, dbt / ours * m / (m - 1),
        (m - 1) / dbht, dbht / ours * m / (m - 1), anchors[kind]))
print("target: ratio >= 3 (>= 100k/s for json.gz), --db CPU <= 2x parse -n")
print("no uring: parse -n with TLSRPT_IO_URING=0 (open, fstat, read, close for each file)")
print("THP: parse --db with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (malloc's heap on huge "
      "pages; the fetch unit sets it)")
sys.exit(1 if failed else 0)
EOF
