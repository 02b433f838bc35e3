#!/usr/bin/python3
"""socketmap.py: a Postfix socketmap client for tests (netstrings).

usage: socketmap.py TARGET REQUEST...     one netstring request each, in one
                                          connection; prints each answer on a line
       socketmap.py TARGET --raw BYTES    sends BYTES (Python escapes allowed),
                                          prints what comes back until the server
                                          closes (or 5 s pass), then "closed"
TARGET is a unix socket path or HOST:PORT.  Every answer must be a well-formed
netstring; anything else exits 1.
"""
import socket
import sys
import time


def connect(target):
    if target.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(target)
    else:
        host, port = target.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    s.settimeout(30)
    return s


def read_netstring(s, buf):
    while True:
        if b":" in buf:
            head, rest = buf.split(b":", 1)
            if not head.isdigit():
                raise SystemExit("bad netstring length %r" % head)
            n = int(head)
            if len(rest) >= n + 1:
                if rest[n:n + 1] != b",":
                    raise SystemExit("netstring without ','")
                return rest[:n], rest[n + 1:]
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed before an answer")
        buf += chunk


def main():
    s = connect(sys.argv[1])
    if sys.argv[2] == "--raw":
        s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
        s.settimeout(5)
        got = b""
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                got += c
        except socket.timeout:
            print("timeout")
        print(got.decode("latin-1"))
        print("closed")
        return
    buf = b""
    for req in sys.argv[2:]:
        r = req.encode()
        t = time.monotonic()
        s.sendall(b"%d:%s," % (len(r), r))
        ans, buf = read_netstring(s, buf)
        print(ans.decode())
        sys.stderr.write("%.3f s\n" % (time.monotonic() - t))


main()
