#!/usr/bin/python3
"""serve_load: bounded load against `tlsrpt serve` on loopback; prints a table.

  serve_load.py burst PORT N PARALLEL REPORT.json
      N POSTs (distinct report-ids), PARALLEL at a time, each on its own
      connection from 127.0.0.1.  Every attempt ends in exactly one class:
      answered CODE (with or without Retry-After), reset (ECONNRESET/EPIPE),
      lost (closed without an HTTP answer), refused, or timeout (15 s).
  serve_load.py flood PORT SLOW SECONDS REPORT.json
      opens SLOW connections from 40 loopback addresses (127.0.1.1 …) that
      send a POST's headers one byte every 0.5 s and never finish them;
      meanwhile, for SECONDS, POSTs from 127.0.0.1 one after another (a
      10th of a second apart) and times each.

Prints one line per class ("tried N answered N (200:N 429:N …) reset N
lost N …") and a last line "RESULT key=value …" for the test script.  Stops
by itself: every socket has a timeout (15 s, 30 s in a flood).
"""
import json
import socket
import sys
import threading
import time


def make_body(sample, i, tag):
    r = json.load(open(sample))
    r["report-id"] = "load-%s-%d-%d" % (tag, int(time.time() * 1000), i)
    return json.dumps(r).encode()


def post_once(port, body, src="127.0.0.1", timeout=15.0):
    """One POST on a new connection: returns (class, code, retry_after, secs)."""
    t0 = time.time()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"POST /tlsrpt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/tlsrpt+json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionRefusedError:
        return ("refused", 0, False, time.time() - t0)
    except (ConnectionResetError, BrokenPipeError):
        return ("reset", 0, False, time.time() - t0)
    except socket.timeout:
        return ("timeout", 0, False, time.time() - t0)
    finally:
        s.close()
    if not data.startswith(b"HTTP/1."):
        return ("lost", 0, False, time.time() - t0)
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    code = int(head.split()[1])
    return ("answered", code, "\r\nretry-after:" in head, time.time() - t0)


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.classes = {}
        self.codes = {}
        self.no_retry_after = 0
        self.secs = []

    def add(self, res):
        cls, code, ra, secs = res
        with self.lock:
            self.classes[cls] = self.classes.get(cls, 0) + 1
            self.secs.append(secs)
            if cls == "answered":
                self.codes[code] = self.codes.get(code, 0) + 1
                if code in (429, 503) and not ra:
                    self.no_retry_after += 1

    def line(self, what, tried):
        c = self.classes
        codes = " ".join("%d:%d" % kv for kv in sorted(self.codes.items()))
        s = sorted(self.secs) or [0]
        return ("%-44s tried %5d  answered %5d (%s)  reset %d  lost %d  refused %d  "
                "timeout %d  429/503-without-Retry-After %d  max %.2fs" % (
                    what, tried, c.get("answered", 0), codes, c.get("reset", 0),
                    c.get("lost", 0), c.get("refused", 0), c.get("timeout", 0),
                    self.no_retry_after, s[-1]))


def burst(port, n, parallel, sample):
    bodies = [make_body(sample, i, "burst") for i in range(n)]
    t = Tally()
    nxt = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n:
                return
            t.add(post_once(port, bodies[i]))

    ths = [threading.Thread(target=worker) for _ in range(parallel)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    print(t.line("%d POSTs, %d parallel, one address" % (n, parallel), n))
    c = t.classes
    print("RESULT tried=%d answered=%d ok=%d reset=%d lost=%d refused=%d timeout=%d "
          "no_retry_after=%d" % (n, c.get("answered", 0), t.codes.get(200, 0),
                                 c.get("reset", 0), c.get("lost", 0), c.get("refused", 0),
                                 c.get("timeout", 0), t.no_retry_after))


def flood(port, slow, seconds, sample):
    head = (b"POST /tlsrpt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/tlsrpt+json\r\nContent-Length: 100\r\n")
    socks = []
    for i in range(slow):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind(("127.0.1.%d" % (1 + i % 40), 0))
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        socks.append(s)
    stop = threading.Event()
    closed = [0]

    def dribble():
        # one byte per socket every 0.5 s; never completes the headers
        pos = 0
        live = list(socks)
        while not stop.is_set():
            still = []
            for s in live:
                try:
                    s.send(head[pos % len(head):pos % len(head) + 1])
                    still.append(s)
                except (BlockingIOError, InterruptedError):
                    still.append(s)
                except OSError:
                    closed[0] += 1
            live = still
            pos += 1
            stop.wait(0.5)

    th = threading.Thread(target=dribble)
    th.start()
    time.sleep(1.0)
    t = Tally()
    t0 = time.time()
    i = 0
    while time.time() - t0 < seconds:
        t.add(post_once(port, make_body(sample, i, "flood"), timeout=30.0))
        i += 1
        time.sleep(0.1)
    stop.set()
    th.join()
    for s in socks:
        s.close()
    tried = sum(t.classes.values())
    print("%-44s opened %5d  closed by the server %d" % (
        "%d slow clients from 40 addresses" % slow, len(socks), closed[0]))
    print(t.line("  meanwhile POSTs one by one for %d s" % seconds, tried))
    c = t.classes
    s = sorted(t.secs) or [0]
    print("RESULT tried=%d answered=%d ok=%d reset=%d lost=%d refused=%d timeout=%d "
          "no_retry_after=%d max_ms=%d median_ms=%d slow_closed=%d" % (
              tried, c.get("answered", 0), t.codes.get(200, 0), c.get("reset", 0),
              c.get("lost", 0), c.get("refused", 0), c.get("timeout", 0),
              t.no_retry_after, int(s[-1] * 1000), int(s[len(s) // 2] * 1000), closed[0]))


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    a, b, sample = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    if mode == "burst":
        burst(port, a, b, sample)
    elif mode == "flood":
        flood(port, a, b, sample)
    else:
        sys.exit("usage: serve_load.py burst|flood PORT N M REPORT.json")


if __name__ == "__main__":
    main()
