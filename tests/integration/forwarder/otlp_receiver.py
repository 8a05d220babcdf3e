#!/usr/bin/env python3
"""Loopback OTLP/HTTP receiver for forwarder tests.

Answers POST /v1/traces with the statuses given by --statuses (one per request, the last
one repeats), saves each body as DIR/req-<n>-<status>.bin and writes the port it bound
(127.0.0.1, port 0) to --port-file.
"""
import argparse
import http.server
import os
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--port-file", required=True)
parser.add_argument("--statuses", default="200")
args = parser.parse_args()
statuses = [int(s) for s in args.statuses.split(",")]
lock = threading.Lock()
count = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with lock:
            n = count[0]
            count[0] += 1
        status = statuses[min(n, len(statuses) - 1)]
        ctype = self.headers.get("Content-Type", "")
        if self.path != "/v1/traces" or ctype != "application/x-protobuf":
            status = 415
        path = os.path.join(args.dir, "req-%04d-%d.bin" % (n, status))
        with open(path + ".tmp", "wb") as f:
            f.write(body)
        os.rename(path + ".tmp", path)
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
