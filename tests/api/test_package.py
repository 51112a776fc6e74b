"""Tests of the library as a package: independence from Home Assistant, providers, URLs."""

from __future__ import annotations

import ast
from pathlib import Path

import aiohttp
import pytest

from custom_components.sms_bridge import api
from custom_components.sms_bridge.api import PROVIDERS, Capability, create_gateway
from custom_components.sms_bridge.api.sms_gateway import SmsGatewayClient, normalize_url, sign

API_DIR = Path(api.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_library_does_not_import_home_assistant() -> None:
    """Nothing under api/ imports Home Assistant (or the integration around it)."""
    sources = sorted(API_DIR.glob("**/*.py"))
    assert len(sources) >= 7
    for path in sources:
        for module in _imported_modules(path):
            root = module.split(".")[0]
            assert root not in {"homeassistant", "custom_components"}, (path.name, module)


def test_relative_imports_stay_inside_the_library() -> None:
    """Relative imports never climb out of api/ into the integration."""
    for path in API_DIR.glob("**/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, (path.name, node.module)


def test_package_exports() -> None:
    """Every name in `__all__` exists."""
    assert all(hasattr(api, name) for name in api.__all__)


async def test_create_gateway_builds_the_rbsoft_client() -> None:
    """The provider table builds a client that honours the previous keys."""
    assert PROVIDERS["sms_gateway"].fields == ("url", "api_key", "verify_ssl")
    async with aiohttp.ClientSession() as session:
        gateway = create_gateway(
            session,
            "sms_gateway",
            {"url": "https://sms.example.com/", "api_key": "new-key"},
            ["old-key"],
        )
        assert isinstance(gateway, SmsGatewayClient)
        assert Capability.USSD in gateway.capabilities
        assert Capability.BATTERY not in gateway.capabilities
        value = "[]"
        form = [("messages", value)]
        assert (
            gateway.parse_webhook({"X-SG-Signature": sign("old-key", value)}, form).messages == ()
        )
        default = create_gateway(session, "sms_gateway", {"url": "http://x", "api_key": "k"})
        assert isinstance(default, SmsGatewayClient)
        with pytest.raises(KeyError):
            create_gateway(session, "nope", {"url": "http://x", "api_key": "k"})


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://sms.example.com", "https://sms.example.com"),
        ("  https://sms.example.com/  ", "https://sms.example.com"),
        ("HTTPS://SMS.Example.COM/Gateway/", "https://sms.example.com/Gateway"),
        ("https://sms.example.com/services/send.php", "https://sms.example.com"),
        ("https://sms.example.com/sms/services/", "https://sms.example.com/sms"),
        ("http://127.0.0.1:8080/sms?x=1#top", "http://127.0.0.1:8080/sms"),
    ],
)
def test_normalize_url(url: str, base: str) -> None:
    """A pasted script URL, a trailing slash, case and query are cleaned off the base URL."""
    assert normalize_url(url) == base


async def test_account_id_is_stable_and_secret_free() -> None:
    """The account id depends on server and key, and does not contain the key."""
    key = "super-secret-api-key"
    async with aiohttp.ClientSession() as session:
        first = SmsGatewayClient(session, "https://sms.example.com/", key).account_id
        same = SmsGatewayClient(session, "https://SMS.example.com/services/", key).account_id
        other = SmsGatewayClient(session, "https://sms.example.com", "another-key").account_id
    assert first == same
    assert first != other
    assert first.startswith("https://sms.example.com#")
    assert key not in first
