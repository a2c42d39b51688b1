"""The two pinned requirement files: the runtime set stands on its own (the
Docker image installs only it), and the test tools stay out of it."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.first_pass

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = {"pytest", "pytest-django", "pytest-timeout", "pytest-xdist", "playwright", "ruff"}


def pinned(name: str) -> dict[str, str]:
    rows = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            package, _extras, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[a-z,]+\])?==(\S+)", line).groups()
            rows[canonicalize_name(package)] = version
    return rows


def test_runtime_requirements_hold_no_test_tool():
    assert not TEST_TOOLS & set(pinned("requirements.txt"))
    assert set(pinned("requirements-dev.txt")) >= TEST_TOOLS
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()


def test_every_runtime_dependency_is_pinned_in_the_runtime_file():
    runtime = pinned("requirements.txt")
    missing = set()
    for package in runtime:
        for spec in metadata.requires(package) or []:
            requirement = Requirement(spec)
            needed = requirement.marker is None or requirement.marker.evaluate({"extra": ""})
            if needed and canonicalize_name(requirement.name) not in runtime:
                missing.add(f"{package} needs {requirement.name}")
    assert not missing


def test_the_installed_versions_are_the_pinned_ones():
    for package, version in {**pinned("requirements.txt"), **pinned("requirements-dev.txt")}.items():
        assert metadata.version(package) == version, package
