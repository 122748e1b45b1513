#!/usr/bin/env python3
"""A bearer-token server for docker-registry's `auth: token` mode, on 127.0.0.1.

usage: registry-token-server.py --key KEY.pem --cert CERT.pem --service S --issuer I
         --port-file FILE --log FILE [--user NAME:PASSWORD] [--public PREFIX]
         [--expires SECONDS]

The token protocol (distribution's docs/spec/auth/token.md): a client that the registry
challenged with `Bearer realm=...,service=S,scope=repository:NAME:ACTIONS` asks

  GET /token?service=S&scope=repository:NAME:pull[,push]   [Authorization: Basic ...]

and gets {"token": JWT, "access_token": JWT, "expires_in": N, "issued_at": ...}. The JWT
is RS256-signed with KEY; its header carries CERT as `x5c`, so a registry whose
rootcertbundle is CERT trusts it. Claims: iss=I, aud=S, sub, iat/nbf/exp, jti and
`access` [{"type": "repository", "name": NAME, "actions": [...]}].

Policy: Basic credentials that match --user get every action they ask for; wrong ones
get 401. Anonymous clients get `pull` on repositories below --public and nothing
elsewhere (the token is issued with empty access, as Docker Hub's auth does: the
registry then refuses the request). A wrong service is 400.

Each request appends one line to --log:  `token user=NAME|anonymous|bad scope=... granted=...`.
The listening port is written to --port-file once the socket is bound. Signing runs
`openssl dgst -sha256 -sign KEY`; only the standard library is imported.
"""

import argparse
import base64
import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import loopback_server


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_base64(path):
    """The PEM body of the first certificate: the standard base64 of its DER (x5c)."""
    lines, inside = [], False
    for line in open(path).read().splitlines():
        if line.startswith("-----BEGIN CERTIFICATE"):
            inside = True
        elif line.startswith("-----END CERTIFICATE"):
            break
        elif inside:
            lines.append(line.strip())
    return "".join(lines)


class Issuer:
    def __init__(self, args):
        self.key = args.key
        self.service = args.service
        self.issuer = args.issuer
        self.expires = args.expires
        self.x5c = cert_der_base64(args.cert)

    def sign(self, subject, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service, "iat": now,
                  "nbf": now - 10, "exp": now + self.expires, "jti": uuid.uuid4().hex,
                  "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + \
            b64url(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                                   input=signing_input.encode(), capture_output=True,
                                   check=True).stdout
        return signing_input + "." + b64url(signature)


def parse_scope(scope):
    """repository:NAME:ACTIONS -> (NAME, [ACTIONS]); NAME may hold ':' only before the last."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if kind != "repository" or not name:
        return None
    return name, [a for a in actions.split(",") if a]


def make_handler(issuer, args, log, log_lock):
    user = args.user

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *unused):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def who(self):
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return "anonymous"
            try:
                given = base64.b64decode(auth[6:]).decode()
            except ValueError:
                return None
            return given.partition(":")[0] if given == user else None

        def grant(self, subject, scopes):
            access = []
            for scope in scopes:
                parsed = parse_scope(scope)
                if parsed is None:
                    continue
                name, wanted = parsed
                if subject == "anonymous":
                    public = args.public and name.startswith(args.public)
                    wanted = [a for a in wanted if a == "pull"] if public else []
                access.append({"type": "repository", "name": name, "actions": wanted})
            return access

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            scopes = query.get("scope", [])
            subject = self.who()
            granted = []
            try:
                if url.path != "/token":
                    return self.answer(404, {"error": "not found"})
                if query.get("service", [""])[0] != args.service:
                    return self.answer(400, {"error": "unknown service"})
                if subject is None:
                    return self.answer(401, {"error": "bad credentials"})
                granted = self.grant(subject, scopes)
                token = issuer.sign(subject, granted)
                self.answer(200, {"token": token, "access_token": token,
                                  "expires_in": args.expires,
                                  "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                             time.gmtime())})
            finally:
                with log_lock:
                    log.write("token user=%s scope=%s granted=%s\n" % (
                        subject or "bad", " ".join(scopes) or "-",
                        json.dumps([[a["name"], a["actions"]] for a in granted])))
                    log.flush()

    return Handler


def main():
    parser = argparse.ArgumentParser()
    for option in ("--key", "--cert", "--service", "--issuer", "--port-file", "--log"):
        parser.add_argument(option, required=True)
    parser.add_argument("--user", default=None, help="NAME:PASSWORD")
    parser.add_argument("--public", default=None, help="repository prefix anyone may pull")
    parser.add_argument("--expires", type=int, default=300)
    args = parser.parse_args()

    log = open(args.log, "a")
    return loopback_server.serve(make_handler(Issuer(args), args, log, threading.Lock()),
                                 args.port_file)


if __name__ == "__main__":
    sys.exit(main())
