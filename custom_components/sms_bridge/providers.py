"""The providers a user can pick: what each asks for, how to build its client, its limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from homeassistant.helpers.selector import (
    BooleanSelector,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import Capability, Gateway, GatewayResponseError, semysms, smsgateway24
from .api.rbsoft import SmsGatewayClient, normalize_url
from .api.smsc import (
    CONF_API_KEY as SMSC_API_KEY,
    CONF_CALLBACK_SECRET as SMSC_CALLBACK_SECRET,
    CONF_HOST as SMSC_HOST,
    CONF_LOGIN as SMSC_LOGIN,
    CONF_PASSWORD as SMSC_PASSWORD,
    CONF_PREVIOUS_CALLBACK_SECRET as SMSC_PREVIOUS_CALLBACK_SECRET,
    DEFAULT_HOST as SMSC_DEFAULT_HOST,
    KNOWN_HOSTS as SMSC_KNOWN_HOSTS,
    SmscClient,
    callback_query as smsc_callback_query,
    from_config as smsc_from_config,
    generate_callback_secret as smsc_generate_callback_secret,
    prune_callback_secrets as smsc_prune_callback_secrets,
    rotate_callback_secret as smsc_rotate_callback_secret,
    service_url as smsc_service_url,
)
from .api.smsgateway24 import SmsGateway24Client

# The title of an entry when nothing better names it.
DEFAULT_TITLE = "SMS Bridge"


class FieldKind(StrEnum):
    """What a config field holds, which decides how the form asks for it."""

    URL = "url"
    TEXT = "text"
    EMAIL = "email"
    PASSWORD = "password"  # noqa: S105 - masked text: a password, an API key, a token
    BOOLEAN = "boolean"
    SELECT = "select"  # one of ``ConfigField.options``


_TEXT_KINDS = frozenset({FieldKind.URL, FieldKind.TEXT, FieldKind.EMAIL, FieldKind.PASSWORD})


@dataclass(frozen=True, slots=True)
class ConfigField:
    """A value the user enters to connect to a provider.

    A ``secret`` field is masked in the form, never logged nor shown in diagnostics, never sent
    back to the browser, and kept as it is when left empty while changing the connection.
    ``reauth`` fields are asked again when the provider rejects the credentials.
    An ``advanced`` field is shown only to users in advanced mode; it is optional, since the
    form without it must work, and left as stored when a form does not show it.
    """

    key: str
    kind: FieldKind
    secret: bool = False
    reauth: bool = False
    required: bool = True
    default: str | bool | None = None
    options: tuple[str, ...] = ()  # the choices of a SELECT field
    # A SELECT field whose options are suggestions: the user may type another value (a host).
    custom_value: bool = False
    advanced: bool = False
    # An example value the field's description shows (as the placeholder "<key>_example").
    example: str | None = None

    def __post_init__(self) -> None:
        """Refuse a field the form could not ask for as described."""
        if self.custom_value and self.kind is not FieldKind.SELECT:
            raise ValueError(f"Field {self.key}: only a select field takes a typed value")
        if self.kind is FieldKind.PASSWORD and not self.secret:
            raise ValueError(f"Field {self.key}: a password field is secret")
        if self.secret and self.kind not in _TEXT_KINDS:
            raise ValueError(f"Field {self.key}: only text can be secret")
        if (self.kind is FieldKind.SELECT) != bool(self.options):
            raise ValueError(f"Field {self.key}: options are the choices of a select field")
        if self.default is not None and self.options and self.default not in self.options:
            raise ValueError(f"Field {self.key}: the default is not one of the options")
        if self.advanced and self.required:
            raise ValueError(f"Field {self.key}: an advanced field is optional")


class WebhookAuth(StrEnum):
    """What proves a webhook request comes from the provider, and so what the user can fix."""

    KEY = "key"  # signed with a secret the user entered (its reauth fields): changed there
    GENERATED = "generated"  # signed with a secret we made, carried by the callback URL
    NONE = "none"  # unsigned: the URL is the secret, requests naming no phone are refused


_TEXT_TYPES = {
    FieldKind.URL: TextSelectorType.URL,
    FieldKind.TEXT: TextSelectorType.TEXT,
    FieldKind.EMAIL: TextSelectorType.EMAIL,
    FieldKind.PASSWORD: TextSelectorType.PASSWORD,
}


def field_selector(field: ConfigField) -> Selector[Any]:
    """Return how the form asks for a field: a secret is masked whatever text it holds."""
    if field.kind is FieldKind.BOOLEAN:
        return BooleanSelector()
    if field.kind is FieldKind.SELECT:
        return SelectSelector(
            SelectSelectorConfig(
                options=list(field.options),
                mode=SelectSelectorMode.DROPDOWN,
                custom_value=field.custom_value,
            )
        )
    text_type = TextSelectorType.PASSWORD if field.secret else _TEXT_TYPES[field.kind]
    return TextSelector(TextSelectorConfig(type=text_type))


def _account_id(gateway: Gateway, _config: Mapping[str, Any]) -> str:
    return gateway.account_id


def _unchanged(_previous: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    return dict(config)


@dataclass(frozen=True, slots=True)
class Provider:
    """A selectable provider: its config fields, its client factory and its rules."""

    key: str  # stored in the entry; also the id of the flow step asking its fields
    name: str
    fields: tuple[ConfigField, ...]  # in the order the form shows them
    create: Callable[[aiohttp.ClientSession, Mapping[str, Any]], Gateway]
    manufacturer: str  # who makes the gateway software
    product: str  # the gateway software's name
    # What its client can do; the README's capability table is checked against it.
    capabilities: frozenset[Capability] = frozenset()
    # The entry's title, from the config the user entered.
    title: Callable[[Mapping[str, Any]], str] = lambda _config: DEFAULT_TITLE
    # The entry's unique id, from the tested client and its config: one entry per account.
    unique_id: Callable[[Gateway, Mapping[str, Any]], str] = _account_id
    # The server's base URL as the client uses it, from what the user typed in a URL field.
    base_url: Callable[[str], str] = lambda url: url
    # Returns the config without what has expired in it, or None when nothing has.
    prune: Callable[[Mapping[str, Any]], dict[str, Any] | None] = lambda _config: None
    # The config to store when tested credentials replace those of ``previous`` (an entry's
    # data), e.g. with the replaced key kept for a while. Default: the new config as it is.
    replace_credentials: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]] = (
        _unchanged
    )
    # Data to store with the config once the connection test passed, e.g. the token a login
    # exchanged the e-mail and password for. Its client errors count as a failed test.
    login_data: Callable[[Gateway], Awaitable[Mapping[str, Any]]] | None = None
    # Keys the provider stores beyond its fields that are secret (a replaced key, a token).
    # The connection test never uses them: it proves the credentials as typed.
    stored_secrets: frozenset[str] = frozenset()
    # The unique id names the account itself, not the credentials: new credentials (reauth,
    # reconfigure) of another account are refused instead of moving the entry to that account.
    account_bound: bool = False
    # Hands a loaded entry's client the callback that merges data into the entry's data, for
    # what the client obtains while running (a token renewed after the stored one was
    # refused). The entry is not reloaded for it.
    connect_store: Callable[[Gateway, Callable[[Mapping[str, Any]], None]], None] | None = None
    # Secrets the integration makes once, when the entry is created, and keeps through reauth
    # and reconfigure (a callback secret the provider hashes its callbacks with): key -> maker.
    # They are stored secrets: redacted in diagnostics, never shown in a form.
    generated_secrets: Mapping[str, Callable[[], str]] = field(default_factory=dict)
    # The data with new generated secrets, the replaced ones still honoured for a while; the
    # options offer it when set.
    rotate_secrets: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    # The query the webhook URL shown to the user carries (without "?"), from the entry's
    # data: a provider that reads its callback settings from the URL (a secret, a charset).
    webhook_query: Callable[[Mapping[str, Any]], str] = lambda _data: ""
    # The key of the form's error when the fields cannot work together (checked before any
    # request), or None: an either/or the form cannot express.
    check: Callable[[Mapping[str, Any]], str | None] = lambda _config: None
    webhook_auth: WebhookAuth = WebhookAuth.NONE

    @property
    def secrets(self) -> frozenset[str]:
        """Return the config keys never to show: secret fields and secret stored data."""
        return (
            self.stored_secrets
            | self.generated_secrets.keys()
            | {field.key for field in self.fields if field.secret}
        )

    @property
    def examples(self) -> dict[str, str]:
        """Return the placeholders of the fields' examples, for the forms' texts."""
        return {f"{field.key}_example": field.example for field in self.fields if field.example}

    @property
    def reauth_fields(self) -> tuple[ConfigField, ...]:
        """Return the fields asked again when the provider rejects the credentials."""
        return tuple(field for field in self.fields if field.reauth)


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
KEY_ROTATION_GRACE = timedelta(hours=24)


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


def _sms_gateway_replace_credentials(
    previous: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, Any]:
    """Keep a replaced API key for a while: the gateway signs webhooks with it until changed."""
    replaced = dict(config)
    if (old := previous.get("api_key")) and config["api_key"] != old:
        replaced[PREVIOUS_API_KEY] = old
        replaced[PREVIOUS_API_KEY_EXPIRES] = (datetime.now(UTC) + KEY_ROTATION_GRACE).isoformat()
    return replaced


def _sms_gateway_prune(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """Forget the previous API key once its grace period is over."""
    expires = config.get(PREVIOUS_API_KEY_EXPIRES)
    if not expires or datetime.fromisoformat(expires) > datetime.now(UTC):
        return None
    pruned = dict(config)
    pruned.pop(PREVIOUS_API_KEY, None)
    pruned.pop(PREVIOUS_API_KEY_EXPIRES)
    return pruned


async def _semysms_login_data(gateway: Gateway) -> Mapping[str, Any]:
    """Store the account's id: it names the entry, and the client knows it from the start."""
    user_id = gateway.user_id if isinstance(gateway, semysms.SemySmsClient) else None
    if user_id is None:
        raise GatewayResponseError("SemySMS did not tell the account's id")
    return {semysms.CONF_USER_ID: user_id}


async def _smsgateway24_login(gateway: Gateway) -> Mapping[str, Any]:
    """Return the token the connection test logged in with, for later setups to reuse."""
    assert isinstance(gateway, SmsGateway24Client)
    return {smsgateway24.CONF_TOKEN: gateway.token} if gateway.token else {}


def _smsgateway24_connect_store(
    gateway: Gateway, store: Callable[[Mapping[str, Any]], None]
) -> None:
    """Store every token the client gets instead of a refused one."""
    assert isinstance(gateway, SmsGateway24Client)
    gateway.on_token = lambda token: store({smsgateway24.CONF_TOKEN: token})


def _smsc_title(config: Mapping[str, Any]) -> str:
    """Name an SMSC entry after its login, or after the service host with an API key."""
    if login := str(config.get(SMSC_LOGIN) or "").strip():
        return login
    return _host_label(smsc_service_url(str(config.get(SMSC_HOST) or SMSC_DEFAULT_HOST)))


def _smsc_check(config: Mapping[str, Any]) -> str | None:
    """Ask for a login with its password, or for an API key."""
    if config.get(SMSC_API_KEY) or (config.get(SMSC_LOGIN) and config.get(SMSC_PASSWORD)):
        return None
    return "login_or_api_key"


def _smsc_webhook_query(data: Mapping[str, Any]) -> str:
    """Return the handler URL's query: UTF-8 callbacks, hashed with the entry's secret."""
    secret = data.get(SMSC_CALLBACK_SECRET)
    return smsc_callback_query(secret) if secret else ""


PROVIDERS: dict[str, Provider] = {
    provider.key: provider
    for provider in (
        Provider(
            "sms_gateway",
            "SMS Gateway (RBSoft)",
            (
                ConfigField("url", FieldKind.URL, example="https://sms.example.com"),
                ConfigField("api_key", FieldKind.PASSWORD, secret=True, reauth=True),
                # For a server with a self-signed certificate (the caller's session honours it).
                ConfigField("verify_ssl", FieldKind.BOOLEAN, default=True),
            ),
            _sms_gateway,
            manufacturer="RBSoft",
            product="SMS Gateway",
            capabilities=SmsGatewayClient.capabilities,
            title=lambda config: _host_label(config["url"]),
            base_url=normalize_url,
            prune=_sms_gateway_prune,
            replace_credentials=_sms_gateway_replace_credentials,
            stored_secrets=frozenset({PREVIOUS_API_KEY}),
            webhook_auth=WebhookAuth.KEY,
        ),
        Provider(
            "semysms",
            "SemySMS",
            (
                ConfigField(semysms.CONF_API_KEY, FieldKind.PASSWORD, secret=True, reauth=True),
                # Empty: the official service; else a proxy, a mirror or a simulator.
                ConfigField(
                    semysms.CONF_URL,
                    FieldKind.URL,
                    required=False,
                    advanced=True,
                    example="https://sms-proxy.example.com/api/3",
                ),
            ),
            semysms.from_config,
            manufacturer="SemySMS",
            product="SemySMS",
            capabilities=semysms.SemySmsClient.capabilities,
            title=lambda config: f"SemySMS {config[semysms.CONF_USER_ID]}",
            base_url=semysms.normalize_url,
            login_data=_semysms_login_data,
            account_bound=True,
            # sms_more.php takes every recipient of a send in one request; the vendor states
            # no limit on recipients or on a text's length.
        ),
        Provider(
            "smsgateway24",
            "SmsGateway24",
            (
                ConfigField(smsgateway24.CONF_EMAIL, FieldKind.EMAIL),
                ConfigField(
                    smsgateway24.CONF_PASSWORD, FieldKind.PASSWORD, secret=True, reauth=True
                ),
                # Empty: smsgateway24.com; else a proxy, a mirror or a simulator.
                ConfigField(
                    smsgateway24.CONF_URL,
                    FieldKind.URL,
                    required=False,
                    advanced=True,
                    example="https://sms-proxy.example.com",
                ),
            ),
            smsgateway24.from_config,
            manufacturer="SmsGateway24",
            product="SmsGateway24",
            capabilities=SmsGateway24Client.capabilities,
            # The account's e-mail address; the unique id is the server and a digest of it.
            title=lambda config: str(config[smsgateway24.CONF_EMAIL]).strip(),
            base_url=smsgateway24.normalize_url,
            login_data=_smsgateway24_login,
            stored_secrets=frozenset({smsgateway24.CONF_TOKEN}),
            connect_store=_smsgateway24_connect_store,
            # The service documents no limit on recipients (one addalotofsms) or on text length.
        ),
        Provider(
            "smsc",
            "SMSC",
            (
                ConfigField(
                    SMSC_HOST,
                    FieldKind.SELECT,
                    default=SMSC_DEFAULT_HOST,
                    options=SMSC_KNOWN_HOSTS,
                    custom_value=True,
                ),
                ConfigField(SMSC_LOGIN, FieldKind.TEXT, required=False),
                ConfigField(
                    SMSC_PASSWORD, FieldKind.PASSWORD, secret=True, reauth=True, required=False
                ),
                ConfigField(
                    SMSC_API_KEY, FieldKind.PASSWORD, secret=True, reauth=True, required=False
                ),
            ),
            smsc_from_config,
            manufacturer="SMSC",
            product="SMS centre",
            capabilities=SmscClient.capabilities,
            title=_smsc_title,
            generated_secrets={SMSC_CALLBACK_SECRET: smsc_generate_callback_secret},
            webhook_auth=WebhookAuth.GENERATED,
            rotate_secrets=smsc_rotate_callback_secret,
            prune=smsc_prune_callback_secrets,
            stored_secrets=frozenset({SMSC_PREVIOUS_CALLBACK_SECRET}),
            webhook_query=_smsc_webhook_query,
            check=_smsc_check,
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
