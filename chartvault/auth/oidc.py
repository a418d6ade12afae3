"""OpenID Connect sign-in (authorization code flow with PKCE) for sites with a provider.

The provider proves who the person is; chartvault still decides what they may do: the
ID token's username claim must name an existing, enabled local account, whose roles
apply. ``begin`` gives the URL to send the browser to and the values to keep until the
provider redirects back; ``finish`` checks state, exchanges the code, and verifies the
ID token (signature against the provider's JWKS, issuer, audience, expiry, nonce). Any
failure is one ``OidcFailed`` whose code is for the audit trail only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from chartvault.errors import ChartvaultError
from chartvault.settings import AuthSettings

TIMEOUT_S = 10.0


class OidcFailed(ChartvaultError):
    """The provider's answer did not verify; ``why`` goes to the audit trail."""

    code = "oidc_failed"

    def __init__(self, why: str) -> None:
        super().__init__("OpenID Connect sign-in failed")
        self.why = why


@dataclass(frozen=True)
class Pending:
    """What the caller keeps between ``begin`` and ``finish`` (a web session, a CLI)."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    username: str
    subject: str
    mfa: bool  # the provider asserts a second factor (amr)


class OidcClient:
    """A confidential client of one provider."""

    def __init__(self, settings: AuthSettings, http: httpx.Client | None = None) -> None:
        if not (settings.oidc_issuer and settings.oidc_client_id):
            raise ChartvaultError("OpenID Connect is not configured", code="oidc_off")
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.http = http or httpx.Client(timeout=TIMEOUT_S)
        self._meta: dict[str, Any] | None = None

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (issuer checked against the setting)."""
        if self._meta is None:
            meta = self._get_json(self.issuer + "/.well-known/openid-configuration")
            if str(meta.get("issuer", "")).rstrip("/") != self.issuer:
                raise OidcFailed("issuer_mismatch")
            self._meta = meta
        return self._meta

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            resp = self.http.get(url)
            resp.raise_for_status()
            data: dict[str, Any] = resp.json()
        except (httpx.HTTPError, ValueError):
            raise OidcFailed("provider_unreachable") from None
        return data

    def begin(self, login_hint: str | None = None) -> Pending:
        """The authorization URL, with fresh state, nonce and PKCE verifier."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        params = [("response_type", "code"), ("client_id", self.client_id),
                  ("redirect_uri", self.settings.oidc_redirect_uri),
                  ("scope", "openid profile"), ("state", state), ("nonce", nonce),
                  ("code_challenge", create_s256_code_challenge(verifier)),
                  ("code_challenge_method", "S256")]
        if login_hint:
            params.append(("login_hint", login_hint))
        url = add_params_to_uri(self.metadata()["authorization_endpoint"], params)
        return Pending(url, state, nonce, verifier)

    def finish(self, pending: Pending, callback_url: str) -> Identity:
        """Verify the provider's redirect and its ID token."""
        query = parse_qs(urlsplit(callback_url).query)
        if "error" in query:
            raise OidcFailed("provider_refused")
        got_state = (query.get("state") or [""])[0]
        code = (query.get("code") or [""])[0]
        if not code or not secrets.compare_digest(got_state, pending.state):
            raise OidcFailed("state_mismatch")
        meta = self.metadata()
        secret = self.settings.oidc_client_secret
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.settings.oidc_redirect_uri,
                "code_verifier": pending.code_verifier, "client_id": self.client_id}
        try:
            if secret is not None:  # client_secret_basic
                resp = self.http.post(meta["token_endpoint"], data=form,
                                      auth=(self.client_id, secret.get_secret_value()))
            else:  # a public client: PKCE alone
                resp = self.http.post(meta["token_endpoint"], data=form)
            resp.raise_for_status()
            id_token = str(resp.json()["id_token"])
        except (httpx.HTTPError, ValueError, KeyError):
            raise OidcFailed("token_exchange") from None
        return self._verify(id_token, pending.nonce)

    def _verify(self, id_token: str, nonce: str) -> Identity:
        jwks = self._get_json(self.metadata()["jwks_uri"])
        try:
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError):
            raise OidcFailed("jwks_invalid") from None
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
            JWTClaimsRegistry(
                leeway=30, iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                exp={"essential": True}, sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError):
            raise OidcFailed("id_token_invalid") from None
        claims = token.claims
        username = claims.get(self.settings.oidc_username_claim)
        if not isinstance(username, str) or not username:
            raise OidcFailed("no_username_claim")
        amr = claims.get("amr") or []
        mfa = bool(set(amr) & set(self.settings.oidc_mfa_amr)) if isinstance(amr, list) else False
        return Identity(username, str(claims["sub"]), mfa)
