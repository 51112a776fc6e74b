"""Tests of the library as a package: independence from Home Assistant, providers, URLs."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from custom_components.sms_bridge import api
from custom_components.sms_bridge.api import (
    CapabilityNotSupportedError,
    Gateway,
    Message,
    MessageQuery,
    MessageStatus,
    SendRequest,
    TrackedMessage,
    UssdQuery,
    WebhookRequest,
)
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient, normalize_url

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


async def test_a_provider_overrides_only_what_it_offers() -> None:
    """The base gateway refuses what a provider does not offer, and assumes no id order."""

    class Minimal(Gateway):
        capabilities = frozenset()

    gateway = Minimal()
    for call in (
        gateway.account(),
        gateway.send_to_list(1, SendRequest(("+1",), "x")),
        gateway.messages(MessageQuery()),
        gateway.resend(MessageQuery(message_id="1")),
        gateway.subscribe_contact(1, "+1"),
        gateway.unsubscribe_contact(1, "+1"),
        gateway.send_ussd("1", "*1#"),
        gateway.ussd_requests(UssdQuery()),
        gateway.poll_inbound(datetime.now(UTC)),
    ):
        with pytest.raises(CapabilityNotSupportedError):
            await call
    with pytest.raises(CapabilityNotSupportedError):
        gateway.handle_webhook(WebhookRequest("POST", {}, {}, b""))
    assert await gateway.phones() == []
    message = Message(id="b", number="+1", text="{a|b}", status=MessageStatus.SENT)
    assert gateway.sequence(message) is None
    assert gateway.may_have_sent("{a|b}", message)
    assert not gateway.may_have_sent("a", message)
    assert gateway.status_queries([TrackedMessage("1", "g"), TrackedMessage("2")]) == [
        MessageQuery(message_id="1"),
        MessageQuery(message_id="2"),
    ]


async def test_rbsoft_rules_live_in_its_client() -> None:
    """Ids in order, spintax and reading back by group are the SMS Gateway's own rules."""
    async with aiohttp.ClientSession() as session:
        client = SmsGatewayClient(session, "http://x", "k")
        message = Message(id="12", number="+1", text="Hi b", status=MessageStatus.SENT)
        assert client.sequence(message) == 12
        assert client.may_have_sent("Hi {a|b}", message)
        assert not client.may_have_sent("Hi a", message)
        queries = client.status_queries(
            [
                TrackedMessage("1", "g2"),
                TrackedMessage("2", "g1"),
                TrackedMessage("3", "g2"),
                TrackedMessage("4"),
            ]
        )
        assert queries == [
            MessageQuery(group_id="g1"),
            MessageQuery(group_id="g2"),
            MessageQuery(message_id="4"),
        ]
