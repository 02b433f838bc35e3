#!/usr/bin/python3
"""static_https.py: tiny HTTPS server for `tlsrpt check` tests (loopback only).

usage: static_https.py ROOT CERT KEY PORTFILE

Serves GET/HEAD for ROOT/<Host header without port>/<path>.  A file
ROOT/<host>/.status holding e.g. "301 https://elsewhere/" makes every
request to that host answer with that status (and Location).  Files are
sent as text/plain unless ROOT/<host>/.content-type says otherwise.
A file ROOT/<host>/.delay holding a number of seconds delays every answer
for that host (a slow policy host).
Listens on 127.0.0.1 on a kernel-chosen port, written to PORTFILE.
"""
import http.server
import os
import ssl
import sys
import time

ROOT, CERT, KEY, PORTFILE = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    def _host_dir(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        return os.path.join(ROOT, os.path.basename(host))

    def _answer(self, body):
        d = self._host_dir()
        delay_file = os.path.join(d, ".delay")
        if os.path.exists(delay_file):
            time.sleep(float(open(delay_file).read().strip()))
        status_file = os.path.join(d, ".status")
        if os.path.exists(status_file):
            parts = open(status_file).read().split()
            self.send_response(int(parts[0]))
            if len(parts) > 1:
                self.send_header("Location", parts[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = os.path.normpath(self.path.split("?")[0]).lstrip("/")
        f = os.path.join(d, path)
        if not os.path.isfile(f):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(f, "rb").read()
        ctype = "text/plain"
        ct_file = os.path.join(d, ".content-type")
        if os.path.exists(ct_file):
            ctype = open(ct_file).read().strip()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def log_message(self, fmt, *args):
        sys.stderr.write("static_https: " + (fmt % args) + "\n")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
