"""The providers a user can pick, and how to build a client for each."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from .gateway import Gateway
from .sms_gateway import SmsGatewayClient


@dataclass(frozen=True, slots=True)
class Provider:
    """A selectable provider: its config fields and its client factory."""

    key: str
    name: str
    # Config keys the user fills in, in order: "url", "api_key", and "verify_ssl" for a server
    # that may use a self-signed certificate (the caller's session honours it).
    fields: tuple[str, ...]
    create: Callable[[aiohttp.ClientSession, Mapping[str, Any], Sequence[str]], Gateway]
    manufacturer: str  # who makes the gateway software
    product: str  # the gateway software's name


def _sms_gateway(
    session: aiohttp.ClientSession, config: Mapping[str, Any], previous_keys: Sequence[str]
) -> Gateway:
    return SmsGatewayClient(
        session, config["url"], config["api_key"], previous_api_keys=previous_keys
    )


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
        ),
    )
}


def create_gateway(
    session: aiohttp.ClientSession,
    provider: str,
    config: Mapping[str, Any],
    previous_keys: Sequence[str] = (),
) -> Gateway:
    """Return a client for ``provider`` configured from ``config``."""
    return PROVIDERS[provider].create(session, config, previous_keys)
