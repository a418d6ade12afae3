"""docker-compose.yml is valid and wires the scale-out parts together.

Docker does not run here; Debian's ``docker-compose config`` validates the file, and
the assertions check the services the deployment promises.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO

SECRETS = {"MINIO_ROOT_USER": "root-user", "MINIO_ROOT_PASSWORD": "root-secret-1",
           "CHARTVAULT_S3_ACCESS_KEY": "chartvault-app", "CHARTVAULT_S3_SECRET_KEY": "app-secret-1",
           "POSTGRES_PASSWORD": "pg-secret-1", "PREFECT_DB_PASSWORD": "pf-secret-1",
           "PREFECT_AUTH_STRING": "chartvault:pf-api-secret"}


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("docker-compose is not installed")
        pytest.skip("docker-compose is not installed")
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run([exe, "-f", str(REPO / "docker-compose.yml"), "config"],
                          capture_output=True, text=True, timeout=60, env={**clean, **env},
                          cwd=REPO / "deploy")  # no stray .env file is read


def test_compose_refuses_to_start_without_its_secrets() -> None:
    out = _compose_config({k: v for k, v in SECRETS.items() if k != "PREFECT_AUTH_STRING"})
    assert out.returncode != 0 and "PREFECT_AUTH_STRING" in out.stderr


def test_compose_gives_chartvault_its_own_s3_user_and_guards_prefect() -> None:
    config = yaml.safe_load(_compose_config(SECRETS).stdout)
    services = config["services"]
    for name in ("worker", "watcher"):
        env = services[name]["environment"]
        assert env["CHARTVAULT_S3__ACCESS_KEY"] == "chartvault-app"  # never the root keys
        assert "root-secret-1" not in json.dumps(env)
        assert env["PREFECT_API_AUTH_STRING"] == "chartvault:pf-api-secret"
    server_env = services["prefect-server"]["environment"]
    assert server_env["PREFECT_SERVER_API_AUTH_STRING"] == "chartvault:pf-api-secret"
    for svc in services.values():
        for port in svc.get("ports", []):
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            assert host_ip == "127.0.0.1", port
    init = services["minio-init"]["entrypoint"]
    init = " ".join(init) if isinstance(init, list) else init
    assert "mc admin policy attach cv chartvault-app" in init
    policy = json.loads((REPO / "deploy" / "s3-app-policy.json").read_text())
    denied = {a for st in policy["Statement"] if st["Effect"] == "Deny" for a in st["Action"]}
    allowed = {a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"]}
    assert "s3:BypassGovernanceRetention" in denied and not allowed & denied


def test_compose_file_validates_and_has_the_scale_out_services() -> None:
    out = _compose_config(SECRETS)
    assert out.returncode == 0, out.stderr
    config = yaml.safe_load(out.stdout)
    services = config["services"]
    assert {"minio", "minio-init", "postgres", "prefect-server", "worker", "watcher"} <= set(
        services)
    assert services["watcher"]["entrypoint"] == ["chartvault", "watch"]
    assert "--with-lock" in " ".join(services["minio-init"]["entrypoint"]) if isinstance(
        services["minio-init"]["entrypoint"], list) else "--with-lock" in services[
        "minio-init"]["entrypoint"]
    env = services["worker"]["environment"]
    assert env["CHARTVAULT_STORE"] == "s3"
    assert env["CHARTVAULT_CATALOG_URL"].startswith("postgresql+psycopg://")


def test_prefect_yaml_entrypoints_exist() -> None:
    import importlib

    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    names = {d["name"] for d in spec["deployments"]}
    assert {"ingest-poll", "fixity-check", "retention-sweep", "retention-execute"} <= names
    for d in spec["deployments"]:
        path, func = d["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, func))
        assert d["work_pool"]["name"] == "chartvault"
