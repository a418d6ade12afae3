"""``chartvault account ...`` as real processes: bootstrap prints the first admin's
one-time password and TOTP secret once; tokens are made by signing in; refusals are
one-line errors with exit codes 6 (401) and 7 (403)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyotp


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTVAULT_")}
    env.update(CHARTVAULT_DATA_DIR=str(data), CHARTVAULT_AUTH__ARGON2_TIME_COST="1",
               XDG_CONFIG_HOME=str(data.parent / "config"),
               CHARTVAULT_AUTH__ARGON2_MEMORY_KIB="8192")
    return env


def cv(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chartvault.cli_accounts", "account", *args],
                          input=stdin, capture_output=True, text=True, env=_env(data),
                          timeout=120)


def test_account_cli_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    boot = cv(data, "bootstrap")
    assert boot.returncode == 0, boot.stderr
    first = re.search(r"one-time password: (\S+)", boot.stdout)
    secret = re.search(r"TOTP secret: (\S+)", boot.stdout)
    assert first and secret and "sign in as admin" in boot.stdout
    again = cv(data, "bootstrap")
    assert again.returncode == 2 and first.group(1) not in again.stdout + again.stderr

    admin_tok = tmp_path / "admin.token"
    code = pyotp.TOTP(secret.group(1)).now()
    made = cv(data, "token", "create", "--username", "admin", "--role", "admin", "--out",
              str(admin_tok), stdin=f"{first.group(1)}\n{code}\nadmin's new passphrase\n")
    assert made.returncode == 0, made.stderr
    assert admin_tok.stat().st_mode & 0o777 == 0o600
    assert admin_tok.read_text().startswith("cv1_")

    created = cv(data, "create", "scan1", "--role", "scanner", "--intake", "east",
                 "--token-file", str(admin_tok))
    assert created.returncode == 0, created.stderr
    scan_first = re.search(r"one-time password: (\S+)", created.stdout)
    assert scan_first and "TOTP secret" not in created.stdout  # scanners need no TOTP
    listed = cv(data, "list", "--token-file", str(admin_tok))
    assert re.search(r"^scan1\s+active\s+totp=no\s+roles=scanner intakes=east", listed.stdout,
                     re.M), listed.stdout

    scan_tok = tmp_path / "scan.token"
    made = cv(data, "token", "create", "--username", "scan1", "--role", "scanner", "--out",
              str(scan_tok), stdin=f"{scan_first.group(1)}\n\nscanner's own passphrase\n")
    assert made.returncode == 0, made.stderr
    refused = cv(data, "list", "--token-file", str(scan_tok))
    assert refused.returncode == 7
    assert refused.stderr.strip() == "error: forbidden: not permitted"

    (tmp_path / "bad.token").write_text("cv1_made-up\n")
    bad = cv(data, "list", "--token-file", str(tmp_path / "bad.token"))
    assert bad.returncode == 6 and bad.stderr.startswith("error: unauthenticated:")
    wrong = cv(data, "token", "create", "--username", "scan1", "--role", "scanner",
               stdin="not the password\n\n")
    assert wrong.returncode == 6 and wrong.stderr == bad.stderr

    tokens = cv(data, "token", "list", "--token-file", str(scan_tok))
    token_id = tokens.stdout.split()[0]
    assert cv(data, "token", "revoke", token_id, "--token-file", str(scan_tok)).returncode == 0
    assert cv(data, "token", "list", "--token-file", str(scan_tok)).returncode == 6


def test_matrix_command_prints_the_table(tmp_path: Path) -> None:
    out = cv(tmp_path, "matrix")
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].startswith("| action | scanner |")
