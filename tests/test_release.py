"""What HACS and its reviewers read agree: one version, one supported range."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
import re
import subprocess
import sys
import tomllib

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "custom_components/sms_bridge/manifest.json").read_text())


def test_one_version() -> None:
    """The manifest, the package and the newest changelog entry name the same release."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    changelog = (ROOT / "CHANGELOG.md").read_text()
    newest = re.search(r"^## (\d+\.\d+\.\d+)", changelog, re.MULTILINE)
    assert newest is not None
    assert MANIFEST["version"] == pyproject["project"]["version"] == newest.group(1)


def test_one_supported_range() -> None:
    """hacs.json's floor is the release the oldest test environment runs, as the README says."""
    floor = json.loads((ROOT / "hacs.json").read_text())["homeassistant"]
    major_minor = ".".join(floor.split(".")[:2])
    oldest = (ROOT / "requirements/test-oldest.txt").read_text()
    assert f"Home Assistant {major_minor}." in oldest
    assert f"Home Assistant {major_minor} or newer" in (ROOT / "README.md").read_text()


def test_license_matches_the_package() -> None:
    """The LICENSE file is the licence the package declares."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_environments_have_what_the_manifest_requires() -> None:
    """Bootstrap reads the manifest's requirements, and this environment has each as pinned.

    Home Assistant installs them for users from the manifest; the test environments get them
    from the same list, never from a second pin that could drift.
    """
    read = subprocess.run(
        ["bash", "-c", 'source scripts/lib.sh && integration_requirements "$0"', sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert read == MANIFEST["requirements"]
    assert read, "the integration requires phonenumbers"
    for pin in read:
        name, version = pin.split("==")
        assert importlib.metadata.version(name) == version, pin
    pinned_elsewhere = "\n".join(
        path.read_text() for path in (ROOT / "requirements").glob("*.txt")
    ).lower()
    assert not any(f"{pin.split('==')[0].lower()}==" in pinned_elsewhere for pin in read)
