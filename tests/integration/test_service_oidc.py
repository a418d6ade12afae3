"""OpenID Connect sign-in against a provider process the test starts.

The provider vouches for who signed in; the local account decides what they may do.
Tampered state, a wrong audience, a token signed by a key the provider does not
publish, or a name with no account here: each is refused with the same answer and
audited with its reason.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.auth.oidc import Pending
from chartvault.auth.roles import Role
from chartvault.catalog import SearchCriteria
from tests.support.world import World, build_world

PROVIDER = Path(__file__).resolve().parents[1] / "support" / "oidc_provider.py"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, str(PROVIDER), "--client-id", "chartvault", "--client-secret",
         "s3cret-of-the-client", "--user", "oidc.auditor", "--user", "oidc.legal:pwd",
         "--user", "oidc.legal2:pwd,mfa", "--user", "mallory:mfa:wrong_aud",
         "--user", "forger:mfa:foreign_key", "--user", "stranger"],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    assert proc.wait(timeout=10) == 0


@pytest.fixture
def world(tmp_path: Path, issuer: str) -> World:
    w = build_world(tmp_path, oidc_issuer=issuer, oidc_client_id="chartvault",
                    oidc_client_secret="s3cret-of-the-client",
                    oidc_redirect_uri="http://127.0.0.1:9/callback")
    for name, role in (("oidc.auditor", Role.AUDITOR), ("oidc.legal", Role.LEGAL),
                       ("oidc.legal2", Role.LEGAL), ("mallory", Role.AUDITOR),
                       ("forger", Role.AUDITOR)):
        got = w.service.create_account(w.admin, name, [role])
        if got.totp_secret:
            w.totp[name] = got.totp_secret
    return w


def _browser(pending: Pending) -> str:
    """What the person's browser does: follow the URL, land on the redirect."""
    resp = httpx.get(pending.url, follow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    return resp.headers["location"]


def _why(w: World) -> str:
    return str(w.last_event()["detail"]["why"])


def test_sign_in_maps_to_the_local_account_and_its_roles(world: World) -> None:
    w = world
    pending = w.service.oidc_begin("oidc.auditor")
    signed = w.service.sign_in_oidc(pending, _browser(pending))
    assert signed.principal.username == "oidc.auditor"
    assert w.last_event()["detail"]["method"] == "oidc"
    assert w.service.search(signed.bearer, SearchCriteria(name="x")) == []
    with pytest.raises(Forbidden):
        w.service.sweep(signed.bearer)


def test_second_factor_from_the_provider_or_local_totp(world: World) -> None:
    w = world
    pending = w.service.oidc_begin("oidc.legal")  # the provider did a password only
    callback = _browser(pending)
    with pytest.raises(Unauthenticated):
        w.service.sign_in_oidc(pending, callback)
    assert _why(w) == "second_factor_missing"
    pending = w.service.oidc_begin("oidc.legal")
    signed = w.service.sign_in_oidc(pending, _browser(pending), code=w.code("oidc.legal"))
    assert signed.principal.mfa
    pending = w.service.oidc_begin("oidc.legal2")  # the provider asserts MFA (amr)
    assert w.service.sign_in_oidc(pending, _browser(pending)).principal.mfa


@pytest.mark.parametrize(("user", "tamper", "why"), [
    ("oidc.auditor", "state", "state_mismatch"),
    ("oidc.auditor", "nonce", "id_token_invalid"),
    ("mallory", None, "id_token_invalid"),  # audience is another client
    ("forger", None, "id_token_invalid"),  # signed by a key the provider does not publish
    ("stranger", None, "unknown_account"),  # vouched for, but no account here
])
def test_refusals_look_alike_and_are_audited(world: World, user: str, tamper: str | None,
                                             why: str) -> None:
    w = world
    pending = w.service.oidc_begin(user)
    callback = _browser(pending)
    if tamper == "state":
        callback = callback.replace(pending.state, "forged-state")
    if tamper == "nonce":
        pending = Pending(pending.url, pending.state, "another-nonce", pending.code_verifier)
    with pytest.raises(Unauthenticated) as err:
        w.service.sign_in_oidc(pending, callback)
    assert str(err.value) == "sign-in failed or the credential is not valid"
    assert _why(w) == why
