"""docker-compose.yml is valid and wires the scale-out parts together.

Docker does not run here; Debian's ``docker-compose config`` validates the file, and
the assertions check the services the deployment promises.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO


def test_compose_file_validates_and_has_the_scale_out_services() -> None:
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.skip("docker-compose is not installed")
    out = subprocess.run(
        [exe, "-f", str(REPO / "docker-compose.yml"), "config"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout
    config = yaml.safe_load(out)
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
