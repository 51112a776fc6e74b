"""The config flow, diagnostics and send limits follow the provider descriptor.

A second provider, unlike the SMS Gateway, is made selectable: it logs in with an e-mail
address and a password, which its server exchanges for a token (stored after the connection
test), has a region to choose and no server URL. Its server is a small real HTTP server.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.selector import BooleanSelector, SelectSelector, TextSelector
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api import (
    Account,
    Capability,
    Gateway,
    GatewayAuthenticationError,
    GatewayConnectionError,
    Limits,
    WebhookSignatureError,
)
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient, sign
from custom_components.sms_bridge.compat import ADVANCED_MODE, vol
from custom_components.sms_bridge.config_flow import (
    SmsBridgeConfigFlow,
    add_provider_steps,
    reauth_step,
    reconfigure_step,
)
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PROVIDER,
    CONF_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from custom_components.sms_bridge.providers import (
    PROVIDERS,
    ConfigField,
    FieldKind,
    Provider,
    create_gateway,
)
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.providers import ProviderHarness
from tests.providers.semysms import SemySmsHarness
from tests.providers.smsgateway24 import SmsGateway24Harness
from tests.simulator import GatewaySimulator

EMAIL = "Ops@Example.com"
PASSWORD = "mail-password-123"
NEW_PASSWORD = "mail-password-456"
STRINGS: dict[str, Any] = json.loads(
    (
        Path(__file__).resolve().parents[1] / "custom_components" / "sms_bridge" / "strings.json"
    ).read_text()
)


class MailServer:
    """An SMS service that trades an e-mail address and a password for a token."""

    def __init__(self) -> None:
        self.password = PASSWORD
        self.tokens: list[str] = []
        self.logins: list[dict[str, str]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_get("/balance", self._balance)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _token(self, request: web.Request) -> web.Response:
        login = await request.json()
        self.logins.append(login)
        if login != {"email": EMAIL, "password": self.password}:
            return web.json_response({"error": "wrong e-mail or password"}, status=401)
        self.tokens.append(f"token-{len(self.tokens) + 1}")
        return web.json_response({"token": self.tokens[-1]})

    async def _balance(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") not in {f"Bearer {t}" for t in self.tokens}:
            return web.json_response({"error": "token expired"}, status=401)
        return web.json_response({"balance": 7.5})


class MailGateway(Gateway):
    """The client of the mail server: logs in when it has no token yet."""

    capabilities = frozenset({Capability.CREDITS})

    def __init__(self, session: aiohttp.ClientSession, url: str, config: Mapping[str, Any]):
        self._session = session
        self._url = url
        self._email: str = config["email"]
        self._password: str = config["password"]
        self.token: str | None = config.get("token")

    @property
    def account_id(self) -> str:
        return f"mail:{self._email}"

    async def account(self) -> Account:
        if self.token is not None:
            try:
                return await self._balance()
            except GatewayAuthenticationError:
                pass  # the token expired: log in again
        login = {"email": self._email, "password": self._password}
        self.token = (await self._request("POST", "/token", json=login))["token"]
        return await self._balance()

    async def _balance(self) -> Account:
        headers = {"Authorization": f"Bearer {self.token}"}
        return Account(credits=(await self._request("GET", "/balance", headers=headers))["balance"])

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with self._session.request(method, self._url + path, **kwargs) as response:
                if response.status == 401:
                    raise GatewayAuthenticationError((await response.json())["error"])
                return await response.json()
        except aiohttp.ClientConnectionError as err:
            raise GatewayConnectionError(str(err), request_sent=False) from err


async def _token(gateway: Gateway) -> Mapping[str, Any]:
    assert isinstance(gateway, MailGateway)
    return {"token": gateway.token}


def mail_provider(url: str) -> Provider:
    """Return the descriptor of the mail provider, whose server is at ``url``."""
    return Provider(
        "test_mail",
        "Mail SMS",
        (
            ConfigField("email", FieldKind.EMAIL),
            ConfigField("password", FieldKind.PASSWORD, secret=True, reauth=True),
            ConfigField("region", FieldKind.SELECT, default="eu", options=("eu", "us")),
            ConfigField("sender", FieldKind.TEXT, required=False),
        ),
        lambda session, config: MailGateway(session, url, config),
        manufacturer="Test",
        product="Mail SMS",
        capabilities=MailGateway.capabilities,
        title=lambda config: config["email"],
        unique_id=lambda _gateway, config: config["email"].casefold(),
        login_data=_token,
        stored_secrets=frozenset({"token"}),
    )


@pytest.fixture
async def mail_server(monkeypatch: pytest.MonkeyPatch) -> AsyncGenerator[MailServer]:
    """Start the mail server and make its provider selectable."""
    server = MailServer()
    await server.start()
    monkeypatch.setitem(PROVIDERS, "test_mail", mail_provider(server.url))
    steps = add_provider_steps("test_mail")
    yield server
    for name in steps:
        delattr(SmsBridgeConfigFlow, name)
    await server.stop()


@pytest.fixture
def mail_entry(hass: HomeAssistant, mail_server: MailServer) -> MockConfigEntry:
    """An entry of the mail provider, as its flow stores it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=EMAIL.casefold(),
        data={
            CONF_PROVIDER: "test_mail",
            "email": EMAIL,
            "password": PASSWORD,
            "region": "us",
            "sender": "Ops",
            "token": "stored-token",
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )
    entry.add_to_hass(hass)
    return entry


def form_fields(result: FlowResult) -> dict[str, Any]:
    """Return the form's fields: {key: (Required or Optional, selector)}."""
    return {str(key): (type(key), value) for key, value in result["data_schema"].schema.items()}


def suggested(result: FlowResult) -> dict[str, Any]:
    """Return the values the form fills in."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }


async def choose(hass: HomeAssistant, provider: str) -> FlowResult:
    """Start a user flow and pick ``provider``."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: provider}
    )


# -- the flow ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("mail_server")
async def test_each_provider_has_its_credentials_step(hass: HomeAssistant) -> None:
    """The picker lists both; each one's step is named after it and asks exactly its fields."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    [picker] = result["data_schema"].schema.values()
    assert picker.config["options"] == [
        {"value": provider.key, "label": provider.name} for provider in PROVIDERS.values()
    ]
    assert picker.config["options"][0] == {"value": "sms_gateway", "label": "SMS Gateway (RBSoft)"}
    assert picker.config["options"][-1] == {"value": "test_mail", "label": "Mail SMS"}

    result = await choose(hass, "test_mail")
    assert result["step_id"] == "test_mail"
    fields = form_fields(result)
    assert list(fields) == ["email", "password", "region", "sender", CONF_NAME]
    assert all(marker is vol.Required for marker, _ in list(fields.values())[:3])
    assert fields["sender"][0] is vol.Optional
    assert fields["sender"][1].config["type"] == "text"
    assert fields[CONF_NAME][0] is vol.Optional
    email, password, region = (fields[key][1] for key in ("email", "password", "region"))
    assert isinstance(email, TextSelector)
    assert email.config["type"] == "email"
    assert isinstance(password, TextSelector)
    assert password.config["type"] == "password"
    assert isinstance(region, SelectSelector)
    assert region.config["options"] == ["eu", "us"]
    region_key = next(key for key in result["data_schema"].schema if key == "region")
    assert region_key.default() == "eu"

    result = await choose(hass, "sms_gateway")
    assert result["step_id"] == "sms_gateway"
    fields = form_fields(result)
    assert list(fields) == [CONF_URL, CONF_API_KEY, "verify_ssl", CONF_NAME]
    assert fields[CONF_URL][1].config["type"] == "url"
    assert fields[CONF_API_KEY][1].config["type"] == "password"
    assert isinstance(fields["verify_ssl"][1], BooleanSelector)


@pytest.mark.usefixtures("mail_server")
def test_only_providers_have_a_credentials_step() -> None:
    """A step named after no provider does not exist (Home Assistant refuses to run it)."""
    flow = SmsBridgeConfigFlow()
    assert callable(flow.async_step_test_mail)
    assert not hasattr(flow, "async_step_credentials")
    assert not hasattr(flow, "async_step_nope")


async def test_login_is_tested_and_its_token_stored(
    hass: HomeAssistant, mail_server: MailServer
) -> None:
    """A wrong password is refused; the right one creates the entry with the token it got."""
    result = await choose(hass, "test_mail")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": "wrong", "region": "us"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "test_mail"
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result) == {"email": EMAIL, "password": "wrong", "region": "us"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert result["title"] == EMAIL  # the descriptor's title
    assert entry.unique_id == "ops@example.com"  # the descriptor's unique id
    assert entry.data == {
        CONF_PROVIDER: "test_mail",
        "email": EMAIL,
        "password": PASSWORD,
        "region": "eu",  # the field's default
        "token": "token-1",
        CONF_WEBHOOK_ID: entry.data[CONF_WEBHOOK_ID],
    }
    await hass.config_entries.async_unload(entry.entry_id)


async def test_provider_without_url_cannot_connect(
    hass: HomeAssistant, mail_server: MailServer
) -> None:
    """With no URL typed, a server that is down is plain `cannot_connect`, no http:// hint."""
    result = await choose(hass, "test_mail")
    await mail_server.stop()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": PASSWORD}
    )
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.usefixtures("mail_server")
async def test_same_account_twice(hass: HomeAssistant, mail_entry: MockConfigEntry) -> None:
    """The descriptor's unique id finds the account already configured, whatever the case."""
    result = await choose(hass, "test_mail")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_asks_only_the_reauth_fields(
    hass: HomeAssistant, mail_server: MailServer, mail_entry: MockConfigEntry
) -> None:
    """Reauth asks the password alone; the new one logs in again and replaces the token."""
    mail_server.password = NEW_PASSWORD
    result = await mail_entry.start_reauth_flow(hass)
    assert result["step_id"] == "test_mail_reauth"
    fields = form_fields(result)
    assert list(fields) == ["password"]
    assert fields["password"][1].config["type"] == "password"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": NEW_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    # The stored token was refused, so the new password logged in and its token is stored.
    assert mail_server.logins == [{"email": EMAIL, "password": NEW_PASSWORD}]
    assert mail_entry.data["token"] == "token-1"
    assert mail_entry.data["password"] == NEW_PASSWORD
    assert mail_entry.data["region"] == "us"
    # Nothing is kept of the replaced password: this provider asks for no grace period.
    assert set(mail_entry.data) == {
        CONF_PROVIDER,
        "email",
        "password",
        "region",
        "sender",
        "token",
        CONF_WEBHOOK_ID,
    }
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(mail_entry.entry_id)


async def test_reconfigure_shows_every_field_and_keeps_the_secret(
    hass: HomeAssistant, mail_server: MailServer, mail_entry: MockConfigEntry
) -> None:
    """All fields are shown, secrets neither shown nor required; left empty, one is kept.

    An optional field left empty is cleared (the form leaves it out of what it sends).
    """
    hass.config_entries.async_update_entry(
        mail_entry, data={key: v for key, v in mail_entry.data.items() if key != "token"}
    )
    result = await mail_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "test_mail_reconfigure"
    fields = form_fields(result)
    assert list(fields) == ["email", "password", "region", "sender"]
    assert fields["password"][0] is vol.Optional
    assert suggested(result) == {"email": EMAIL, "region": "us", "sender": "Ops"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"email": EMAIL, "password": "", "region": "eu"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mail_server.logins == [{"email": EMAIL, "password": PASSWORD}]
    assert mail_entry.data["password"] == PASSWORD
    assert mail_entry.data["region"] == "eu"
    assert mail_entry.data["token"] == "token-1"
    assert "sender" not in mail_entry.data
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(mail_entry.entry_id)


async def test_diagnostics_redact_the_declared_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mail_server: MailServer,
    mail_entry: MockConfigEntry,
) -> None:
    """The secret field and the stored token are redacted; the rest helps to debug."""
    mail_server.tokens.append("stored-token")
    assert await hass.config_entries.async_setup(mail_entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mail_entry)

    assert diagnostics["entry"]["data"] == {
        CONF_PROVIDER: "test_mail",
        "email": REDACTED,  # an e-mail address names the user
        "password": REDACTED,
        "region": "us",
        "sender": "Ops",
        "token": REDACTED,
        CONF_WEBHOOK_ID: REDACTED,
    }
    assert diagnostics["account"] == {"credits": 7.5, "unlimited": False, "currency": None}
    assert diagnostics["entry"]["title"] == REDACTED  # the title is the e-mail address
    text = json.dumps(diagnostics)
    assert EMAIL not in text
    assert PASSWORD not in text
    assert "stored-token" not in text
    await hass.config_entries.async_unload(mail_entry.entry_id)


# -- the descriptor ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        {"key": "pin", "kind": FieldKind.PASSWORD},
        {"key": "flag", "kind": FieldKind.BOOLEAN, "secret": True},
        {"key": "region", "kind": FieldKind.SELECT},
        {"key": "host", "kind": FieldKind.TEXT, "options": ("a", "b")},
        {"key": "region", "kind": FieldKind.SELECT, "options": ("eu",), "default": "us"},
        {"key": "host", "kind": FieldKind.TEXT, "custom_value": True},
        {"key": "server", "kind": FieldKind.URL, "advanced": True},
    ],
)
def test_a_field_the_form_cannot_ask_is_refused(field: dict[str, Any]) -> None:
    """A password that is not secret, a secret switch, a select without options, a required
    advanced field (the form without advanced mode could never be filled in)...
    """
    with pytest.raises(ValueError, match=field["key"]):
        ConfigField(**field)


# -- send limits ----------------------------------------------------------------------------------


@pytest.fixture
def small_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider on the simulator that takes 2 recipients and 1 segment per send."""

    class SmallClient(SmsGatewayClient):
        limits = Limits(max_recipients=2, max_segments=1)

    def create(session: aiohttp.ClientSession, config: Mapping[str, Any]) -> Gateway:
        return SmallClient(session, config[CONF_URL], config[CONF_API_KEY])

    provider = Provider(
        "test_small",
        "Small",
        PROVIDERS["sms_gateway"].fields,
        create,
        manufacturer="Test",
        product="Small",
        capabilities=SmsGatewayClient.capabilities,
    )
    monkeypatch.setitem(PROVIDERS, "test_small", provider)


@pytest.mark.usefixtures("small_provider")
@pytest.mark.parametrize(
    ("data", "error", "placeholders"),
    [
        (
            {"recipients": ["+15550100", "+15550101", "+15550102"], "message": "hi"},
            "too_many_recipients",
            {"count": "3", "max": "2"},
        ),
        (
            {"recipients": ["+15550100"], "message": "x" * 161},
            "message_too_long",
            {"segments": "2", "max": "1"},
        ),
    ],
)
async def test_send_limits_are_the_providers(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    data: dict[str, Any],
    error: str,
    placeholders: dict[str, str],
) -> None:
    """A send over the provider's limits is refused before any request, with its limits."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Small",
        data={
            CONF_PROVIDER: "test_small",
            CONF_URL: simulator.url,
            CONF_API_KEY: API_KEY,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    simulator.requests.clear()
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "send_message", data, blocking=True)
    assert raised.value.translation_key == error
    assert raised.value.translation_placeholders == placeholders
    assert simulator.requests == []
    await hass.config_entries.async_unload(entry.entry_id)


# -- strings --------------------------------------------------------------------------------------


def missing_strings(provider: Provider) -> list[str]:
    """Return the config flow strings a provider lacks: its step's texts and every field's."""
    steps = STRINGS["config"]["step"]
    step = steps.get(provider.key, {})
    missing = [f"{provider.key}.{text}" for text in ("title", "description") if not step.get(text)]
    for field in (*(field.key for field in provider.fields), CONF_NAME):
        for part in ("data", "data_description"):
            if not step.get(part, {}).get(field):
                missing.append(f"{provider.key}.{part}.{field}")
    for form, asked in (
        (reconfigure_step(provider), provider.fields),
        (reauth_step(provider), provider.reauth_fields),
    ):
        form_step = steps.get(form, {})
        missing += [
            f"{form}.{text}" for text in ("title", "description") if not form_step.get(text)
        ]
        missing += [
            f"{form}.data.{field.key}"
            for field in asked
            if not form_step.get("data", {}).get(field.key)
        ]
    return missing


@pytest.mark.parametrize("key", list(PROVIDERS))
def test_every_provider_has_its_three_steps(key: str) -> None:
    """Its credentials, reauth and reconfigure steps exist, named after its key."""
    provider = PROVIDERS[key]
    for step in (key, reauth_step(provider), reconfigure_step(provider)):
        assert callable(getattr(SmsBridgeConfigFlow, f"async_step_{step}"))


@pytest.mark.parametrize("key", ["user", "reauth", "reconfigure", "sms_gateway"])
def test_no_provider_hides_a_step_of_home_assistant(key: str) -> None:
    """A provider's steps are named after its key: none may replace another step."""
    with pytest.raises(ValueError, match="would replace the steps"):
        add_provider_steps(key)


@pytest.mark.parametrize("provider", list(PROVIDERS.values()), ids=list(PROVIDERS))
def test_every_provider_has_its_strings(provider: Provider) -> None:
    """Each provider's credentials step and its fields have their texts."""
    assert missing_strings(provider) == []


def test_a_provider_without_strings_is_found() -> None:
    """The check above fails for a provider whose strings were not written."""
    missing = missing_strings(mail_provider("http://127.0.0.1"))
    assert "test_mail.title" in missing
    assert "test_mail.data.password" in missing
    assert "test_mail_reauth.data.password" in missing
    assert "test_mail_reconfigure.data.region" in missing


# -- the server URL of hosted providers, an advanced field -----------------------------------------


@pytest.fixture(params=[SemySmsHarness, SmsGateway24Harness], ids=lambda harness: harness.key)
async def hosted(request: pytest.FixtureRequest) -> AsyncGenerator[ProviderHarness]:
    """Run the simulator of a hosted provider, whose server is the official one by default."""
    harness: ProviderHarness = request.param()
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def _credentials(harness: ProviderHarness) -> dict[str, Any]:
    """Return what the user types for the harness's account, without the server URL."""
    return {
        key: value
        for key, value in harness.entry_data().items()
        if key not in (CONF_PROVIDER, CONF_URL)
    }


async def _choose_advanced(hass: HomeAssistant, provider: str) -> FlowResult:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: provider}
    )


async def _reconfigure(hass: HomeAssistant, entry_id: str, *, advanced: bool) -> FlowResult:
    return await hass.config_entries.flow.async_init(
        DOMAIN,
        context={
            "source": SOURCE_RECONFIGURE,
            "entry_id": entry_id,
            "show_advanced_options": advanced,
        },
    )


async def test_server_url_is_hidden_without_advanced_mode(
    hass: HomeAssistant, hosted: ProviderHarness
) -> None:
    """Without advanced mode the form has no server URL, and a client cannot send one anyway.

    Home Assistant 2026 has no advanced mode in flows: there the form always shows it.
    """
    result = await choose(hass, hosted.key)
    if not ADVANCED_MODE:
        assert CONF_URL in form_fields(result)
        return
    assert CONF_URL not in form_fields(result)
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {**_credentials(hosted), CONF_URL: hosted.simulator.url}
        )
    assert hosted.simulator.requests == []


async def test_server_url_in_advanced_mode_is_validated_and_used(
    hass: HomeAssistant, hosted: ProviderHarness
) -> None:
    """In advanced mode the URL is asked, checked like any server URL, and the entry uses it."""
    result = await _choose_advanced(hass, hosted.key)
    fields = form_fields(result)
    assert fields[CONF_URL][0] is vol.Optional
    assert fields[CONF_URL][1].config["type"] == "url"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_credentials(hosted), CONF_URL: "ftp://sms.example.com"}
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert hosted.simulator.requests == []

    # A trailing slash is dropped, as the client's base URL has none.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_credentials(hosted), CONF_URL: f"{hosted.simulator.url}/"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.data[CONF_URL] == hosted.simulator.url
    await hass.async_block_till_done()
    assert set(entry.runtime_data.coordinator.data.phones) == hosted.phone_ids()

    before = len(hosted.sent_requests())
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry.entry_id, "recipients": ["+15550101"], "message": "Via URL"},
        blocking=True,
    )
    assert len(hosted.sent_requests()) == before + 1
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_keeps_a_hidden_server_url(
    hass: HomeAssistant, hosted: ProviderHarness
) -> None:
    """Reconfiguring outside advanced mode keeps the server URL; in advanced mode it is shown.

    Home Assistant 2026 has no advanced mode in flows: there the form always shows it.
    """
    result = await _choose_advanced(hass, hosted.key)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_credentials(hosted), CONF_URL: hosted.simulator.url}
    )
    entry = result["result"]
    await hass.async_block_till_done()

    result = await _reconfigure(hass, entry.entry_id, advanced=False)
    if not ADVANCED_MODE:
        assert suggested(result)[CONF_URL] == hosted.simulator.url
        await hass.config_entries.async_unload(entry.entry_id)
        return
    assert CONF_URL not in form_fields(result)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(hosted))
    assert result["reason"] == "reconfigure_successful", result
    await hass.async_block_till_done()
    assert entry.data[CONF_URL] == hosted.simulator.url

    result = await _reconfigure(hass, entry.entry_id, advanced=True)
    assert CONF_URL in form_fields(result)
    assert suggested(result)[CONF_URL] == hosted.simulator.url
    await hass.config_entries.async_unload(entry.entry_id)


async def test_create_gateway_builds_the_rbsoft_client() -> None:
    """The provider table builds a client that honours the previous key until it expires."""
    assert [field.key for field in PROVIDERS["sms_gateway"].fields] == [
        "url",
        "api_key",
        "verify_ssl",
    ]
    value = "[]"
    form = [("messages", value)]
    old_signature = {"X-SG-Signature": sign("old-key", value)}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    config = {"url": "https://sms.example.com/", "api_key": "new-key"}
    async with aiohttp.ClientSession() as session:
        gateway = create_gateway(
            session,
            "sms_gateway",
            config | {"previous_api_key": "old-key", "previous_api_key_expires": later},
        )
        assert isinstance(gateway, SmsGatewayClient)
        assert Capability.USSD in gateway.capabilities
        assert Capability.BATTERY not in gateway.capabilities
        assert gateway.capabilities == PROVIDERS["sms_gateway"].capabilities
        assert gateway.parse_form(old_signature, form).messages == ()
        expired = create_gateway(
            session,
            "sms_gateway",
            config | {"previous_api_key": "old-key", "previous_api_key_expires": earlier},
        )
        with pytest.raises(WebhookSignatureError):
            expired.parse_form(old_signature, form)
        default = create_gateway(session, "sms_gateway", {"url": "http://x", "api_key": "k"})
        assert isinstance(default, SmsGatewayClient)
        with pytest.raises(KeyError):
            create_gateway(session, "nope", {"url": "http://x", "api_key": "k"})


def test_rbsoft_forgets_the_previous_key_once_expired() -> None:
    """Pruning drops an expired previous key from the config and keeps one still valid."""
    prune = PROVIDERS["sms_gateway"].prune
    config = {"url": "http://x", "api_key": "new", "previous_api_key": "old"}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert prune(config | {"previous_api_key_expires": later}) is None
    assert prune(config | {"previous_api_key_expires": earlier}) == {
        "url": "http://x",
        "api_key": "new",
    }
    assert prune({"url": "http://x", "api_key": "new"}) is None
