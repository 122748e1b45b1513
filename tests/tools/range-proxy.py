#!/usr/bin/env python3
"""An HTTP proxy on 127.0.0.1 in front of a registry that serves blob ranges itself, counts
what it sends, and on demand ignores Range or changes a byte.

usage: range-proxy.py --upstream HOST:PORT --port-file FILE --log FILE
         [--ignore-range] [--flip DIGEST:OFFSET ...]

Requests that are not blob GETs are forwarded to the upstream registry and the answer
relayed. A blob GET (`/v2/.../blobs/sha256:...`) is answered by the proxy from the whole
blob, fetched from upstream once and kept: with no Range header, or with --ignore-range,
200 and the whole blob (as a server that does not do ranges); with `Range: bytes=A-B`,
206 and Content-Range; with several ranges, 206 multipart/byteranges, one part per range.
--flip DIGEST:OFFSET changes the byte at OFFSET of blob DIGEST (XOR 0x01) in everything
served, as a registry whose storage was tampered with would.

Each blob GET appends one line to --log: `GET PATH range=RANGE|- status=S bytes=N`, N being
the bytes of the body sent. The listening port is written to --port-file once bound.
"""

import argparse
import http.client
import http.server
import sys
import threading

import loopback_server

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
              "upgrade", "host", "content-length"}
BOUNDARY = "cairn-test-range-boundary"


def parse_ranges(header, size):
    """[(start, end_inclusive)] of a "bytes=A-B,C-D" header, or None."""
    if not header or not header.startswith("bytes="):
        return None
    ranges = []
    for spec in header[len("bytes="):].split(","):
        first, _, last = spec.strip().partition("-")
        start = int(first)
        end = int(last) if last else size - 1
        if start > end or start >= size:
            return None
        ranges.append((start, min(end, size - 1)))
    return ranges


def make_handler(args, log, lock):
    upstream_host, _, upstream_port = args.upstream.rpartition(":")
    flips = {}
    for flip in args.flip:
        digest, _, offset = flip.rpartition(":")
        flips.setdefault(digest, []).append(int(offset))
    blobs = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def upstream(self, headers):
            conn = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=60)
            conn.request(self.command, self.path, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            return answer, body

        def forward(self):
            # a header sent several times (podman's Accept) is forwarded as one, values joined
            headers = {k: ", ".join(self.headers.get_all(k)) for k in set(self.headers.keys())
                       if k.lower() not in HOP_BY_HOP}
            answer, body = self.upstream(headers)
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return answer.status, len(body)

        def blob(self, digest):
            with lock:
                if digest in blobs:
                    return blobs[digest]
            answer, body = self.upstream({})
            if answer.status != 200:
                return None
            data = bytearray(body)
            for offset in flips.get(digest, []):
                data[offset] ^= 0x01
            with lock:
                blobs[digest] = bytes(data)
            return blobs[digest]

        def send_body(self, status, headers, body):
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return status, len(body)

        def serve_blob(self, data):
            ranges = None if args.ignore_range else parse_ranges(self.headers.get("Range"),
                                                                 len(data))
            octets = ("Content-Type", "application/octet-stream")
            if not ranges:
                return self.send_body(200, [octets], data)
            if len(ranges) == 1:
                start, end = ranges[0]
                return self.send_body(206, [octets, ("Content-Range", "bytes %d-%d/%d" % (
                    start, end, len(data)))], data[start:end + 1])
            body = b""
            for start, end in ranges:
                body += ("\r\n--%s\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Range: bytes %d-%d/%d\r\n\r\n" % (
                             BOUNDARY, start, end, len(data))).encode()
                body += data[start:end + 1]
            body += ("\r\n--%s--\r\n" % BOUNDARY).encode()
            return self.send_body(206, [("Content-Type", "multipart/byteranges; boundary=" +
                                         BOUNDARY)], body)

        def do_GET(self):
            digest = self.path.rpartition("/blobs/")[2] if "/blobs/" in self.path else None
            data = self.blob(digest) if digest else None
            if data is None:
                self.forward()
                return
            status, sent = self.serve_blob(data)
            with lock:
                log.write("GET %s range=%s status=%d bytes=%d\n" % (
                    self.path, self.headers.get("Range", "-"), status, sent))
                log.flush()

        do_HEAD = forward

    return Handler


def main():
    parser = argparse.ArgumentParser()
    for option in ("--upstream", "--port-file", "--log"):
        parser.add_argument(option, required=True)
    parser.add_argument("--ignore-range", action="store_true")
    parser.add_argument("--flip", action="append", default=[])
    args = parser.parse_args()

    log = open(args.log, "a")
    return loopback_server.serve(make_handler(args, log, threading.Lock()), args.port_file)


if __name__ == "__main__":
    sys.exit(main())
