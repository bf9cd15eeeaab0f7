#!/usr/bin/env python3
"""A stand-in for an app's HTTP port, run inside a pod's network namespace by scenario.py.

    python3 standin.py --port 8000 --routes ROUTES.json

ROUTES.json maps "METHOD /path" (or "/path" for any method; a trailing "*" matches a prefix) to
a response: {"status": 200, "json": ... | "body": "text", "headers": {...}}. Anything else gets
404 {"detail": "Not Found"}. Each request is printed as one JSON line (method, path, status,
and the first 2 KiB of a request body), so tests can check what reached the "app".
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def match(routes: dict, method: str, path: str) -> dict | None:
    path = path.split("?", 1)[0]
    for key in (f"{method} {path}", path):
        if key in routes:
            return routes[key]
    best = None
    for key, resp in routes.items():
        m, _, p = key.rpartition(" ")
        if m and m != method:
            continue
        if p.endswith("*") and path.startswith(p[:-1]) and (best is None or len(p) > len(best[0])):
            best = (p, resp)
    return best[1] if best else None


def make_handler(routes: dict):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            req_body = self.rfile.read(n) if n else b""
            resp = match(routes, self.command, self.path)
            if resp is None:
                status, body, ctype = (
                    404,
                    json.dumps({"detail": "Not Found"}).encode(),
                    "application/json",
                )
                headers = {}
            else:
                status = int(resp.get("status", 200))
                headers = resp.get("headers") or {}
                if "json" in resp:
                    body, ctype = json.dumps(resp["json"]).encode(), "application/json"
                else:
                    body, ctype = str(resp.get("body", "")).encode(), "text/plain; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", ctype))
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            rec = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "method": self.command,
                "path": self.path,
                "status": status,
            }
            if req_body:
                rec["body"] = req_body[:2048].decode("utf-8", "replace")
            print(json.dumps(rec), flush=True)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve  # noqa: N815

        def log_message(self, *args) -> None:  # the JSON line above is the log
            pass

    return Handler


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="0.0.0.0")  # inside the pod's own network namespace only
    p.add_argument("--routes", required=True)
    a = p.parse_args()
    with open(a.routes, encoding="utf-8") as f:
        routes = json.load(f)
    srv = ThreadingHTTPServer((a.bind, a.port), make_handler(routes))
    print(json.dumps({"listening": f"{a.bind}:{a.port}", "routes": sorted(routes)}), flush=True)
    srv.serve_forever()  # until SIGTERM from `down` (or a namespace deleted by a reload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
