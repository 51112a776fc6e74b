"""Diagnostics: configuration, capabilities and the latest snapshot, without secrets."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .api import Phone, Sim
from .const import (
    CONF_ALLOWED_RECIPIENTS,
    CONF_DEFAULT_RECIPIENTS,
    CONF_PROVIDER,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
    DEFAULT_VERIFY_SSL,
)
from .data import SmsBridgeConfigEntry
from .providers import PROVIDERS, FieldKind
from .webhook_url import async_webhook_url

_PRIVATE_KINDS = frozenset({FieldKind.URL, FieldKind.EMAIL})


def _to_redact(provider: str) -> set[str]:
    """Return the keys to hide: the provider's secrets, the webhook id, URLs and e-mail addresses.

    A server URL or an account's e-mail address is private (it names the user's server or the
    user) and not needed to debug.
    """
    descriptor = PROVIDERS[provider]
    private = {field.key for field in descriptor.fields if field.kind in _PRIVATE_KINDS}
    return {CONF_WEBHOOK_ID, *descriptor.secrets, *private}


def _title(entry: SmsBridgeConfigEntry, to_redact: set[str]) -> str:
    """Return the entry's title without the redacted values it repeats (an e-mail address)."""
    title = entry.title
    for key in to_redact:
        if isinstance(value := entry.data.get(key), str) and value.strip():
            title = title.replace(value.strip(), REDACTED)
    return title


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmsBridgeConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    to_redact = _to_redact(entry.data[CONF_PROVIDER])
    options = async_redact_data(entry.options, to_redact)
    for key in (CONF_DEFAULT_RECIPIENTS, CONF_ALLOWED_RECIPIENTS):
        if recipients := options.get(key):
            options[key] = [REDACTED] * len(recipients)
    return {
        "entry": {
            "title": _title(entry, to_redact),
            "data": async_redact_data(entry.data, to_redact),
            "options": options,
        },
        # The URL is redacted; whether it is encrypted and verified still helps to debug.
        "connection": {
            "https": entry.runtime_data.gateway.uses_https,
            "verify_ssl": entry.data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL),
        },
        "webhook_url": _redact_webhook_url(
            await async_webhook_url(hass, entry), _secret_values(entry, to_redact)
        ),
        "capabilities": sorted(
            capability.value for capability in entry.runtime_data.gateway.capabilities
        ),
        "last_update_success": coordinator.last_update_success,
        "account": asdict(account) if (account := coordinator.data.account) else None,
        "phones": [_phone(phone) for phone in coordinator.data.phones.values()],
    }


def _secret_values(entry: SmsBridgeConfigEntry, to_redact: set[str]) -> set[str]:
    """Return the entry's secret values, which the webhook URL's query may carry."""
    return {str(value) for key, value in entry.data.items() if key in to_redact and value}


def _redact_webhook_url(url: str, secrets: set[str]) -> str:
    """Hide the last path segment (the webhook id, or a cloudhook's token) and query secrets."""
    address, mark, query = url.partition("?")
    base, _, last = address.rpartition("/")
    if base and last:
        address = f"{base}/{REDACTED}"
    if not mark:
        return address
    pairs = [pair.partition("=") for pair in query.split("&")]
    return f"{address}?" + "&".join(
        f"{name}{equals}{REDACTED if value in secrets else value}" for name, equals, value in pairs
    )


def _phone(phone: Phone) -> dict[str, Any]:
    return {
        "id": phone.id,
        "name": phone.name,
        "model": phone.model,
        "android_version": phone.android_version,
        "app_version": phone.app_version,
        "last_seen": phone.last_seen.isoformat() if phone.last_seen else None,
        "battery": phone.battery,
        "charging": phone.charging,
        "online": phone.online,
        "subscription": phone.subscription,
        "sims": [_sim(sim) for sim in phone.sims],
    }


def _sim(sim: Sim) -> dict[str, Any]:
    """Return a SIM with its detail (phone number, SIM name or carrier) redacted."""
    label = sim.label.replace(sim.detail, REDACTED) if sim.detail else sim.label
    return {"slot": sim.slot, "label": label}
