"""Run the library's tests without Home Assistant (``pytest -p tests.api.standalone``).

The library lives inside the integration's package, whose ``__init__`` imports Home Assistant.
This plugin makes ``custom_components.sms_bridge`` a bare package (its ``__init__`` not run), so
``custom_components.sms_bridge.api`` imports as any library would; an import of Home Assistant
anywhere in it then fails the run. It refuses to run where Home Assistant is installed, which
would prove nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
import types

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_bare() -> None:
    """Refuse to run beside Home Assistant, and load the integration's package bare.

    At import, before any conftest imports the library.
    """
    if importlib.util.find_spec("homeassistant") is not None:
        raise pytest.UsageError(
            "Home Assistant is installed here: the library's run proves nothing"
        )
    for name, path in (
        ("custom_components", ROOT / "custom_components"),
        ("custom_components.sms_bridge", ROOT / "custom_components" / "sms_bridge"),
    ):
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        sys.modules[name] = package


_load_bare()
