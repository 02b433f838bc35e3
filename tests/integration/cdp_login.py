#!/usr/bin/env python3
"""cdp_login.py CDP_URL BASE USER PASSWORD: drives a real headless Chromium
over the DevTools protocol (python3-websocket): opens BASE/ (which must send
it to the login page), types USER and PASSWORD into the form, submits,
waits for the dashboard to load its data, and prints one JSON object:
  {"login_page": bool, "url": …, "domains": [filter options],
   "failures": [policy domains of the failure rows], "status": …,
   "whoami": …, "cookie_visible": bool (document.cookie shows the session)}
"""
import json
import sys
import time
import urllib.request

import websocket

cdp, base, user, password = sys.argv[1:5]
tab = json.load(urllib.request.urlopen(urllib.request.Request(cdp + "/json/new?about:blank",
                                                              method="PUT")))
ws = websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=30)
seq = 0


def call(method, **params):
    global seq
    seq += 1
    ws.send(json.dumps({"id": seq, "method": method, "params": params}))
    while True:
        m = json.loads(ws.recv())
        if m.get("id") == seq:
            if "error" in m:
                raise RuntimeError("%s: %s" % (method, m["error"]))
            return m.get("result", {})


def js(expr):
    r = call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
    return r.get("result", {}).get("value")


def wait_for(expr, seconds=15):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if js(expr):
                return True
        except RuntimeError:
            pass            # navigating: the context went away
        time.sleep(0.1)
    return False


call("Network.clearBrowserCookies")      # each run starts logged out
call("Page.enable")
call("Page.navigate", url=base + "/")
out = {}
out["login_page"] = wait_for("location.pathname === '/login.html' && "
                             "document.body && document.body.getAttribute('data-ready') === 'yes'")
js("document.getElementById('l-user').value = %s; "
   "document.getElementById('l-password').value = %s; "
   "document.getElementById('login').requestSubmit(); true" % (json.dumps(user), json.dumps(password)))
loaded = wait_for("location.pathname === '/' && document.body && "
                  "document.body.getAttribute('data-loaded') === 'yes'")
wait_for("document.getElementById('whoami') !== null", 5)
out["url"] = js("location.href")
out["loaded"] = loaded
out["domains"] = js("Array.from(document.querySelectorAll('#f-domain option')).map(o => o.value)")
out["failures"] = js("Array.from(document.querySelectorAll('#failures tbody tr'))"
                     ".map(r => r.cells[0] ? r.cells[0].textContent : '')")
out["status"] = js("document.getElementById('status') && document.getElementById('status').textContent")
out["whoami"] = js("(document.getElementById('whoami') || {}).textContent || null")
out["cookie_visible"] = bool(js("document.cookie.indexOf('tlsrpt_session') >= 0"))
out["html"] = js("document.documentElement.outerHTML")
print(json.dumps(out))
ws.close()
