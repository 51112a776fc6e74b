"""Tests of the config flow: setup, reauth, reconfigure and options, against the simulator."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
import hashlib
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData, section
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.api import (
    GatewayApiError,
    GatewayConnectionError,
    GatewayResponseError,
)
from custom_components.sms_bridge.compat import vol
from custom_components.sms_bridge.const import (
    CONF_ALLOW_HTTP_ATTACHMENTS,
    CONF_ALLOWED_RECIPIENTS,
    CONF_API_KEY,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_DEFAULT_SIM,
    CONF_INBOX,
    CONF_INBOX_ALL_USERS,
    CONF_INBOX_MAX_MESSAGES,
    CONF_INBOX_RETENTION_DAYS,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
    CONF_OUTBOX_TTL,
    CONF_PREVIOUS_API_KEY,
    CONF_PREVIOUS_API_KEY_EXPIRES,
    CONF_PROVIDER,
    CONF_SEND_SAFETY,
    CONF_UPDATE_INTERVAL,
    CONF_URL,
    CONF_VERIFY_SSL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    KEY_ROTATION_GRACE,
)
from custom_components.sms_bridge.providers import PROVIDERS
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.helpers import logged_tracebacks, poll
from tests.simulator import GatewaySimulator

NEW_KEY = "rotated-api-key-9876543210"
PHONES_PATH = "/services/get-devices.php"
CREDITS_PATH = "/services/send.php"
PHONES_CALL = "custom_components.sms_bridge.api.rbsoft.SmsGatewayClient.phones"


def account_id(url: str, api_key: str) -> str:
    """The unique id of an entry: server URL and a digest of the key."""
    return f"{url}#{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"


@pytest.fixture
async def mock_setup_entry(hass: HomeAssistant) -> AsyncGenerator[AsyncMock]:
    """Keep created entries from being set up: these tests are about the flow."""
    with (
        patch("custom_components.sms_bridge.async_setup_entry", return_value=True) as mock,
        patch("custom_components.sms_bridge.async_unload_entry", return_value=True),
    ):
        yield mock
        # Unload while patched: the real unload expects the runtime data of a real setup.
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture
async def closed_url() -> str:
    """Return the URL of a port nothing listens on any more."""
    sim = GatewaySimulator()
    await sim.start()
    url = sim.url
    await sim.stop()
    return url


def schema_field(result: FlowResult, name: str) -> Any:
    """Return the schema key object of a form field (to read its suggested value)."""
    return next(key for key in result["data_schema"].schema if key == name)


def select_options(result: FlowResult, name: str) -> list[Any]:
    """Return the options of a select field of a form."""
    return result["data_schema"].schema[schema_field(result, name)].config["options"]


async def start_credentials(hass: HomeAssistant) -> FlowResult:
    """Run the provider step and return the credentials form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "sms_gateway"}
    )


def other_entry(hass: HomeAssistant, unique_id: str) -> MockConfigEntry:
    """Add a second entry owning ``unique_id``."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Other",
        unique_id=unique_id,
        data={CONF_PROVIDER: "sms_gateway", CONF_URL: "http://other", CONF_API_KEY: "other"},
    )
    entry.add_to_hass(hass)
    return entry


# -- user flow -----------------------------------------------------------------------------


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The provider is chosen from a select, then the connection is tested and stored."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert select_options(result, CONF_PROVIDER) == [
        {"value": provider.key, "label": provider.name} for provider in PROVIDERS.values()
    ]
    assert select_options(result, CONF_PROVIDER)[0] == {
        "value": "sms_gateway",
        "label": "SMS Gateway (RBSoft)",
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "sms_gateway"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sms_gateway"
    assert simulator.requests == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # An IP address names nothing: the short default, not the provider's name and the address.
    assert result["title"] == "SMS Bridge"
    entry = result["result"]
    assert entry.unique_id == account_id(simulator.url, API_KEY)
    assert entry.options == {}
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) >= 32
    assert entry.data == {
        CONF_PROVIDER: "sms_gateway",
        CONF_URL: simulator.url,
        CONF_API_KEY: API_KEY,
        CONF_VERIFY_SSL: True,
        CONF_WEBHOOK_ID: webhook_id,
    }
    # Test before configure: the phones, and the credits since this provider has them.
    assert [request.path for request in simulator.requests] == [PHONES_PATH, CREDITS_PATH]
    assert all(request.params["key"] == API_KEY for request in simulator.requests)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_the_name_typed_is_the_title(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """The name field titles the entry (and so its devices and entities); it is not stored."""
    result = await start_credentials(hass)
    assert schema_field(result, CONF_NAME).description is None  # empty: the default applies
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY, CONF_NAME: " Office "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Office"
    assert CONF_NAME not in result["result"].data


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://sms.example.com", "sms"),
        ("https://gateway.home.lan:8443/sms", "gateway"),
        ("http://smsbox", "smsbox"),
        ("http://localhost:8080", "SMS Bridge"),
        ("http://192.168.1.5:8080", "SMS Bridge"),
        ("http://[fd00::5]:8080", "SMS Bridge"),
    ],
)
def test_default_title(url: str, title: str) -> None:
    """Without a name, the host's first label names the entry; an address or localhost does not."""
    assert PROVIDERS["sms_gateway"].title({CONF_URL: url}) == title


@pytest.mark.usefixtures("mock_setup_entry")
async def test_each_entry_gets_its_own_webhook_id(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Two accounts on one server are two entries, each with its own webhook."""
    ids = []
    titles = []
    for key in (API_KEY, NEW_KEY):
        simulator.api_key = key
        result = await start_credentials(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: key}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        ids.append(result["result"].data[CONF_WEBHOOK_ID])
        titles.append(result["title"])
    assert ids[0] != ids[1]
    # The default title of the second one says where it is, rather than repeating the first's.
    assert titles == ["SMS Bridge", "SMS Bridge (127.0.0.1)"]
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("typed", "path"),
    [
        ("  {url}/  ", ""),
        ("{url}/services/send.php", ""),
        ("{url}/services/", ""),
        ("{url}/sms/services/get-devices.php?key=abc", "/sms"),
        ("HTTP://127.0.0.1:{port}/sms/", "/sms"),
    ],
)
async def test_url_normalisation(
    hass: HomeAssistant, simulator: GatewaySimulator, typed: str, path: str
) -> None:
    """Spaces, a trailing slash, a pasted script path or query and upper case are dropped."""
    port = simulator.url.rsplit(":", 1)[1]
    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: typed.format(url=simulator.url, port=port), CONF_API_KEY: API_KEY},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_URL] == simulator.url + path
    assert simulator.requests[0].path == f"{path}/services/get-devices.php"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_bare_host_means_https(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A URL without a scheme is tried over HTTPS, so a plain-HTTP server needs http://."""
    host = simulator.url.removeprefix("http://")
    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: host, CONF_API_KEY: API_KEY}
    )
    # The TLS handshake with the plain-HTTP simulator fails: no API call reached it, and
    # the error says to try http:// rather than only "cannot connect".
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect_https"}
    assert simulator.requests == []
    # The form keeps what was typed, the API key too, so only the scheme has to be added.
    assert schema_field(result, CONF_URL).description == {"suggested_value": host}
    assert schema_field(result, CONF_API_KEY).description == {"suggested_value": API_KEY}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://{host}", CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1",
        "https://",
        "   ",
        "http:///services/",
        "http://user:pw@127.0.0.1",
        "http://127.0.0.1:port",
        "127.0.0.1:99999",
        "http://127.0.0.1:0",
    ],
)
async def test_invalid_url(hass: HomeAssistant, simulator: GatewaySimulator, url: str) -> None:
    """Something that is not an HTTP(S) address is refused before any request."""
    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert simulator.requests == []


@pytest.mark.usefixtures("mock_setup_entry")
async def test_connection_refused(
    hass: HomeAssistant, simulator: GatewaySimulator, closed_url: str
) -> None:
    """A refused connection is `cannot_connect`, and the flow can be completed after."""
    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: closed_url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    # The scheme was typed: no hint about http://.
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("fault", ["wrong_key", "reject_key"])
async def test_invalid_auth(hass: HomeAssistant, simulator: GatewaySimulator, fault: str) -> None:
    """The gateway's 401 envelope (wrong key, or key disabled) is `invalid_auth`."""
    key = API_KEY
    if fault == "wrong_key":
        key = "not-the-key"
    else:
        simulator.faults.reject_key = True
    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: key}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    # What was typed stays filled in, the key included, to be corrected rather than retyped.
    assert schema_field(result, CONF_API_KEY).description == {"suggested_value": key}
    assert schema_field(result, CONF_URL).description == {"suggested_value": simulator.url}

    simulator.faults.reset()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("fault", ["html_error", "http_500"])
async def test_invalid_response(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """An HTML page (PHP warning + login page, or a 500 page) is `invalid_response`."""
    setattr(simulator.faults, fault, True)
    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_response"}
    assert not logged_tracebacks(caplog)

    simulator.faults.reset()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # A timeout: the client's own 30 s bound cannot be shortened from the flow.
        (GatewayConnectionError("No complete answer", request_sent=True), "cannot_connect"),
        (GatewayApiError("No active device found", code=500), "cannot_connect"),
        (GatewayResponseError("not an API envelope"), "invalid_response"),
        (ValueError("boom"), "unknown"),
    ],
)
async def test_injected_errors(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    expected: str,
) -> None:
    """Errors the simulator cannot produce map to their form error; unknown ones are logged."""
    result = await start_credentials(hass)
    with patch(PHONES_CALL, side_effect=error):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": expected}
    assert ("Unexpected error while testing the gateway" in caplog.text) is (expected == "unknown")
    assert API_KEY not in caplog.text


@pytest.mark.usefixtures("mock_setup_entry")
async def test_credits_failure_is_reported(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """The credits call is part of the test: its failure is a form error too."""
    result = await start_credentials(hass)
    with patch(
        "custom_components.sms_bridge.api.rbsoft.SmsGatewayClient.account",
        side_effect=GatewayApiError("Invalid request format.", code=400),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
        )
    assert result["errors"] == {"base": "cannot_connect"}
    assert [request.path for request in simulator.requests] == [PHONES_PATH]


@pytest.mark.usefixtures("mock_setup_entry")
async def test_duplicate_account(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The same server and key, however typed, cannot be added twice."""
    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY

    result = await start_credentials(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f" {simulator.url}/services/ ", CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# -- reauth --------------------------------------------------------------------------------


async def test_reauth_after_key_change(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A rejected key starts reauth; a wrong key is refused; the new key loads the entry."""
    simulator.api_key = NEW_KEY
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "sms_gateway_reauth"
    assert result["description_placeholders"] == {"name": "SMS Gateway"}

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_API_KEY: "wrong"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert config_entry.data[CONF_API_KEY] == API_KEY

    before = dt_util.utcnow()
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_API_KEY: NEW_KEY})
    after = dt_util.utcnow()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.unique_id == account_id(simulator.url, NEW_KEY)
    data = dict(config_entry.data)
    expires = datetime.fromisoformat(data.pop(CONF_PREVIOUS_API_KEY_EXPIRES))
    assert expires.utcoffset() == timedelta(0)
    assert before + KEY_ROTATION_GRACE <= expires <= after + KEY_ROTATION_GRACE
    assert data == {
        CONF_PROVIDER: "sms_gateway",
        CONF_URL: simulator.url,
        CONF_API_KEY: NEW_KEY,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        CONF_PREVIOUS_API_KEY: API_KEY,
    }


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_same_key(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """Confirming the unchanged key (the gateway accepts it again) stores no previous key."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert CONF_PREVIOUS_API_KEY not in config_entry.data
    # The fixture's placeholder unique id is replaced by the real one.
    assert config_entry.unique_id == account_id(simulator.url, API_KEY)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_key_of_another_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A key that makes this entry the account of another entry is refused."""
    config_entry.add_to_hass(hass)
    other = other_entry(hass, account_id(simulator.url, NEW_KEY))
    simulator.api_key = NEW_KEY
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert config_entry.data[CONF_API_KEY] == API_KEY
    assert other.unique_id == account_id(simulator.url, NEW_KEY)


# -- reconfigure ---------------------------------------------------------------------------


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """URL and key change together; the URL is normalised and the old key kept a while."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sms_gateway_reconfigure"
    # The form says which entry it changes, and shows an example of the URL.
    assert result["description_placeholders"] == {
        "name": config_entry.title,
        "url_example": "https://sms.example.com",
    }
    # The current URL is filled in, the key is not sent to the browser.
    assert schema_field(result, CONF_URL).description == {"suggested_value": simulator.url}
    assert schema_field(result, CONF_API_KEY).description is None

    simulator.api_key = NEW_KEY
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{simulator.url}/services/send.php", CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert schema_field(result, CONF_URL).description == {
        "suggested_value": f"{simulator.url}/services/send.php"
    }
    # The key just typed stays filled in (the stored one is still never sent).
    assert schema_field(result, CONF_API_KEY).description == {"suggested_value": API_KEY}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{simulator.url}/services/send.php", CONF_API_KEY: NEW_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.unique_id == account_id(simulator.url, NEW_KEY)
    assert config_entry.data[CONF_URL] == simulator.url
    assert config_entry.data[CONF_API_KEY] == NEW_KEY
    assert config_entry.data[CONF_PREVIOUS_API_KEY] == API_KEY
    assert CONF_PREVIOUS_API_KEY_EXPIRES in config_entry.data
    assert config_entry.data[CONF_WEBHOOK_ID] == WEBHOOK_ID


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_url_only(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    closed_url: str,
) -> None:
    """Moving the installation keeps the key and its grace period as they are."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_URL: closed_url}
    )
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: closed_url, CONF_API_KEY: API_KEY}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{simulator.url}/", CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_URL] == simulator.url
    assert CONF_PREVIOUS_API_KEY not in config_entry.data
    assert config_entry.unique_id == account_id(simulator.url, API_KEY)


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("key_field", [{}, {CONF_API_KEY: ""}])
async def test_reconfigure_keeps_the_key_left_empty(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    closed_url: str,
    key_field: dict[str, str],
) -> None:
    """The key is optional in reconfigure: left empty (or not sent), the current key is kept."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_URL: closed_url}
    )
    result = await config_entry.start_reconfigure_flow(hass)
    assert isinstance(schema_field(result, CONF_API_KEY), vol.Optional)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{simulator.url}/", **key_field}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_URL] == simulator.url
    assert config_entry.data[CONF_API_KEY] == API_KEY
    assert CONF_PREVIOUS_API_KEY not in config_entry.data
    # The connection was tested with the kept key.
    assert simulator.requests[0].params["key"] == API_KEY


async def test_reconfigure_invalid_url(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A URL that is not HTTP(S) is refused on the URL field."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "mailto:admin@example.com", CONF_API_KEY: API_KEY}
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert simulator.requests == []


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_onto_another_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """Pointing an entry at an account another entry already has aborts."""
    config_entry.add_to_hass(hass)
    other_entry(hass, account_id(simulator.url, NEW_KEY))
    simulator.api_key = NEW_KEY
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_API_KEY: NEW_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert config_entry.data[CONF_API_KEY] == API_KEY


# -- reauth and reconfigure of a running entry ---------------------------------------------


async def test_reauth_of_a_loaded_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A key revoked while running: the new key reloads the entry once, and polling resumes."""
    simulator.api_key = NEW_KEY
    await poll(hass)
    assert init_integration.state is ConfigEntryState.LOADED
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    before = init_integration.runtime_data

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not before
    assert init_integration.data[CONF_API_KEY] == NEW_KEY
    assert hass.states.get("sensor.sms_gateway_credits").state == "100"


async def test_reauth_same_key_of_a_loaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Confirming the unchanged key still reloads the entry, as the user expects of a fix."""
    before = init_integration.runtime_data
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not before


async def test_reconfigure_of_a_loaded_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """Moving a running entry to another server reloads it there, once."""
    moved = GatewaySimulator(api_key=API_KEY)
    await moved.start()
    try:
        before = init_integration.runtime_data
        result = await init_integration.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: moved.url, CONF_API_KEY: API_KEY}
        )
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert init_integration.state is ConfigEntryState.LOADED
        assert init_integration.runtime_data is not before
        simulator.requests.clear()
        moved.requests.clear()
        await poll(hass)
        assert moved.requests
        assert simulator.requests == []
    finally:
        await hass.config_entries.async_unload(init_integration.entry_id)
        await moved.stop()


# -- options -------------------------------------------------------------------------------


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options stored before the options flow runs."""
    return {
        CONF_UPDATE_INTERVAL: 120,
        CONF_DEFAULT_PHONE: "1",
        CONF_DEFAULT_SIM: 2,
        CONF_DEFAULT_RECIPIENTS: ["+15550100"],
        CONF_OUTBOX_TTL: 30,
    }


async def test_options_form(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The form offers the gateway's phones and SIMs, the stored values and the webhook URL."""
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.com"})
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["description_placeholders"] == {
        "webhook_url": f"https://ha.example.com/api/webhook/{WEBHOOK_ID}"
    }
    assert select_options(result, CONF_DEFAULT_PHONE) == [
        {"value": "1", "label": "Office phone"},
        {"value": "2", "label": "Pixel 7"},
    ]
    assert select_options(result, CONF_DEFAULT_SIM) == ["1", "2"]
    suggested = {
        key.schema: key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {
        CONF_UPDATE_INTERVAL: 120,
        CONF_DEFAULT_PHONE: "1",
        CONF_DEFAULT_SIM: "2",
        CONF_DEFAULT_RECIPIENTS: ["+15550100"],
        CONF_OUTBOX_TTL: 30,
    }


async def test_options_sim_choices_follow_the_phones(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A phone with more SIM slots widens the SIM choice."""
    simulator.add_phone("Tri-SIM", sims={0: "SIM #1", 1: "SIM #2", 2: "SIM #3"})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert select_options(result, CONF_DEFAULT_SIM) == ["1", "2", "3"]
    assert {"value": "3", "label": "Tri-SIM"} in select_options(result, CONF_DEFAULT_PHONE)


async def test_options_save(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Saved options are typed and cleaned, and the entry reloads with them."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 60.0,
            CONF_DEFAULT_PHONE: "2",
            CONF_DEFAULT_SIM: "1",
            CONF_DEFAULT_RECIPIENTS: ["+1 (555) 0100", " ", "06 12-34-56-78", "0033612345678"],
            CONF_OUTBOX_TTL: 90.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        CONF_UPDATE_INTERVAL: 60,
        CONF_DEFAULT_PHONE: "2",
        CONF_DEFAULT_SIM: 1,
        CONF_DEFAULT_RECIPIENTS: ["+15550100", "0612345678", "+33612345678"],
        CONF_OUTBOX_TTL: 90,
    }
    assert init_integration.options == expected
    assert all(
        type(init_integration.options[key]) is int
        for key in ("update_interval", "default_sim", "outbox_ttl")
    )
    await hass.async_block_till_done()
    # Reloaded by the entry's update listener: the coordinator runs with the new interval.
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.coordinator.update_interval == timedelta(seconds=60)


async def test_options_cleared(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Emptied optional fields are removed, not stored empty."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_UPDATE_INTERVAL: 300, CONF_DEFAULT_RECIPIENTS: []}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {CONF_UPDATE_INTERVAL: 300, CONF_OUTBOX_TTL: 60}


async def test_options_invalid_number(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A recipient the gateway cannot dial is an error on that field; nothing is saved."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    user_input = {
        CONF_UPDATE_INTERVAL: 300,
        CONF_DEFAULT_SIM: "2",
        CONF_DEFAULT_RECIPIENTS: ["+15550100", "MyBank"],
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_DEFAULT_RECIPIENTS: "invalid_number"}
    assert schema_field(result, CONF_DEFAULT_RECIPIENTS).description == {
        "suggested_value": ["+15550100", "MyBank"]
    }
    assert init_integration.options[CONF_DEFAULT_RECIPIENTS] == ["+15550100"]

    user_input[CONF_DEFAULT_RECIPIENTS] = ["+15550100"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_UPDATE_INTERVAL: 300,
        CONF_DEFAULT_SIM: 2,
        CONF_DEFAULT_RECIPIENTS: ["+15550100"],
        CONF_OUTBOX_TTL: 60,
    }


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "7"}])
async def test_options_entry_not_loaded(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """Without phone data the stored default phone stays selectable by its id."""
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert select_options(result, CONF_DEFAULT_PHONE) == [{"value": "7", "label": "7"}]
    assert select_options(result, CONF_DEFAULT_SIM) == ["1", "2"]
    assert schema_field(result, CONF_UPDATE_INTERVAL).default() == 300
    assert schema_field(result, CONF_OUTBOX_TTL).default() == 60


# -- options: send limits and safety ---------------------------------------------------------


def send_safety(result: FlowResult) -> vol.Schema:
    """Return the schema of the form's send limits and safety section."""
    field = result["data_schema"].schema[schema_field(result, CONF_SEND_SAFETY)]
    assert isinstance(field, section)
    assert field.options == {"collapsed": True}
    return field.schema


async def test_options_send_safety_defaults(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without stored limits the section offers the safe defaults, and nothing is allowed-listed."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    schema = send_safety(result)
    defaults = {
        key.schema: key.default() for key in schema.schema if key.default is not vol.UNDEFINED
    }
    assert defaults == {
        CONF_MAX_PER_MINUTE: 30,
        CONF_MAX_PER_DAY: 500,
        CONF_ALLOW_HTTP_ATTACHMENTS: False,
    }
    assert not [key for key in schema.schema if key.description]  # nothing stored to suggest


async def test_options_send_safety_saved(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The section is stored flat, typed and cleaned, and shown again in the section."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 300,
            CONF_SEND_SAFETY: {
                CONF_MAX_PER_MINUTE: 10.0,
                CONF_MAX_PER_DAY: 100.0,
                CONF_ALLOWED_RECIPIENTS: ["+1 (555) 0100", " ", "0033612345678"],
                CONF_ALLOW_HTTP_ATTACHMENTS: True,
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_UPDATE_INTERVAL: 300,
        CONF_OUTBOX_TTL: 60,
        CONF_MAX_PER_MINUTE: 10,
        CONF_MAX_PER_DAY: 100,
        CONF_ALLOWED_RECIPIENTS: ["+15550100", "+33612345678"],
        CONF_ALLOW_HTTP_ATTACHMENTS: True,
    }
    assert type(init_integration.options[CONF_MAX_PER_MINUTE]) is int
    await hass.async_block_till_done()

    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    suggested = {
        key.schema: key.description["suggested_value"]
        for key in send_safety(result).schema
        if key.description
    }
    assert suggested == {
        CONF_MAX_PER_MINUTE: 10,
        CONF_MAX_PER_DAY: 100,
        CONF_ALLOWED_RECIPIENTS: ["+15550100", "+33612345678"],
        CONF_ALLOW_HTTP_ATTACHMENTS: True,
    }
    assert CONF_MAX_PER_MINUTE not in {
        key.schema for key in result["data_schema"].schema if key.description
    }


async def test_options_send_safety_filled_in_by_its_defaults(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A section sent empty stores its defaults; emptied allowed recipients are not stored."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 300, CONF_SEND_SAFETY: {CONF_ALLOWED_RECIPIENTS: []}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_UPDATE_INTERVAL: 300,
        CONF_OUTBOX_TTL: 60,
        CONF_MAX_PER_MINUTE: 30,
        CONF_MAX_PER_DAY: 500,
        CONF_ALLOW_HTTP_ATTACHMENTS: False,
    }


async def test_options_invalid_allowed_number(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An allowed recipient the gateway cannot dial is an error on that field; nothing is saved."""
    before = dict(init_integration.options)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    user_input = {
        CONF_UPDATE_INTERVAL: 300,
        CONF_SEND_SAFETY: {CONF_ALLOWED_RECIPIENTS: ["+15550100", "MyBank"]},
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ALLOWED_RECIPIENTS: "invalid_allowed_number"}
    field = next(key for key in send_safety(result).schema if key == CONF_ALLOWED_RECIPIENTS)
    assert field.description == {"suggested_value": ["+15550100", "MyBank"]}
    assert init_integration.options == before


async def test_options_refuse_emergency_numbers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An emergency number is neither a default nor an allowed recipient."""
    hass.config.country = "GB"
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 300,
            CONF_DEFAULT_RECIPIENTS: ["+15550100", "999"],
            CONF_SEND_SAFETY: {CONF_ALLOWED_RECIPIENTS: ["+15550100", "112"]},
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        CONF_DEFAULT_RECIPIENTS: "invalid_number",
        CONF_ALLOWED_RECIPIENTS: "invalid_allowed_number",
    }


async def test_options_store_numbers_in_e164_form(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """National numbers are stored in E.164 form, read in Home Assistant's country, once each;
    a short code as dialled."""
    hass.config.country = "FR"
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 300,
            CONF_DEFAULT_RECIPIENTS: ["06 12 34 56 78", "+33 6 12 34 56 78", "43105"],
            CONF_SEND_SAFETY: {
                CONF_MAX_PER_MINUTE: 30,
                CONF_MAX_PER_DAY: 500,
                CONF_ALLOWED_RECIPIENTS: ["0612345678", "0033 6 98 76 54 32"],
                CONF_ALLOW_HTTP_ATTACHMENTS: False,
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_DEFAULT_RECIPIENTS] == ["+33612345678", "43105"]
    assert init_integration.options[CONF_ALLOWED_RECIPIENTS] == ["+33612345678", "+33698765432"]


@pytest.mark.parametrize(
    "limits",
    [
        {CONF_MAX_PER_MINUTE: 0},
        {CONF_MAX_PER_MINUTE: 1001},
        {CONF_MAX_PER_DAY: 0},
        {CONF_MAX_PER_DAY: 100_001},
    ],
)
async def test_options_limits_out_of_range(
    hass: HomeAssistant, init_integration: MockConfigEntry, limits: dict[str, int]
) -> None:
    """A limit of zero (or beyond what makes sense) is refused by the form."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_UPDATE_INTERVAL: 300, CONF_SEND_SAFETY: limits}
        )


# -- options: the inbox -----------------------------------------------------------------------


async def test_options_inbox_saved(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The inbox section (collapsed, with its defaults) is stored flat and shown again in it."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    field = result["data_schema"].schema[schema_field(result, CONF_INBOX)]
    assert isinstance(field, section)
    assert field.options == {"collapsed": True}
    assert {
        key.schema: key.default() for key in field.schema.schema if key.default is not vol.UNDEFINED
    } == {
        CONF_INBOX_RETENTION_DAYS: 90,
        CONF_INBOX_MAX_MESSAGES: 10_000,
        CONF_INBOX_ALL_USERS: False,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_UPDATE_INTERVAL: 300,
            CONF_INBOX: {
                CONF_INBOX_RETENTION_DAYS: 30.0,
                CONF_INBOX_MAX_MESSAGES: 500.0,
                CONF_INBOX_ALL_USERS: True,
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_UPDATE_INTERVAL: 300,
        CONF_OUTBOX_TTL: 60,
        CONF_INBOX_RETENTION_DAYS: 30,
        CONF_INBOX_MAX_MESSAGES: 500,
        CONF_INBOX_ALL_USERS: True,
    }
    await hass.async_block_till_done()

    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    field = result["data_schema"].schema[schema_field(result, CONF_INBOX)]
    assert {
        key.schema: key.description["suggested_value"]
        for key in field.schema.schema
        if key.description
    } == {CONF_INBOX_RETENTION_DAYS: 30, CONF_INBOX_MAX_MESSAGES: 500, CONF_INBOX_ALL_USERS: True}
