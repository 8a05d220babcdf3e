#!/usr/bin/env python3
"""Host-side hybrid vsock peer for the backend's VM test (stdlib only).

  console PATH PORT CMD OUT [MARKER]
                                 connect to guest PORT through PATH ("CONNECT PORT\\n",
                                 "OK n\\n"), send CMD and a newline, write everything the
                                 guest sends until EOF to OUT (only what follows the first
                                 MARKER line when given: shells print banners and prompts)
  feed PATH PORT CMD IN OUT      same, but CMD is preceded by "echo ready;" and the bytes of
                                 IN are sent once "ready" came back (so the shell cannot
                                 have read them as commands)
  listen SOCKET OUT SECONDS      accept one guest-initiated connection on the unix socket
                                 SOCKET, write what it sends to OUT (until EOF, at most
                                 SECONDS)
Exit status 1 with a message on any failure."""
import os
import socket
import sys
import time


def connect(path, port):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    s.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            sys.exit("refused: the peer closed without OK")
        line += c
    if not line.startswith(b"OK "):
        sys.exit("bad answer %r" % line)
    return s


def drain(s, out, first=b""):
    with open(out, "wb") as f:
        f.write(first)
        while True:
            b = s.recv(1 << 16)
            if not b:
                return
            f.write(b)


def main():
    mode = sys.argv[1]
    if mode == "console":
        path, port, cmd, out = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
        s = connect(path, port)
        s.sendall(cmd.encode() + b"\n")
        drain(s, out)
        if len(sys.argv) > 6:
            marker = sys.argv[6].encode() + b"\n"
            with open(out, "rb") as f:
                data = f.read()
            if marker not in data:
                sys.exit("marker %r not in the output" % marker)
            with open(out, "wb") as f:
                f.write(data.split(marker, 1)[1])
    elif mode == "feed":
        path, port, cmd, inp, out = sys.argv[2:7]
        s = connect(path, int(port))
        s.sendall(b"echo ready; " + cmd.encode() + b"\n")
        got = b""
        while b"ready\n" not in got:
            b = s.recv(64)
            if not b:
                sys.exit("the console closed before 'ready'")
            got += b
        with open(inp, "rb") as f:
            s.sendall(f.read())
        drain(s, out, got.split(b"ready\n", 1)[1])
    elif mode == "listen":
        sock, out, secs = sys.argv[2], sys.argv[3], float(sys.argv[4])
        if os.path.exists(sock):
            os.unlink(sock)
        l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        l.bind(sock)
        l.listen(4)
        l.settimeout(secs)
        c, _ = l.accept()
        c.settimeout(2)
        deadline = time.time() + secs
        with open(out, "wb") as f:
            while time.time() < deadline:
                try:
                    b = c.recv(1 << 16)
                except socket.timeout:
                    if f.tell() > 0:
                        break
                    continue
                if not b:
                    break
                f.write(b)
                f.flush()
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
