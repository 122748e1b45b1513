#!/usr/bin/env python3
"""An HTTP proxy on 127.0.0.1 in front of a registry that drops blob downloads mid-body.

usage: cutting-proxy.py --upstream HOST:PORT --port-file FILE --log FILE
         --cut-after BYTES [--cuts N] [--min-size BYTES]

Every request is forwarded to the upstream registry with its headers (Range and
Authorization included) and the answer relayed. A GET of a blob (`/v2/.../blobs/...`)
whose answer has a body longer than BYTES is relayed with its full headers but only
BYTES of its body, and then the connection is closed, as a server or a middlebox
that dies mid-transfer would. The first N such answers per blob are cut (default 1;
-1: every one), so a client that resumes with `Range: bytes=K-` succeeds and one that
restarts from zero each time (and a blob that is always cut) fails. With --min-size, only
answers whose body has at least that many bytes are cut (the big layers, not the config).

Each blob request appends one line to --log: `GET PATH range=RANGE|- cut=K|full`.
The listening port is written to --port-file once the socket is bound.
"""

import argparse
import http.client
import http.server
import socket
import sys
import threading

import loopback_server

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
              "upgrade", "host", "content-length"}


def make_handler(args, log, lock):
    upstream_host, _, upstream_port = args.upstream.rpartition(":")
    cuts_done = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def fetch(self):
            conn = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            return answer, body

        def cut_point(self, body):
            if self.command != "GET" or "/blobs/" not in self.path or \
                    len(body) <= args.cut_after or len(body) < args.min_size:
                return None
            with lock:
                done = cuts_done.get(self.path, 0)
                if args.cuts >= 0 and done >= args.cuts:
                    return None
                cuts_done[self.path] = done + 1
            return args.cut_after

        def relay(self):
            answer, body = self.fetch()
            cut = self.cut_point(body)
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            # a HEAD answer has no body, but says how long the GET's would be
            length = answer.getheader("Content-Length") if self.command == "HEAD" else None
            self.send_header("Content-Length", length if length is not None else str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body if cut is None else body[:cut])
            self.wfile.flush()
            if "/blobs/" in self.path and self.command == "GET":
                with lock:
                    log.write("GET %s range=%s cut=%s\n" % (
                        self.path, self.headers.get("Range", "-"),
                        "full" if cut is None else cut))
                    log.flush()
            if cut is not None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = relay
        do_HEAD = relay

    return Handler


def main():
    parser = argparse.ArgumentParser()
    for option in ("--upstream", "--port-file", "--log"):
        parser.add_argument(option, required=True)
    parser.add_argument("--cut-after", type=int, required=True)
    parser.add_argument("--cuts", type=int, default=1)
    parser.add_argument("--min-size", type=int, default=0)
    args = parser.parse_args()

    log = open(args.log, "a")
    return loopback_server.serve(make_handler(args, log, threading.Lock()), args.port_file)


if __name__ == "__main__":
    sys.exit(main())
