"""Checking what a user typed to connect to a provider: normalised, then tried on the gateway.

The config flow's setup, re-authentication and reconfiguration (and through them the repair of
a changed key) share this one check, so that credentials are always tested and stored alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    Capability,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayResponseError,
)
from .const import CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL, LOGGER
from .providers import FieldKind, Provider, create_gateway


class ConnectionCheckError(Exception):
    """The check failed; ``errors`` are the form's (a field's key, or "base": the error key)."""

    def __init__(self, errors: dict[str, str]) -> None:
        """Initialize with the form's errors."""
        super().__init__(errors)
        self.errors = errors


async def async_check_connection(
    hass: HomeAssistant, provider: Provider, data: dict[str, Any]
) -> str:
    """Normalise ``data`` in place and try it on the gateway; return the entry's unique id.

    Raises ConnectionCheckError with the form's errors. Secrets the provider generates (a
    callback secret) are made here when ``data`` has none yet.
    """
    if error := provider.check(data):
        raise ConnectionCheckError({"base": error})
    https_assumed = _normalize_servers(provider, data)
    for key, generate in provider.generated_secrets.items():
        if not data.get(key):
            data[key] = generate()
    session = async_get_clientsession(
        hass, verify_ssl=data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL)
    )
    # Without what was stored from before (a token): the test proves the typed credentials.
    tested = {key: value for key, value in data.items() if key not in provider.stored_secrets}
    gateway = create_gateway(session, provider.key, tested)
    try:
        if Capability.PHONES in gateway.capabilities:
            await gateway.phones()
        if Capability.CREDITS in gateway.capabilities:
            await gateway.account()
        if provider.login_data is not None:
            data.update(await provider.login_data(gateway))
    except GatewayAuthenticationError:
        error = "invalid_auth"
    except GatewayResponseError:
        error = "invalid_response"
    except GatewayCertificateError:
        error = "certificate_verify_failed"
    except (GatewayConnectionError, GatewayApiError):
        # https:// was only assumed: the server may well speak plain HTTP, so say so. A
        # certificate error stays as it is: that server does speak HTTPS.
        error = "cannot_connect_https" if https_assumed else "cannot_connect"
    except Exception:
        LOGGER.exception("Unexpected error while testing the gateway")
        error = "unknown"
    else:
        return provider.unique_id(gateway, data)
    raise ConnectionCheckError({"base": error})


def _normalize_servers(provider: Provider, data: dict[str, Any]) -> bool:
    """Normalise the server URLs and typed hosts of ``data``; return True if https was assumed.

    Raises ConnectionCheckError naming the field of a value that is no server.
    """
    https_assumed = False
    for key in url_fields(provider, data):
        https_assumed |= "://" not in data[key]
        if (url := normalize_url(provider, data[key])) is None:
            raise ConnectionCheckError({key: "invalid_url"})
        data[key] = url
    for key in _typed_hosts(provider, data):
        data[key] = data[key].strip()
        https_assumed |= "://" not in data[key]
        if normalize_url(provider, data[key]) is None:
            raise ConnectionCheckError({key: "invalid_url"})
    return https_assumed


def normalize_url(provider: Provider, url: str) -> str | None:
    """Return the server's base URL, or None when it is not a plain HTTP(S) URL.

    A bare host ("sms.example.com") gets https://; a plain-HTTP server must be typed
    with its scheme, so that credentials are never sent in clear text by accident.
    Credentials in the URL are refused: the URL may end up in the unique id of the entry.
    """
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    url = provider.base_url(url)
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number, or above 65535
        return None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == 0
        or "@" in parts.netloc
    ):
        return None
    return url


def url_fields(provider: Provider, data: Mapping[str, Any]) -> list[str]:
    """Return the keys of the provider's URL fields filled in ``data``."""
    urls = [field.key for field in provider.fields if field.kind is FieldKind.URL]
    return [key for key in urls if data.get(key)]


def _typed_hosts(provider: Provider, data: Mapping[str, Any]) -> list[str]:
    """Return the keys of select fields holding a typed value instead of one of their options.

    Such a value names a server (a host of the service, a white label): it must be one.
    """
    return [
        field.key
        for field in provider.fields
        if field.custom_value and data.get(field.key) and data[field.key] not in field.options
    ]
