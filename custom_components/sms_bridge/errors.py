"""Turn library errors into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    CancelNotExactError,
    CapabilityNotSupportedError,
    ConnectionErrorKind,
    Gateway,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayInsufficientFundsError,
    GatewayRequestRefusedError,
    GatewayResponseError,
    SmsBridgeError,
)
from .const import DOMAIN


def validation_error(key: str, **placeholders: object) -> ServiceValidationError:
    """Return the translated error for the user's own mistake."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={name: str(value) for name, value in placeholders.items()},
    )


# One message per reason, each saying what to check: placeholders cannot be translated.
CONNECTION_ERROR_KEYS: dict[ConnectionErrorKind, str] = {
    ConnectionErrorKind.REFUSED: "cannot_connect_refused",
    ConnectionErrorKind.DNS: "cannot_connect_dns",
    ConnectionErrorKind.TLS: "cannot_connect_tls",
    ConnectionErrorKind.TIMEOUT: "cannot_connect_timeout",
    ConnectionErrorKind.UNREACHABLE: "cannot_connect_unreachable",
    ConnectionErrorKind.DROPPED: "cannot_connect_dropped",
}


def connection_error[ErrorT: HomeAssistantError](
    err: GatewayConnectionError, host: str, error_class: type[ErrorT]
) -> ErrorT:
    """Return the translated error saying why the gateway at ``host`` could not be reached."""
    return error_class(
        translation_domain=DOMAIN,
        translation_key=CONNECTION_ERROR_KEYS[err.kind],
        translation_placeholders={"host": host},
    )


def gateway_error(key: str, err: Exception) -> HomeAssistantError:
    """Return the translated error for a failure of the gateway."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )


def _phone_name(entry: ConfigEntry, phone_id: str) -> str:
    """Return the name of one of the entry's phones, or its id when the entry does not know it."""
    phones = entry.runtime_data.coordinator.data.phones
    return phones[phone_id].display_name if phone_id in phones else phone_id


@contextmanager
def translated_gateway_errors(
    hass: HomeAssistant, entry: ConfigEntry, gateway: Gateway
) -> Iterator[None]:
    """Raise ``gateway``'s failures as translated errors; a rejected key also starts reauth.

    A refusal of what the user asked for (an unknown contacts list, a number already in it) is
    the user's mistake: a ServiceValidationError quoting the gateway, not a failure.
    """
    try:
        yield
    except GatewayAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="invalid_auth") from err
    except CancelNotExactError as err:
        raise validation_error(
            "cancel_not_exact", phone=_phone_name(entry, err.phone_id), others=err.others
        ) from err
    except CapabilityNotSupportedError as err:
        # The provider has the capability but not this use of it (a contact it cannot remove).
        raise validation_error("operation_not_supported", error=err) from err
    except GatewayCertificateError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="certificate_verify_failed",
            translation_placeholders={"error": err.reason},
        ) from err
    except GatewayInsufficientFundsError as err:
        raise gateway_error("insufficient_funds", err) from err
    except GatewayRequestRefusedError as err:
        raise validation_error("request_refused", error=err) from err
    except GatewayConnectionError as err:
        raise connection_error(err, gateway.host, HomeAssistantError) from err
    except GatewayResponseError as err:
        raise gateway_error("invalid_response", err) from err
    except SmsBridgeError as err:
        raise gateway_error("gateway_error", err) from err
