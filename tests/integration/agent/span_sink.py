#!/usr/bin/env python3
"""A stand-in for the host's trace forwarder: listens on PATH (the agent's
<socket>_10240), reads frames (u64 big-endian length + OTLP protobuf payload) and exits 0
as soon as one payload holds every NEEDLE (hex strings are matched as bytes, others as
text), printing the number of frames; exits 1 after TIMEOUT seconds.

usage: span_sink.py PATH TIMEOUT NEEDLE...
"""
import os
import socket
import struct
import sys


def main():
    path, timeout, needles = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    want = []
    for n in needles:
        try:
            want.append(bytes.fromhex(n))
        except ValueError:
            want.append(n.encode())
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    srv.settimeout(timeout)
    print("listening", flush=True)
    frames = 0
    seen = b""
    try:
        conn, _ = srv.accept()
        conn.settimeout(timeout)
        buf = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 8:
                (n,) = struct.unpack(">Q", buf[:8])
                if len(buf) < 8 + n:
                    break
                payload, buf = buf[8:8 + n], buf[8 + n:]
                frames += 1
                seen += payload
                if all(w in seen for w in want):
                    print("found in %d frames" % frames)
                    return 0
    except socket.timeout:
        pass
    print("not found after %d frames" % frames)
    return 1


if __name__ == "__main__":
    sys.exit(main())
