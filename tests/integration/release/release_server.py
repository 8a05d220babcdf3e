#!/usr/bin/env python3
"""Loopback stand-in for the GitHub releases API, for the release check tests.

Binds 127.0.0.1 on a free port and prints that port on the first line of stdout.
The scenario is chosen by the request path (see SCENARIOS). With --record FILE every
request appends one JSON line {path, authorization, user_agent, accept} so tests can
check the headers that were sent. The server exits after --lifetime seconds, or when
its stdin reaches EOF with --exit-on-eof, so a crashed test cannot leave it behind.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RESET_EPOCH = 1798761600  # 2027-01-01 00:00:00 UTC


def rel(tag, prerelease=False, draft=False, date="2026-03-01T10:00:00Z"):
    return {
        "tag_name": tag,
        "name": tag,
        "prerelease": prerelease,
        "draft": draft,
        "created_at": date,
        "published_at": None if draft else date,
        "html_url": "https://example.invalid/releases/tag/" + tag,
        "assets": [],
    }


# Static scenarios: path -> list of releases (running version in the tests: 2.4.1).
SCENARIOS = {
    "/patch": [rel("2.4.2", date="2026-02-02T02:02:02Z"), rel("2.4.1"), rel("2.4.0")],
    "/minor": [rel("2.4.2"), rel("2.5.0", date="2026-05-05T05:05:05Z"), rel("2.4.1")],
    "/major": [rel("2.5.0"), rel("3.0.0", date="2026-09-09T09:09:09Z"), rel("2.4.1")],
    "/none": [rel("2.4.1"), rel("2.4.0"), rel("1.13.0")],
    "/prerelease": [rel("2.5.0-rc1", prerelease=True), rel("2.4.2"), rel("2.4.1")],
    # The running version is 2.5.0-rc1 in this one.
    "/rc-final": [rel("2.5.0-rc1", prerelease=True), rel("2.5.0"), rel("2.4.0")],
    "/drafts": [rel("3.0.0", draft=True), rel("2.4.1")],
    "/nonsemver": [rel("latest"), rel("2.5"), rel("kata-2.9.0"), rel("3.0.0.1"),
                   rel("2.04.0"), rel(""), rel("2.4.2")],
    "/vprefix": [rel("v2.6.0"), rel("2.4.1")],
    "/empty": [],
    "/token": [rel("2.4.1")],
}

# Releases spread over three pages; the newest is only on the last one.
PAGES = {
    1: [rel("2.4.0"), rel("2.3.0")],
    2: [rel("2.4.1"), rel("2.2.0")],
    3: [rel("3.1.0", date="2026-12-12T12:12:12Z"), rel("2.1.0")],
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle each keep-alive response
    # would wait for the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True
    record = None
    record_lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def send_body(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def base(self):
        return "http://" + self.headers.get("Host", "127.0.0.1")

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        query = parse_qs(url.query)
        if Handler.record:
            line = json.dumps({
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "user_agent": self.headers.get("User-Agent"),
                "accept": self.headers.get("Accept"),
            })
            with Handler.record_lock, open(Handler.record, "a") as f:
                f.write(line + "\n")

        if path in SCENARIOS:
            return self.send_body(200, json.dumps(SCENARIOS[path]))
        if path == "/paged":
            page = int(query.get("page", ["1"])[0])
            links = []
            if page < 3:
                links.append('<%s/paged?page=%d>; rel="next"' % (self.base(), page + 1))
                links.append('<%s/paged?page=3>; rel="last"' % self.base())
            if page > 1:
                links.insert(0, '<%s/paged?page=%d>; rel="prev"' % (self.base(), page - 1))
            headers = [("Link", ", ".join(links))] if links else []
            return self.send_body(200, json.dumps(PAGES.get(page, [])), headers)
        if path == "/endless":
            page = int(query.get("page", ["1"])[0])
            # A relative target: the client must resolve it against the page's URL.
            link = '</endless?page=%d>; rel="next"' % (page + 1)
            return self.send_body(200, json.dumps([rel("1.0.%d" % page)]), [("Link", link)])
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/patch")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/redirect-loop":
            self.send_response(302)
            self.send_header("Location", "/redirect-loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/huge":
            # Over the client's 16 MiB page limit.
            chunk = b" " * (1 << 20)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(17 * len(chunk) + 2))
            self.end_headers()
            try:
                self.wfile.write(b"[")
                for _ in range(17):
                    self.wfile.write(chunk)
                self.wfile.write(b"]")
            except OSError:
                pass  # the client gave up, as it should
            return None
        if path == "/ratelimit":
            return self.send_body(403, json.dumps({
                "message": "API rate limit exceeded for 127.0.0.1.",
                "documentation_url": "https://docs.github.com/rest/rate-limit"}), [
                ("X-RateLimit-Limit", "60"), ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", str(RESET_EPOCH))])
        if path == "/forbidden":
            return self.send_body(403, json.dumps({"message": "Resource not accessible"}),
                                  [("X-RateLimit-Remaining", "42")])
        if path == "/secondary":
            return self.send_body(403, json.dumps({
                "message": "You have exceeded a secondary rate limit."}),
                [("X-RateLimit-Remaining", "4000"), ("Retry-After", "30")])
        if path == "/toomany":
            return self.send_body(429, "slow down", [("Retry-After", "60")])
        if path == "/error500":
            return self.send_body(500, "internal error")
        if path == "/malformed":
            return self.send_body(200, '[{"tag_name": "2.5.0", "draft": fal')
        if path == "/garbage":
            return self.send_body(200, "<html>not json</html>")
        if path == "/trailing":
            return self.send_body(200, '[] []')
        if path == "/notarray":
            return self.send_body(200, json.dumps({"message": "Not Found"}))
        if path == "/wrongtypes":
            return self.send_body(200, json.dumps([rel("2.4.0"), {"tag_name": 250}]))
        if path == "/wrongdraft":
            r = rel("2.5.0")
            r["draft"] = "no"
            return self.send_body(200, json.dumps([r]))
        if path == "/notobject":
            return self.send_body(200, json.dumps([rel("2.4.0"), "2.5.0"]))
        if path == "/hang":
            # Accept, read the request, never answer.
            time.sleep(3600)
            return None
        return self.send_body(404, json.dumps({"message": "Not Found"}))


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up (timeouts, TLS to plain HTTP) are expected here


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", help="append one JSON line per request to this file")
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--exit-on-eof", action="store_true")
    args = ap.parse_args()
    Handler.record = args.record

    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)

    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    if args.exit_on_eof:
        def watch():
            sys.stdin.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
