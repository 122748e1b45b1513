#!/usr/bin/env python3
"""An HTTP proxy on 127.0.0.1 in front of a registry that drops blob downloads (and, with
--cut-uploads, blob uploads) mid-body.

usage: cutting-proxy.py --upstream HOST:PORT --port-file FILE --log FILE
         --cut-after BYTES [--cuts N] [--min-size BYTES] [--cut-uploads BYTES]

Every request is forwarded to the upstream registry with its headers (Range and
Authorization included) and the answer relayed. A GET of a blob (`/v2/.../blobs/...`)
whose answer has a body longer than BYTES is relayed with its full headers but only
BYTES of its body, and then the connection is closed, as a server or a middlebox
that dies mid-transfer would. The first N such answers per blob are cut (default 1;
-1: every one), so a client that resumes with `Range: bytes=K-` succeeds and one that
restarts from zero each time (and a blob that is always cut) fails. With --min-size, only
answers whose body has at least that many bytes are cut (the big layers, not the config).

Uploads: with --cut-uploads BYTES, the first PATCH of each upload session
(`/v2/.../blobs/uploads/UUID`) that sends a later chunk (Content-Range not from 0) with a body
longer than BYTES is read for BYTES bytes only,
and the connection is closed without forwarding anything: the registry never sees the request,
as when a middlebox dies mid-upload, so the session stays where it was and a client that asks
for its state (GET, `Range: 0-N`) can continue from there. Request bodies are forwarded
otherwise (Content-Length or chunked), and a Location pointing at the upstream is rewritten to
point at the proxy.

Each blob request appends one line to --log: `GET PATH range=RANGE|- cut=K|full` for GETs
(an upload's status GET included); `METHOD PATH range=CONTENT-RANGE|- status=STATUS` for
HEAD, POST, PATCH and PUT relayed (STATUS: the upstream's answer; PATH without the query),
`METHOD PATH range=CONTENT-RANGE|- cut=K` for an upload cut after K bytes of its body.
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
    uploads_cut = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def request_body(self, limit=None):
            """The request's body (at most LIMIT bytes of it when given)."""
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while limit is None or len(data) < limit:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    data += self.rfile.read(size)
                    self.rfile.readline()
                return data if limit is None else data[:limit]
            length = int(self.headers.get("Content-Length", "0"))
            return self.rfile.read(length if limit is None else min(length, limit))

        def fetch(self, body=None):
            conn = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read() if self.command != "HEAD" else b""
            conn.close()
            return answer, data

        def log_line(self, text):
            with lock:
                log.write(text + "\n")
                log.flush()

        def upload_cut(self):
            """True when this PATCH is the one to cut in its upload session."""
            length = self.headers.get("Content-Length")
            rng = self.headers.get("Content-Range", "0-")
            if args.cut_uploads is None or self.command != "PATCH" or rng.startswith("0-") or \
                    "/blobs/uploads/" not in self.path or \
                    not (length and int(length) > args.cut_uploads):
                return False
            session = self.path.split("?")[0]
            with lock:
                if session in uploads_cut:
                    return False
                uploads_cut.add(session)
            return True

        def relay_upload(self):
            path = self.path.split("?")[0]
            rng = self.headers.get("Content-Range", "-")
            if self.upload_cut():
                got = self.request_body(args.cut_uploads)
                self.log_line("%s %s range=%s cut=%d" % (self.command, path, rng, len(got)))
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            answer, data = self.fetch(self.request_body() if self.command != "HEAD" else None)
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() == "location" and value.startswith("http://" + args.upstream):
                    value = "http://" + self.headers["Host"] + value[len("http://" + args.upstream):]
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", answer.getheader("Content-Length", str(len(data)))
                             if self.command == "HEAD" else str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
            if "/blobs/" in self.path:
                self.log_line("%s %s range=%s status=%d" % (self.command, path, rng, answer.status))

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
                if key.lower() == "location" and value.startswith("http://" + args.upstream):
                    value = "http://" + self.headers["Host"] + value[len("http://" + args.upstream):]
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
        do_HEAD = relay_upload
        do_POST = relay_upload
        do_PATCH = relay_upload
        do_PUT = relay_upload

    return Handler


def main():
    parser = argparse.ArgumentParser()
    for option in ("--upstream", "--port-file", "--log"):
        parser.add_argument(option, required=True)
    parser.add_argument("--cut-after", type=int, required=True)
    parser.add_argument("--cuts", type=int, default=1)
    parser.add_argument("--min-size", type=int, default=0)
    parser.add_argument("--cut-uploads", type=int, default=None)
    args = parser.parse_args()

    log = open(args.log, "a")
    return loopback_server.serve(make_handler(args, log, threading.Lock()), args.port_file)


if __name__ == "__main__":
    sys.exit(main())
