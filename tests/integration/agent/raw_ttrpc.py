#!/usr/bin/env python3
"""Raw ttrpc over hybrid vsock for the agent's bad-input tests: sends hand-made frames
(valid, truncated, oversized, garbage) and prints what came back, one line per case.

usage: raw_ttrpc.py SOCKET CASE
CASE: handshake-garbage | handshake-port | console | truncated | oversized | garbage | unknown-method |
      bad-payload | bad-oci-wire-type
"""
import socket
import struct
import sys


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def request(service, method, payload=b""):
    return (field_bytes(1, service.encode()) + field_bytes(2, method.encode()) +
            field_bytes(3, payload))


def frame(payload, stream=1, ftype=1, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">IIBB", n, stream, ftype, 0) + payload


def connect(path, port=1024, handshake=b"CONNECT %d\n"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(handshake % port if b"%d" in handshake else handshake)
    return s


def read_line(s):
    line = b""
    while not line.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        line += c
    return line


def read_response(s):
    hdr = b""
    while len(hdr) < 10:
        c = s.recv(10 - len(hdr))
        if not c:
            return None
        hdr += c
    n, stream, ftype, flags = struct.unpack(">IIBB", hdr)
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            return None
        body += c
    return parse_status(body)


def parse_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def parse_status(body):
    """Response{status=1 {code=1, message=2}, payload=2}: returns (code, message)."""
    code, msg, i = 0, "", 0
    while i < len(body):
        key, i = parse_varint(body, i)
        if key & 7 == 2:
            ln, i = parse_varint(body, i)
            data = body[i:i + ln]
            i += ln
            if key >> 3 == 1:
                j = 0
                while j < len(data):
                    k, j = parse_varint(data, j)
                    if k & 7 == 0:
                        v, j = parse_varint(data, j)
                        if k >> 3 == 1:
                            code = v
                    elif k & 7 == 2:
                        ln2, j = parse_varint(data, j)
                        if k >> 3 == 2:
                            msg = data[j:j + ln2].decode(errors="replace")
                        j += ln2
        elif key & 7 == 0:
            _, i = parse_varint(body, i)
    return code, msg


def closed(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return True


def main():
    path, case = sys.argv[1], sys.argv[2]
    if case == "handshake-garbage":
        s = connect(path, handshake=b"HELLO agent\n")
        print("closed" if read_line(s) == b"" else "answered")
    elif case == "handshake-port":
        s = connect(path, port=9999)
        print("closed" if read_line(s) == b"" else "answered")
    elif case == "truncated":
        s = connect(path)
        read_line(s)
        s.sendall(frame(b"\x0a\x05grpc.", length=100))
        s.shutdown(socket.SHUT_WR)
        print("closed" if closed(s) else "open")
    elif case == "oversized":
        s = connect(path)
        read_line(s)
        s.sendall(frame(b"", length=5 << 20))
        r = None
        try:
            r = read_response(s)
        except (ConnectionResetError, socket.timeout):
            pass
        print("closed" if r is None and closed(s) else "status %d %s" % r)
    elif case == "garbage":
        s = connect(path)
        read_line(s)
        s.sendall(b"\xde\xad\xbe\xef" * 64)
        r = None
        try:
            r = read_response(s)
        except (ConnectionResetError, socket.timeout):
            pass
        print("closed" if r is None else "status %d %s" % r)
    elif case in ("unknown-method", "bad-payload", "bad-oci-wire-type"):
        s = connect(path)
        read_line(s)
        if case == "unknown-method":
            req = request("grpc.AgentService", "FormatDisk")
        elif case == "bad-payload":
            req = request("grpc.AgentService", "CreateContainer", b"\xff\xff\xff\xff")
        else:
            # CreateContainerRequest{container_id="x", OCI (6) sent as a varint: the
            # wrong wire type for a message field}.
            req = request("grpc.AgentService", "CreateContainer",
                          field_bytes(1, b"x") + varint(6 << 3 | 0) + varint(7))
        s.sendall(frame(req))
        code, msg = read_response(s)
        print("status %d %s" % (code, msg))
    elif case == "console":
        s = connect(path, port=1026)
        ok = read_line(s)
        if not ok.startswith(b"OK "):
            print("refused")
            return
        s.sendall(b"echo console-$((6*7)); hostname; exit\n")
        out = b""
        while True:
            try:
                c = s.recv(4096)
            except socket.timeout:
                break
            if not c:
                break
            out += c
        print(out.decode(errors="replace"))
    else:
        sys.exit("unknown case " + case)


if __name__ == "__main__":
    main()
