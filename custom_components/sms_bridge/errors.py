"""Turn library errors into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    CapabilityNotSupportedError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayRequestRefusedError,
    GatewayResponseError,
    SmsBridgeError,
)
from .const import DOMAIN
from .data import SmsBridgeConfigEntry


def validation_error(key: str, **placeholders: object) -> ServiceValidationError:
    """Return the translated error for the user's own mistake."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={name: str(value) for name, value in placeholders.items()},
    )


def gateway_error(key: str, err: Exception) -> HomeAssistantError:
    """Return the translated error for a failure of the gateway."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )


@contextmanager
def translated_gateway_errors(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> Iterator[None]:
    """Raise gateway failures as translated errors; a rejected key also starts reauth.

    A refusal of what the user asked for (an unknown contacts list, a number already in it) is
    the user's mistake: a ServiceValidationError quoting the gateway, not a failure.
    """
    try:
        yield
    except GatewayAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="invalid_auth") from err
    except CapabilityNotSupportedError as err:
        raise validation_error("not_supported", feature=str(err)) from err
    except GatewayCertificateError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="certificate_verify_failed",
            translation_placeholders={"error": err.reason},
        ) from err
    except GatewayRequestRefusedError as err:
        raise validation_error("request_refused", error=err) from err
    except GatewayConnectionError as err:
        raise gateway_error("cannot_connect", err) from err
    except GatewayResponseError as err:
        raise gateway_error("invalid_response", err) from err
    except SmsBridgeError as err:
        raise gateway_error("gateway_error", err) from err
