"""docker-compose.yml, checked without Docker (images cannot be pulled here):
each service's command, its healthcheck (the web's /healthz, the worker's
/readyz), and an environment the settings really read."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from novelproc.health import PROBES

pytestmark = pytest.mark.first_pass

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, service in SERVICES.items() if service.get("build") == "."]
# What an operator must supply (`${NAME:?message}`), with a value as good as theirs.
REQUIRED = {"SECRET_KEY": "k7#Vq2!xZp9@Lr4$Wm8^Tn3&Bc6*Hd1(Jf5)Gs0-Ya2+Ue7=Oi4"}
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def interpolated(value: str) -> str:
    """The value compose gives with nothing set in the shell: defaults, and the operator's required values."""

    def one(match: re.Match) -> str:
        if match["op"] == ":?":
            return REQUIRED[match["name"]]
        return match["arg"] if match["op"] == ":-" else ""

    return INTERPOLATION.sub(one, str(value))


def command_of(service: str) -> list[list[str]]:
    """The service's command as the programs it runs (a `sh -c "a && b"` is a, then b)."""
    words = shlex.split(SERVICES[service]["command"])
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def test_the_stack_is_web_worker_postgres_and_redis():
    assert set(SERVICES) == {"web", "worker", "postgres", "redis"}
    assert APP_SERVICES == ["web", "worker"]


def test_the_web_migrates_then_serves_the_asgi_application_on_its_published_port():
    migrate, serve = command_of("web")

    assert migrate[:3] == ["python", "manage.py", "migrate"] and "migrate" in get_commands()
    assert serve[:3] == ["python", "manage.py", "serve"] and get_commands()["serve"] == "jobs"
    port = serve[serve.index("--port") + 1]
    assert f"{port}:{port}" in SERVICES["web"]["ports"]
    assert (ROOT / "novelproc" / "asgi.py").read_text().count("application =") == 1


def test_the_worker_runs_the_projects_cluster():
    assert command_of("worker") == [["python", "manage.py", "qcluster"]]
    assert get_commands()["qcluster"] == "jobs"  # the project's own, which loads the engines before forking


def probe_url(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    return re.search(r"urlopen\('([^']+)', timeout=(\d+)\)", test[3]).group(1)


def test_the_web_healthcheck_asks_healthz_and_the_workers_asks_readyz_of_the_web():
    port = command_of("web")[1][command_of("web")[1].index("--port") + 1]

    assert probe_url("web") == f"http://127.0.0.1:{port}/healthz"
    assert probe_url("worker") == f"http://web:{port}/readyz"
    assert {"/healthz", "/readyz"} <= set(PROBES)
    assert SERVICES["worker"]["depends_on"]["web"] == {"condition": "service_started"}  # readyz needs a web to ask


# ids of their own: a test id "postgres" or "redis" would read as those markers (conftest.py).
@pytest.mark.parametrize("service", list(SERVICES), ids=[f"service-{name}" for name in SERVICES])
def test_every_service_has_a_healthcheck_that_ends_before_its_timeout(service):
    check = SERVICES[service]["healthcheck"]

    assert check["test"] and check["retries"] >= 1
    assert int(check["timeout"].rstrip("s")) <= int(check["interval"].rstrip("s"))
    if service in APP_SERVICES:
        urlopen_timeout = int(re.search(r"timeout=(\d+)", check["test"][3]).group(1))
        assert urlopen_timeout < int(check["timeout"].rstrip("s"))


def test_services_wait_only_for_services_that_report_health():
    for name in APP_SERVICES:
        for needed, condition in SERVICES[name]["depends_on"].items():
            assert needed in SERVICES
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[needed], (name, needed)
    assert SERVICES["postgres"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_named_volumes_are_declared():
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in COMPOSE["volumes"], volume


def settings_read_with(environment: dict[str, str]) -> subprocess.CompletedProcess:
    code = "import django, json; django.setup(); from novelproc.env import names_read; print(json.dumps(sorted(names_read())))"
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "novelproc.settings", **environment}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("service", ["web", "worker"])
def test_every_variable_compose_sets_is_one_the_settings_read(service):
    environment = {name: interpolated(value) for name, value in SERVICES[service]["environment"].items()}

    result = settings_read_with(environment)

    assert result.returncode == 0, result.stderr  # and the values are ones the settings accept
    unread = set(environment) - set(json.loads(result.stdout))
    assert not unread, f"{service} sets variables that novelproc/settings.py never reads: {sorted(unread)}"


def test_the_check_would_catch_a_misspelt_variable():
    read = json.loads(settings_read_with({"SECRET_KEY": REQUIRED["SECRET_KEY"], "GEMINI_KEY": "k"}).stdout)

    assert "SECRET_KEY" in read and "GEMINI_API_KEY" in read and "GEMINI_KEY" not in read
