"""A tiny OpenID Connect provider, run as its own process by the tests.

    python tests/support/oidc_provider.py --client-id ID --client-secret S \
        --user NAME[:AMR[,AMR]][:FLAG] ...

Serves discovery, JWKS, /authorize (signs in the user named by ``login_hint`` at once
and redirects back with a code) and /token (client_secret_basic, PKCE S256, one use per
code; RS256 ID tokens). FLAG makes a bad token on purpose: ``wrong_aud`` or
``foreign_key`` (signed by a key not in the JWKS). Prints its port, then serves until
SIGTERM.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--user", action="append", required=True)
    args = ap.parse_args()
    users: dict[str, tuple[list[str], str]] = {}
    for spec in args.user:
        name, _, rest = spec.partition(":")
        amr, _, flag = rest.partition(":")
        users[name] = ([a for a in amr.split(",") if a], flag)
    key = RSAKey.generate_key(2048, auto_kid=True)
    foreign = RSAKey.generate_key(2048, auto_kid=True)
    codes: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: Any) -> None:
            pass

        @property
        def issuer(self) -> str:
            return f"http://127.0.0.1:{self.server.server_address[1]}"

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(200, {"issuer": self.issuer,
                                 "authorization_endpoint": self.issuer + "/authorize",
                                 "token_endpoint": self.issuer + "/token",
                                 "jwks_uri": self.issuer + "/jwks",
                                 "id_token_signing_alg_values_supported": ["RS256"]})
            elif url.path == "/jwks":
                self._json(200, {"keys": [key.as_dict(private=False)]})
            elif url.path == "/authorize":
                user = q.get("login_hint") or next(iter(users))
                if q.get("client_id") != args.client_id or user not in users:
                    self._json(400, {"error": "invalid_request"})
                    return
                code = secrets.token_urlsafe(16)
                with lock:
                    codes[code] = {"user": user, "nonce": q.get("nonce"),
                                   "challenge": q.get("code_challenge"),
                                   "redirect_uri": q.get("redirect_uri")}
                back = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            auth = self.headers.get("Authorization", "")
            expected = base64.b64encode(f"{args.client_id}:{args.client_secret}".encode())
            if auth != "Basic " + expected.decode():
                self._json(401, {"error": "invalid_client"})
                return
            with lock:
                grant = codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant is None or grant["challenge"] != challenge or \
                    grant["redirect_uri"] != form.get("redirect_uri"):
                self._json(400, {"error": "invalid_grant"})
                return
            amr, flag = users[grant["user"]]
            now = int(time.time())
            claims: dict[str, Any] = {
                "iss": self.issuer, "sub": "sub-" + grant["user"],
                "aud": "someone-else" if flag == "wrong_aud" else args.client_id,
                "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                "preferred_username": grant["user"]}
            if amr:
                claims["amr"] = amr
            signer = foreign if flag == "foreign_key" else key
            token = jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)
            self._json(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "expires_in": 300, "id_token": token})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(server.server_address[1], flush=True)
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
