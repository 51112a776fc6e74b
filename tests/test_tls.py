"""A gateway served over HTTPS with a self-signed certificate: the Verify SSL certificate field.

Every test talks real TLS to the simulator, whose certificate is made for the test and signed
by nobody Home Assistant trusts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PROVIDER,
    CONF_URL,
    CONF_VERIFY_SSL,
    DOMAIN,
)
from tests.conftest import API_KEY, make_entry
from tests.helpers import poll
from tests.simulator import GatewaySimulator
from tests.simulator.tls import client_context, server_context, write_self_signed_certificate

NEW_KEY = "rotated-api-key-9876543210"
NOT_VERIFIED = "The gateway's certificate could not be verified"


def tls_entry(simulator: GatewaySimulator, **data: Any) -> MockConfigEntry:
    """Return an entry for the TLS simulator; without ``verify_ssl`` like entries made before it."""
    return make_entry(simulator, **data)


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up, whatever the outcome."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def credits_state(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the state of the entry's credits sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_credits"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def schema_key(result: FlowResult, name: str) -> Any:
    """Return the schema key of a form field (its default and suggested value)."""
    return next(key for key in result["data_schema"].schema if key == name)


@pytest.fixture
def trust_certificate(certificate: tuple[Path, Path]) -> Iterator[None]:
    """Make Home Assistant's verifying sessions trust the simulator's certificate.

    Stands for a server whose certificate a public authority signed, which no test can get.
    """
    trusted = client_context(certificate[0])
    with patch("homeassistant.util.ssl.client_context", lambda *_args, **_kwargs: trusted):
        yield


# -- config flow --------------------------------------------------------------------------


async def test_user_flow_refuses_the_certificate_then_accepts_it_unverified(
    hass: HomeAssistant, tls_simulator: GatewaySimulator
) -> None:
    """Verification is on by default and fails with its own error; turned off, all works."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "sms_gateway"}
    )
    assert result["step_id"] == "sms_gateway"
    assert schema_key(result, CONF_VERIFY_SSL).default() is True

    # Left at its default: the self-signed certificate is refused before any request is sent.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: tls_simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "certificate_verify_failed"}
    assert tls_simulator.requests == []
    assert schema_key(result, CONF_VERIFY_SSL).description == {"suggested_value": True}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: tls_simulator.url, CONF_API_KEY: API_KEY, CONF_VERIFY_SSL: False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_VERIFY_SSL] is False
    assert entry.data[CONF_URL] == tls_simulator.url
    # The created entry is set up for real, over the same unverified TLS.
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert credits_state(hass, entry) == "100"
    tls_simulator.credits = 42
    await poll(hass)
    assert credits_state(hass, entry) == "42"


async def test_bare_host_of_an_https_server_reports_the_certificate(
    hass: HomeAssistant, tls_simulator: GatewaySimulator
) -> None:
    """Without a scheme, https:// is tried: a certificate error says so, not "try http://"."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "sms_gateway"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: tls_simulator.url.removeprefix("https://"), CONF_API_KEY: API_KEY},
    )
    assert result["errors"] == {"base": "certificate_verify_failed"}
    assert tls_simulator.requests == []


async def test_reconfigure_turns_verification_off(
    hass: HomeAssistant, tls_simulator: GatewaySimulator
) -> None:
    """An entry made before the field verifies; reconfigure shows that and can turn it off."""
    entry = tls_entry(tls_simulator)
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY

    result = await entry.start_reconfigure_flow(hass)
    assert schema_key(result, CONF_VERIFY_SSL).default() is True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: tls_simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["errors"] == {"base": "certificate_verify_failed"}
    assert tls_simulator.requests == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: tls_simulator.url, CONF_API_KEY: API_KEY, CONF_VERIFY_SSL: False},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_VERIFY_SSL] is False
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert credits_state(hass, entry) == "100"

    # The form shows the stored choice next time.
    result = await entry.start_reconfigure_flow(hass)
    assert schema_key(result, CONF_VERIFY_SSL).description == {"suggested_value": False}


async def test_reconfigure_turns_verification_back_on(
    hass: HomeAssistant, tls_simulator: GatewaySimulator
) -> None:
    """Turning verification on again is tested before it is saved."""
    entry = tls_entry(tls_simulator, **{CONF_VERIFY_SSL: False})
    await set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: tls_simulator.url, CONF_API_KEY: API_KEY, CONF_VERIFY_SSL: True},
    )
    assert result["errors"] == {"base": "certificate_verify_failed"}
    assert entry.data[CONF_VERIFY_SSL] is False


async def test_reauth_uses_the_entry_setting(
    hass: HomeAssistant, tls_simulator: GatewaySimulator
) -> None:
    """Re-authentication tests the new key the way the entry connects: here, unverified."""
    entry = tls_entry(tls_simulator, **{CONF_VERIFY_SSL: False})
    await set_up(hass, entry)
    tls_simulator.api_key = NEW_KEY
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == NEW_KEY
    assert entry.data[CONF_VERIFY_SSL] is False
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


# -- setup and use ------------------------------------------------------------------------


async def test_entry_without_the_field_verifies(
    hass: HomeAssistant, tls_simulator: GatewaySimulator
) -> None:
    """An existing entry keeps verifying; setup retries and says that verification failed."""
    entry = tls_entry(tls_simulator)
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert entry.reason.startswith(NOT_VERIFIED)
    assert "self-signed" in entry.reason.replace("self signed", "self-signed")
    assert tls_simulator.requests == []


async def test_send_over_tls_without_verification(
    hass: HomeAssistant, tls_simulator: GatewaySimulator
) -> None:
    """With verification off, an SMS reaches the gateway over HTTPS."""
    entry = tls_entry(tls_simulator, **{CONF_VERIFY_SSL: False})
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.LOADED

    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+15550100"], "message": "Sent over TLS", "phone": "1"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["queued"] is None
    [row] = tls_simulator.messages.values()
    assert (row["number"], row["message"]) == ("+15550100", "Sent over TLS")


@pytest.mark.usefixtures("trust_certificate")
async def test_certificate_changing_after_setup(
    hass: HomeAssistant, tls_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    """A trusted certificate works with verification on; an untrusted new one is reported."""
    entry = tls_entry(tls_simulator, **{CONF_VERIFY_SSL: True})
    await set_up(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert credits_state(hass, entry) == "100"

    # The server gets a new self-signed certificate on the same address.
    port = int(tls_simulator.url.rsplit(":", 1)[1])
    await tls_simulator.stop()
    (tmp_path / "renewed").mkdir()
    renewed = write_self_signed_certificate(tmp_path / "renewed")
    await tls_simulator.start(port=port, ssl_context=server_context(*renewed))
    tls_simulator.requests.clear()

    await poll(hass)
    assert credits_state(hass, entry) == STATE_UNAVAILABLE
    assert entry.runtime_data.coordinator.last_exception is not None
    assert str(entry.runtime_data.coordinator.last_exception).startswith(NOT_VERIFIED)

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "get_messages", {"message_id": 1}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "certificate_verify_failed"
    assert str(err.value).startswith(NOT_VERIFIED)
    assert "reconfiguring" in str(err.value)
    assert tls_simulator.requests == []


async def test_diagnostics_show_the_connection(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, tls_simulator: GatewaySimulator
) -> None:
    """Diagnostics tell HTTPS and an unverified certificate apart, with the URL still hidden."""
    entry = tls_entry(tls_simulator, **{CONF_VERIFY_SSL: False})
    await set_up(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["connection"] == {"https": True, "verify_ssl": False}
    assert diagnostics["entry"]["data"][CONF_VERIFY_SSL] is False
    assert tls_simulator.url not in str(diagnostics)
