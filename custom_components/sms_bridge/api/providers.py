"""The providers a user can pick, and how to build a client for each."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .gateway import Capability, Gateway
from .rbsoft import SmsGatewayClient, normalize_url

# The title of an entry when nothing better names it.
DEFAULT_TITLE = "SMS Bridge"


@dataclass(frozen=True, slots=True)
class Provider:
    """A selectable provider: its config fields and its client factory."""

    key: str
    name: str
    # Config keys the user fills in, in order: "url", "api_key", and "verify_ssl" for a server
    # that may use a self-signed certificate (the caller's session honours it).
    fields: tuple[str, ...]
    create: Callable[[aiohttp.ClientSession, Mapping[str, Any]], Gateway]
    manufacturer: str  # who makes the gateway software
    product: str  # the gateway software's name
    # What its client can do; the README's capability table is checked against it.
    capabilities: frozenset[Capability] = frozenset()
    # The entry's title, from the config the user entered.
    title: Callable[[Mapping[str, Any]], str] = lambda _config: DEFAULT_TITLE
    # The server's base URL as the client uses it, from what the user typed (for a "url" field).
    base_url: Callable[[str], str] = lambda url: url
    # Returns the config without what has expired in it, or None when nothing has.
    prune: Callable[[Mapping[str, Any]], dict[str, Any] | None] = lambda _config: None


def _host_label(url: str) -> str:
    """Return a short name for the server: its host's first label ("sms" for sms.example.com).

    An IP address or localhost says nothing about the account, so it gets the plain default,
    which does not repeat the provider's name that Home Assistant shows next to the entry.
    """
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        label = host.split(".", 1)[0]
        if label and label != "localhost":
            return label
    return DEFAULT_TITLE


# A replaced API key, kept while the gateway may still sign webhooks with it.
PREVIOUS_API_KEY = "previous_api_key"
PREVIOUS_API_KEY_EXPIRES = "previous_api_key_expires"  # ISO time


def _sms_gateway(session: aiohttp.ClientSession, config: Mapping[str, Any]) -> Gateway:
    previous = config.get(PREVIOUS_API_KEY)
    expires = config.get(PREVIOUS_API_KEY_EXPIRES)
    return SmsGatewayClient(
        session,
        config["url"],
        config["api_key"],
        previous_api_keys=(previous,) if previous and expires else (),
        previous_keys_expire=datetime.fromisoformat(expires) if expires else None,
    )


def _sms_gateway_prune(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """Forget the previous API key once its grace period is over."""
    expires = config.get(PREVIOUS_API_KEY_EXPIRES)
    if not expires or datetime.fromisoformat(expires) > datetime.now(UTC):
        return None
    pruned = dict(config)
    pruned.pop(PREVIOUS_API_KEY, None)
    pruned.pop(PREVIOUS_API_KEY_EXPIRES)
    return pruned


PROVIDERS: dict[str, Provider] = {
    provider.key: provider
    for provider in (
        Provider(
            "sms_gateway",
            "SMS Gateway (RBSoft)",
            ("url", "api_key", "verify_ssl"),
            _sms_gateway,
            manufacturer="RBSoft",
            product="SMS Gateway",
            prune=_sms_gateway_prune,
            capabilities=SmsGatewayClient.capabilities,
            title=lambda config: _host_label(config["url"]),
            base_url=normalize_url,
        ),
    )
}


def create_gateway(
    session: aiohttp.ClientSession,
    provider: str,
    config: Mapping[str, Any],
) -> Gateway:
    """Return a client for ``provider`` configured from ``config``."""
    return PROVIDERS[provider].create(session, config)
