"""Tests of webhook authentication and parsing (`SmsGatewayClient.parse_webhook`).

The captures below are the exact requests a real v9.4.9 server posted,
signed with its API key: PHP-escaped JSON, Guzzle form encoding with `+` for spaces.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
import hashlib
import hmac
import json
from unittest.mock import patch
from urllib.parse import parse_qsl, quote_plus

import aiohttp
from aiohttp import web
import pytest

from custom_components.sms_bridge.api import (
    MessageStatus,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookSignatureError,
)
from custom_components.sms_bridge.api.sms_gateway import (
    MAX_BATCH,
    MAX_TEXT,
    SmsGatewayClient,
    sign,
    verify_signature,
)
from tests.conftest import API_KEY
from tests.simulator import GatewaySimulator

OBSERVED_KEY = "testkey1234567890"
CAPTURE_HI = (
    "+jc86JppzhQ1Q3p7Efog+zrMcYxmjHgx5dFKinnxF/c=",
    "messages=%5B%7B%22ID%22%3A38%2C%22number%22%3A%22%2B11234567890%22%2C%22message%22%3A%22hi"
    "%22%2C%22deviceID%22%3A1%2C%22simSlot%22%3A0%2C%22schedule%22%3Anull%2C%22userID%22%3A2%2C"
    "%22groupID%22%3Anull%2C%22status%22%3A%22Received%22%2C%22resultCode%22%3Anull%2C%22errorC"
    "ode%22%3Anull%2C%22type%22%3Anull%2C%22attachments%22%3Anull%2C%22prioritize%22%3Anull%2C%"
    "22retries%22%3Anull%2C%22sentDate%22%3A%222026-11-22T02%3A17%3A00%2B0000%22%2C%22delivered"
    "Date%22%3A%222026-11-22T02%3A17%3A05%2B0000%22%2C%22expiryDate%22%3Anull%7D%5D",
)
CAPTURE_BATCH = (
    "T38TvcGA+BdSE9nnBHUp3EYI9t3u/aoP1WvIidnJRMs=",
    "messages=%5B%7B%22ID%22%3A41%2C%22number%22%3A%22%2B33612345678%22%2C%22message%22%3A%22%5"
    "Cu00c7a+va%3F+%5Cud83d%5Cude00+a%5C%2Fb+%5C%22q%5C%22+%3Ctag%3E+%26+100%25%22%2C%22deviceID"
    "%22%3A1%2C%22simSlot%22%3Anull%2C%22schedule%22%3Anull%2C%22userID%22%3A2%2C%22groupID%22%3"
    "Anull%2C%22status%22%3A%22Received%22%2C%22resultCode%22%3Anull%2C%22errorCode%22%3Anull%2C"
    "%22type%22%3Anull%2C%22attachments%22%3Anull%2C%22prioritize%22%3Anull%2C%22retries%22%3Anu"
    "ll%2C%22sentDate%22%3A%222026-11-22T02%3A17%3A10%2B0000%22%2C%22deliveredDate%22%3A%222026-"
    "11-22T02%3A17%3A12%2B0000%22%2C%22expiryDate%22%3Anull%7D%2C%7B%22ID%22%3A42%2C%22number%22"
    "%3A%22InfoSMS%22%2C%22message%22%3A%22line1%5Cnline2%22%2C%22deviceID%22%3A1%2C%22simSlot%2"
    "2%3A1%2C%22schedule%22%3Anull%2C%22userID%22%3A2%2C%22groupID%22%3Anull%2C%22status%22%3A%2"
    "2Received%22%2C%22resultCode%22%3Anull%2C%22errorCode%22%3Anull%2C%22type%22%3Anull%2C%22at"
    "tachments%22%3Anull%2C%22prioritize%22%3Anull%2C%22retries%22%3Anull%2C%22sentDate%22%3A%22"
    "2026-11-22T02%3A17%3A11%2B0000%22%2C%22deliveredDate%22%3A%222026-11-22T02%3A17%3A13%2B0000"
    "%22%2C%22expiryDate%22%3Anull%7D%5D",
)
CAPTURE_USSD = (
    "Oc2h0Kq/S6vAHViZSVIvhWcm7uRuwBPUnTaNMPiVvqI=",
    "ussdRequest=%7B%22ID%22%3A1%2C%22request%22%3A%22%2A150%23%22%2C%22response%22%3A%22Your+ba"
    "lance+is+12.50+EUR+%5C%2F+valid+till+31%5C%2F12+%5Cud83d%5Cude00%22%2C%22userID%22%3A2%2C%2"
    "2deviceID%22%3A1%2C%22simSlot%22%3A0%2C%22sentDate%22%3A%222026-11-22T02%3A16%3A48%2B0000%2"
    "2%2C%22responseDate%22%3A%222026-11-22T02%3A17%3A26%2B0000%22%7D",
)
CAPTURE_SPACES = (
    "QlWWHRC2+lmfBV6gJrQx6Krpy6ZRzKLOZIa5mIVh7Tc=",
    "messages=%5B%7B%22ID%22%3A45%2C%22number%22%3A%22%2B15550002222%22%2C%22message%22%3A%22hel"
    "lo+there%22%2C%22deviceID%22%3A1%2C%22simSlot%22%3A0%2C%22schedule%22%3Anull%2C%22userID%22"
    "%3A2%2C%22groupID%22%3Anull%2C%22status%22%3A%22Received%22%2C%22resultCode%22%3Anull%2C%22"
    "errorCode%22%3Anull%2C%22type%22%3Anull%2C%22attachments%22%3Anull%2C%22prioritize%22%3Anul"
    "l%2C%22retries%22%3Anull%2C%22sentDate%22%3A%222026-11-22T02%3A17%3A40%2B0000%22%2C%22deliv"
    "eredDate%22%3A%222026-11-22T02%3A17%3A41%2B0000%22%2C%22expiryDate%22%3Anull%7D%5D",
)
KEY = "webhook-test-key"


def decode_form(body: str) -> list[tuple[str, str]]:
    """Decode a form body as aiohttp's `Request.post()` does (`+` → space, blanks kept)."""
    return parse_qsl(body, keep_blank_values=True)


def headers(signature: str) -> dict[str, str]:
    """Return the headers the gateway sends with a webhook."""
    return {
        "User-Agent": "GuzzleHttp/7",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-SG-Signature": signature,
    }


def signed(field: str, value: str, key: str = KEY) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Return headers and form of a request the gateway would post for ``value``."""
    return headers(sign(key, value)), [(field, value)]


def inbound(
    message_id: int | str, sent: str | None = "2026-11-22T02:17:00+0000", **extra: object
) -> dict[str, object]:
    """Return a received message as the gateway's webhook carries it."""
    item: dict[str, object] = {
        "ID": message_id,
        "number": "+11234567890",
        "message": f"text {message_id}",
        "deviceID": 1,
        "simSlot": 0,
        "status": "Received",
        "type": None,
        "prioritize": None,
        "sentDate": sent,
    }
    return item | extra


@pytest.fixture
def client(session: aiohttp.ClientSession) -> SmsGatewayClient:
    """Return a client whose current API key is ``KEY``."""
    return SmsGatewayClient(session, "http://127.0.0.1:1", KEY)


@pytest.fixture
def observed_client(session: aiohttp.ClientSession) -> SmsGatewayClient:
    """Return a client holding the key of the observed server."""
    return SmsGatewayClient(session, "http://127.0.0.1:1", OBSERVED_KEY)


# -- authentic requests --------------------------------------------------------------------


def test_observed_single_message(observed_client: SmsGatewayClient) -> None:
    """A real capture authenticates and parses with every field."""
    signature, body = CAPTURE_HI
    batch = observed_client.parse_webhook(headers(signature), decode_form(body))
    assert batch.ussd_requests == ()
    (message,) = batch.messages
    assert message.id == 38
    assert message.number == "+11234567890"
    assert message.text == "hi"
    assert message.status is MessageStatus.RECEIVED
    assert message.phone_id == "1"
    assert message.sim_slot == 0
    assert message.group_id is None
    assert message.type is None
    assert message.prioritize is None
    assert message.retries is None
    assert message.sent_at == datetime(2026, 11, 22, 2, 17, tzinfo=UTC)
    assert message.delivered_at == datetime(2026, 11, 22, 2, 17, 5, tzinfo=UTC)


def test_observed_php_escaped_batch(observed_client: SmsGatewayClient) -> None:
    """P11/P12: `\\/`, `\\uXXXX`, `+` for spaces, `&`, `%`, emoji and newlines survive."""
    signature, body = CAPTURE_BATCH
    batch = observed_client.parse_webhook(headers(signature), decode_form(body))
    first, second = batch.messages
    assert first.id == 41
    assert first.text == 'Ça va? 😀 a/b "q" <tag> & 100%'
    assert first.sim_slot is None  # the phone reported -1, the gateway posts null
    assert second.id == 42
    assert second.number == "InfoSMS"
    assert second.text == "line1\nline2"
    assert second.sim_slot == 1


def test_observed_space_is_signed_decoded(observed_client: SmsGatewayClient) -> None:
    """The MAC covers the form-decoded value: `+` must have become a space before checking."""
    signature, body = CAPTURE_SPACES
    (message,) = observed_client.parse_webhook(headers(signature), decode_form(body)).messages
    assert message.text == "hello there"
    raw_value = body.removeprefix("messages=")
    with pytest.raises(WebhookSignatureError):
        observed_client.parse_webhook(headers(signature), [("messages", raw_value)])


def test_observed_ussd_answer(observed_client: SmsGatewayClient) -> None:
    """A USSD answer arrives as one `ussdRequest` object."""
    signature, body = CAPTURE_USSD
    batch = observed_client.parse_webhook(headers(signature), decode_form(body))
    assert batch.messages == ()
    (ussd,) = batch.ussd_requests
    assert ussd.id == 1
    assert ussd.request == "*150#"
    assert ussd.response == "Your balance is 12.50 EUR / valid till 31/12 😀"
    assert ussd.phone_id == "1"
    assert ussd.sim_slot == 0
    assert ussd.sent_at == datetime(2026, 11, 22, 2, 16, 48, tzinfo=UTC)
    assert ussd.responded_at == datetime(2026, 11, 22, 2, 17, 26, tzinfo=UTC)


def test_header_name_is_case_insensitive(observed_client: SmsGatewayClient) -> None:
    """A8: `x-sg-signature` is the same header."""
    signature, body = CAPTURE_HI
    batch = observed_client.parse_webhook({"x-sg-signature": signature}, decode_form(body))
    assert len(batch.messages) == 1


def test_other_fields_are_ignored(client: SmsGatewayClient) -> None:
    """Fields the gateway does not sign are not read."""
    value = json.dumps([inbound(1)])
    request_headers, form = signed("messages", value)
    batch = client.parse_webhook(request_headers, [("noise", ""), *form, ("extra", "x")])
    assert [message.id for message in batch.messages] == [1]


def test_sign_matches_the_gateway() -> None:
    """`sign` computes what the observed server put in the header."""
    signature, body = CAPTURE_USSD
    ((_, value),) = decode_form(body)
    assert sign(OBSERVED_KEY, value) == signature
    expected = hmac.new(OBSERVED_KEY.encode(), value.encode(), hashlib.sha256).digest()
    assert base64.b64decode(signature) == expected


# -- authentication failures -------------------------------------------------------------


@pytest.mark.parametrize(
    "request_headers",
    [
        {},
        {"X-SG-Signature": ""},
        {"HTTP_X_SG_SIGNATURE": "{signature}"},  # The PHP CGI name is not a header
        {"X-Signature": "{signature}"},
    ],
)
def test_missing_signature(client: SmsGatewayClient, request_headers: dict[str, str]) -> None:
    """Without the header nothing is parsed."""
    value = json.dumps([inbound(1)])
    good = sign(KEY, value)
    request_headers = {name: text.format(signature=good) for name, text in request_headers.items()}
    with pytest.raises(WebhookSignatureError):
        client.parse_webhook(request_headers, [("messages", value)])


def test_wrong_key(client: SmsGatewayClient) -> None:
    """A signature made with another key is refused."""
    value = json.dumps([inbound(1)])
    request_headers, form = signed("messages", value, key="another-key")
    with pytest.raises(WebhookSignatureError):
        client.parse_webhook(request_headers, form)


def test_tampered_value(observed_client: SmsGatewayClient) -> None:
    """The original header on a modified value is refused."""
    signature, body = CAPTURE_HI
    ((field, value),) = decode_form(body)
    tampered = value.replace('"hi"', '"hI"')
    with pytest.raises(WebhookSignatureError):
        observed_client.parse_webhook(headers(signature), [(field, tampered)])


def test_reserialised_json_is_not_what_is_signed(observed_client: SmsGatewayClient) -> None:
    """Re-encoding the PHP JSON (here: unescaping `\\/`) breaks the MAC."""
    signature, body = CAPTURE_USSD
    ((field, value),) = decode_form(body)
    assert "\\/" in value
    with pytest.raises(WebhookSignatureError):
        observed_client.parse_webhook(headers(signature), [(field, value.replace("\\/", "/"))])


def test_invalid_utf8_escape_fails_the_mac(client: SmsGatewayClient) -> None:
    """P10: `%FF%FE` decodes to U+FFFD, so the MAC of the original bytes cannot match."""
    value = json.dumps([inbound(1, message="caf\u00e9")])
    signature = sign(KEY, value)
    body = "messages=" + quote_plus(value).replace("caf%5Cu00e9", "caf%FF%FE")
    with pytest.raises(WebhookSignatureError):
        client.parse_webhook(headers(signature), decode_form(body))


@pytest.mark.parametrize(
    "signature",
    [
        "!!!",  # not base64
        "   ",  # whitespace only
        base64.b64encode(b"short").decode(),  # wrong length
        "{hex}",  # hex digest instead of base64
        "{good}\n",  # trailing garbage
        "{good_unpadded}",  # missing padding
        "é",  # Non-ASCII header value
        "{good}é",
    ],
)
def test_malformed_signature(client: SmsGatewayClient, signature: str) -> None:
    """Anything but standard base64 of 32 bytes is refused, never a crash."""
    value = json.dumps([inbound(1)])
    good = sign(KEY, value)
    hex_digest = hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    signature = signature.format(good=good, good_unpadded=good.rstrip("="), hex=hex_digest)
    with pytest.raises(WebhookSignatureError):
        client.parse_webhook(headers(signature), [("messages", value)])
    assert not verify_signature(KEY, value, signature)


def test_lone_surrogate_in_value_fails_closed() -> None:
    """A value that cannot be encoded as UTF-8 cannot be authentic."""
    value = "[\ud83d]"
    assert not verify_signature(KEY, value, sign(KEY, "[]"))


def test_constant_time_compare(client: SmsGatewayClient) -> None:
    """Digests are compared with `hmac.compare_digest`, as bytes."""
    value = json.dumps([inbound(1)])
    request_headers, form = signed("messages", value)
    with patch("hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        client.parse_webhook(request_headers, form)
    compare.assert_called_once()
    provided, expected = compare.call_args.args
    assert isinstance(provided, bytes)
    assert provided == expected


def test_empty_key_fails_closed(session: aiohttp.ClientSession) -> None:
    """With no API key nothing authenticates, not even a MAC made with the empty key."""
    value = json.dumps([inbound(1)])
    keyless = SmsGatewayClient(session, "http://127.0.0.1:1", "", previous_api_keys=("",))
    with pytest.raises(WebhookSignatureError):
        keyless.parse_webhook(*signed("messages", value, key=""))
    assert not verify_signature("", value, sign("", value))


def test_key_rotation(session: aiohttp.ClientSession) -> None:
    """A previous key authenticates while it is kept, and only then."""
    value = json.dumps([inbound(1)])
    old_signed = signed("messages", value, key="old-key")
    rotating = SmsGatewayClient(session, "http://x", "new-key", previous_api_keys=("old-key",))
    assert len(rotating.parse_webhook(*old_signed).messages) == 1
    assert len(rotating.parse_webhook(*signed("messages", value, key="new-key")).messages) == 1
    rotated = SmsGatewayClient(session, "http://x", "new-key")
    with pytest.raises(WebhookSignatureError):
        rotated.parse_webhook(*old_signed)


# -- payload errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        [],  # neither field
        [("other", "x")],
        [("messages", "[]"), ("ussdRequest", "{}")],  # Both
        [("messages", "[]"), ("messages", "[]")],  # Duplicated
    ],
)
def test_field_count(client: SmsGatewayClient, form: list[tuple[str, str]]) -> None:
    """Exactly one `messages` or `ussdRequest` field, so what is verified is what is read."""
    with pytest.raises(WebhookPayloadError) as err:
        client.parse_webhook(headers(sign(KEY, "[]")), form)
    assert not isinstance(err.value, WebhookPayloadTooLargeError)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("messages", "not json"),
        ("messages", json.dumps(inbound(1))),  # Object instead of list
        ("messages", '["a", "b"]'),
        ("messages", json.dumps([inbound(1), 5])),
        ("messages", json.dumps([{"number": "+1", "message": "x"}])),  # no ID
        ("messages", json.dumps([inbound(1) | {"ID": {"x": 1}}])),
        ("messages", json.dumps([inbound(1) | {"ID": "abc"}])),
        ("messages", json.dumps([{"ID": 1, "message": "x"}])),  # no number
        ("messages", json.dumps([inbound(1) | {"number": 33612345678}])),
        ("messages", json.dumps([{"ID": 1, "number": "+1"}])),  # no text
        ("messages", json.dumps([inbound(1) | {"message": None}])),
        ("ussdRequest", "not json"),
        ("ussdRequest", json.dumps([{"ID": 1, "request": "*150#"}])),  # List as USSD
        ("ussdRequest", json.dumps({"request": "*150#", "response": "x"})),
        ("ussdRequest", json.dumps({"ID": 1, "response": "x"})),
    ],
)
def test_payload_shape(client: SmsGatewayClient, field: str, value: str) -> None:
    """An authentic request with an unreadable payload is a payload error."""
    with pytest.raises(WebhookPayloadError) as err:
        client.parse_webhook(*signed(field, value))
    assert not isinstance(err.value, WebhookPayloadTooLargeError)


@pytest.mark.parametrize(
    "message_id",
    [
        2**64,  # beyond what Home Assistant can store
        2**53,  # beyond what the frontend shows exactly
        str(2**64),
        -1,
        True,  # JSON true is not message 1
        False,
        "\u0667\u0667",  # Arabic-Indic digits: int() reads 77
        "\uff11\uff12",  # full-width digits: int() reads 12
        "1_000",
        "0x10",
        1.0,
        "",
        None,
        [],
    ],
)
def test_message_id_out_of_range_or_not_a_number(
    client: SmsGatewayClient, message_id: object
) -> None:
    """An ID that is not a whole number in ASCII digits, from 0 to 2**53 - 1, refuses the batch."""
    value = json.dumps([inbound(1), inbound(2) | {"ID": message_id}])
    with pytest.raises(WebhookPayloadError, match=r"^Message 2 has no valid 'ID' \(a whole"):
        client.parse_webhook(*signed("messages", value))


def test_largest_message_id(client: SmsGatewayClient) -> None:
    """The bounds are inclusive, and ids given as ASCII digits with blanks around are read."""
    value = json.dumps([inbound(2**53 - 1), inbound(" 0 ")])
    batch = client.parse_webhook(*signed("messages", value))
    assert [message.id for message in batch.messages] == [0, 2**53 - 1]


@pytest.mark.parametrize("ussd_id", [None, {"ID": 1}, [1], True, 2**64, -1, "\u0667"])
def test_ussd_id_out_of_range_or_not_a_number(client: SmsGatewayClient, ussd_id: object) -> None:
    """A USSD answer is refused for its ID as a message is."""
    value = json.dumps({"ID": ussd_id, "request": "*150#", "response": "Balance: 1"})
    with pytest.raises(WebhookPayloadError, match="no valid 'ID'"):
        client.parse_webhook(*signed("ussdRequest", value))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"number": None}, "Message 1 lacks its 'number' or 'message' text"),
        ({"message": ["text"]}, "Message 1 lacks its 'number' or 'message' text"),
    ],
)
def test_payload_errors_name_the_message(
    client: SmsGatewayClient, changes: dict[str, object], error: str
) -> None:
    """The error says which message and which field is wrong, without quoting any value."""
    value = json.dumps([inbound(1) | changes, inbound(2)])
    with pytest.raises(WebhookPayloadError) as err:
        client.parse_webhook(*signed("messages", value))
    assert str(err.value) == error
    value = json.dumps([inbound(1), "+33612345678"])
    with pytest.raises(WebhookPayloadError) as err:
        client.parse_webhook(*signed("messages", value))
    assert str(err.value) == "Message 2 of the batch is not an object"


def test_out_of_range_optional_numbers_are_dropped(client: SmsGatewayClient) -> None:
    """Numbers no gateway writes leave their field empty; the message itself is kept.

    Each would make the event impossible to store: Home Assistant's JSON stops at 64 bits,
    and a date past year 9999 cannot even be made.
    """
    huge = 10**30
    value = json.dumps(
        [
            inbound(
                1,
                deviceID=2**64,
                simSlot=huge,
                schedule=10**20,
                resultCode=huge,
                errorCode=-huge,
                retries=huge,
                prioritize=huge,
                status="Failed",
            )
        ]
    )
    (message,) = client.parse_webhook(*signed("messages", value)).messages
    assert message.id == 1
    assert message.text == "text 1"
    assert (message.phone_id, message.sim_slot, message.schedule) == (None, None, None)
    assert (message.result_code, message.error_code, message.retries) == (None, None, None)
    assert message.prioritize is None
    assert message.failure_reason == "unknown"
    json.dumps(message.as_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"simSlot": 255, "deviceID": 2**53 - 1}, {"sim_slot": 255, "phone_id": str(2**53 - 1)}),
        ({"simSlot": 256, "deviceID": 2**53}, {"sim_slot": None, "phone_id": None}),
        ({"simSlot": True, "deviceID": True}, {"sim_slot": None, "phone_id": None}),
        ({"simSlot": "\u0661", "deviceID": "\uff11"}, {"sim_slot": None, "phone_id": None}),
        ({"schedule": 253370764799}, {"schedule": datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)}),
        ({"schedule": 253370764800}, {"schedule": None}),
        ({"schedule": -1}, {"schedule": None}),
        ({"schedule": 1e300}, {"schedule": None}),
        ({"resultCode": 2**31 - 1, "errorCode": -(2**31)}, {"result_code": 2**31 - 1}),
        ({"resultCode": 2**31, "errorCode": -(2**31) - 1}, {"result_code": None}),
        ({"sentDate": "0001-01-01T00:00:00+01:00"}, {"sent_at": None}),  # before year 1 in UTC
        ({"sentDate": "9999-12-31T23:59:59-01:00"}, {"sent_at": None}),  # after 9999 in UTC
        ({"sentDate": "1969-12-31T23:59:59+00:00"}, {"sent_at": None}),
        ({"sentDate": "1970-01-01T01:00:00+01:00"}, {"sent_at": datetime(1970, 1, 1, tzinfo=UTC)}),
        ({"message": "broken \ud83d pair"}, {"text": "broken \ufffd pair"}),
        ({"number": "\udc00"}, {"number": "\ufffd"}),
    ],
)
def test_field_bounds(
    client: SmsGatewayClient, fields: dict[str, object], expected: dict[str, object]
) -> None:
    """Each bounded field keeps its limits and drops what lies beyond them."""
    value = json.dumps([inbound(1) | fields])
    (message,) = client.parse_webhook(*signed("messages", value)).messages
    assert {name: getattr(message, name) for name in expected} == expected
    json.dumps(message.as_dict(), allow_nan=False).encode()  # no lone surrogate survives


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("messages", "[" * 20_000 + "]" * 20_000),  # a RecursionError in Python's reader
        ("messages", "[" * 5_000 + "]" * 5_000),  # read by Python 3.13, not by older ones
        ("messages", "[" + '{"ID": 1, "x": ' * 10_000 + "1" + "}" * 10_000 + "]"),
        ("ussdRequest", '{"ID": 1, "request": ' + "[" * 20_000 + "]" * 20_000 + "}"),
    ],
    ids=["list", "list_python_reads", "object", "ussd"],
)
def test_deeply_nested_json(client: SmsGatewayClient, field: str, value: str) -> None:
    """JSON nested far deeper than any gateway writes is a payload error, not a RecursionError."""
    with pytest.raises(WebhookPayloadError, match="nested over 32 levels"):
        client.parse_webhook(*signed(field, value))


def test_nesting_limit(client: SmsGatewayClient) -> None:
    """Up to 32 levels are read (in a field nobody reads); brackets inside text do not count."""
    brackets = "[{" * 100
    item = json.dumps(inbound(1, message=brackets))[:-1]
    levels_30 = "[" * 30 + "]" * 30  # + the message object + the batch list = 32
    value = f'[{item}, "x": {levels_30}}}]'
    (message,) = client.parse_webhook(*signed("messages", value)).messages
    assert message.text == brackets
    too_deep = f'[{item}, "x": [{levels_30}]}}]'
    with pytest.raises(WebhookPayloadError, match="nested over 32 levels"):
        client.parse_webhook(*signed("messages", too_deep))


def test_nan_and_infinity_are_no_numbers(client: SmsGatewayClient) -> None:
    """Python's JSON reader takes NaN and Infinity; no bounded field keeps them."""
    value = (
        '[{"ID": 1, "number": "+1", "message": "x", "deviceID": NaN, "simSlot": Infinity,'
        ' "schedule": -Infinity, "retries": NaN, "groupID": NaN}]'
    )
    (message,) = client.parse_webhook(*signed("messages", value)).messages
    assert (message.phone_id, message.sim_slot, message.schedule) == (None, None, None)
    assert (message.retries, message.group_id) == (None, None)
    with pytest.raises(WebhookPayloadError, match="no valid 'ID'"):
        client.parse_webhook(*signed("messages", value.replace('"ID": 1', '"ID": NaN')))


def test_messages_value_posted_as_ussd(observed_client: SmsGatewayClient) -> None:
    """The field name is not signed, but a message list is not a USSD object."""
    signature, body = CAPTURE_HI
    ((_, value),) = decode_form(body)
    with pytest.raises(WebhookPayloadError):
        observed_client.parse_webhook(headers(signature), [("ussdRequest", value)])


def test_signature_checked_before_json(client: SmsGatewayClient) -> None:
    """An unsigned payload is refused as unauthentic, whatever it contains."""
    with pytest.raises(WebhookSignatureError):
        client.parse_webhook(headers(sign("other", "not json")), [("messages", "not json")])


def test_batch_size_cap(client: SmsGatewayClient) -> None:
    """At most MAX_BATCH messages in one request."""
    full = [inbound(i) for i in range(1, MAX_BATCH + 1)]
    assert len(client.parse_webhook(*signed("messages", json.dumps(full))).messages) == MAX_BATCH
    too_many = [*full, inbound(MAX_BATCH + 1)]
    with pytest.raises(WebhookPayloadTooLargeError):
        client.parse_webhook(*signed("messages", json.dumps(too_many)))


def test_text_size_cap(client: SmsGatewayClient) -> None:
    """At most MAX_TEXT characters in one message."""
    longest = json.dumps([inbound(1, message="x" * MAX_TEXT)])
    (message,) = client.parse_webhook(*signed("messages", longest)).messages
    assert len(message.text) == MAX_TEXT
    too_long = json.dumps([inbound(1), inbound(2, message="x" * (MAX_TEXT + 1))])
    with pytest.raises(WebhookPayloadTooLargeError):
        client.parse_webhook(*signed("messages", too_long))


def test_empty_batch(client: SmsGatewayClient) -> None:
    """An authentic empty list is an empty batch, not an error."""
    assert client.parse_webhook(*signed("messages", "[]")).messages == ()


# -- tolerant parsing and ordering -------------------------------------------------------


def test_tolerant_message_fields(client: SmsGatewayClient) -> None:
    """Numbers as strings, nulls, unknown fields and odd values never fail a batch."""
    items = [
        inbound(
            "7",
            deviceID="2",
            simSlot="1",
            groupID=None,
            unknownField={"nested": True},
            sentDate="2026-11-22T04:17:00+02:00",
        ),
        inbound(8, deviceID=None, simSlot=-1, status="Whatever", sentDate="1795313833000"),
        inbound(9, simSlot=5, deviceID="abc", sentDate=None),
    ]
    seven, eight, nine = client.parse_webhook(*signed("messages", json.dumps(items))).messages
    assert seven.id == 7
    assert seven.phone_id == "2"
    assert seven.sim_slot == 1
    assert seven.group_id is None
    assert seven.sent_at == datetime(2026, 11, 22, 2, 17, tzinfo=UTC)
    assert eight.phone_id is None
    assert eight.sim_slot is None
    assert eight.status is MessageStatus.UNKNOWN
    assert eight.sent_at is None
    assert nine.sim_slot == 5
    assert nine.phone_id is None


def test_batch_is_sorted_by_sent_date_then_id(client: SmsGatewayClient) -> None:
    """Messages come out in (sent date, ID) order, undated ones last."""
    items = [
        inbound(5, sent=None),
        inbound(3, sent="2026-11-22T02:17:00+0000"),
        inbound(1, sent="2026-11-22T02:18:00+0000"),
        inbound(4, sent="2026-11-22T03:16:30+01:00"),  # 02:16:30 UTC
        inbound(2, sent="2026-11-22T02:17:00+00:00"),
        inbound(0, sent="bad date"),
    ]
    batch = client.parse_webhook(*signed("messages", json.dumps(items)))
    assert [message.id for message in batch.messages] == [4, 2, 3, 1, 0, 5]


def test_naive_sent_date_does_not_break_sorting(client: SmsGatewayClient) -> None:
    """A date without an offset is not one the gateway writes: it is dropped, not compared."""
    items = [inbound(2, sent="2026-11-22 02:17:11"), inbound(1, sent="2026-11-22T02:17:00+0000")]
    first, second = client.parse_webhook(*signed("messages", json.dumps(items))).messages
    assert (first.id, second.id) == (1, 2)
    assert second.sent_at is None


def test_ussd_with_strings_and_nulls(client: SmsGatewayClient) -> None:
    """A USSD answer with string numbers and no answer yet parses."""
    value = json.dumps(
        {"ID": "3", "request": "*101#", "response": None, "deviceID": "1", "simSlot": None}
    )
    (ussd,) = client.parse_webhook(*signed("ussdRequest", value)).ussd_requests
    assert (ussd.id, ussd.request, ussd.response, ussd.phone_id, ussd.sim_slot) == (
        3,
        "*101#",
        None,
        "1",
        None,
    )
    assert ussd.sent_at is None


# -- end to end: what the simulator posts -----------------------------------------------------


class Receiver:
    """An HTTP endpoint keeping what the gateway posts, decoded as aiohttp does."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self.requests: list[tuple[dict[str, str], list[tuple[str, str]]]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append(
            (dict(request.headers), [(name, str(value)) for name, value in form.items()])
        )
        return web.Response()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def receiver(simulator: GatewaySimulator) -> AsyncGenerator[Receiver]:
    """Run a webhook receiver and point the simulator at it."""
    hook = Receiver()
    await hook.start()
    simulator.webhook_url = hook.url
    try:
        yield hook
    finally:
        await hook.stop()


@pytest.fixture
def sim_client(session: aiohttp.ClientSession, simulator: GatewaySimulator) -> SmsGatewayClient:
    """Return a client of the simulator's account."""
    return SmsGatewayClient(session, simulator.url, API_KEY)


async def test_simulated_sms(
    sim_client: SmsGatewayClient, simulator: GatewaySimulator, receiver: Receiver
) -> None:
    """What the gateway posts for an incoming SMS authenticates and parses exactly."""
    text = 'Ça va? 😀 a/b "q" <tag> & 100% +33 = ok\n\u05d1\u05d3\u05d9\u05e7\u05d4'
    row = await simulator.receive_sms("+33612345678", text, phone_id=2, sim_slot=None)
    ((request_headers, form),) = receiver.requests
    assert request_headers["User-Agent"] == "GuzzleHttp/7"
    (message,) = sim_client.parse_webhook(request_headers, form).messages
    assert message.id == row["ID"]
    assert message.text == text
    assert message.number == "+33612345678"
    assert message.phone_id == "2"
    assert message.sim_slot is None
    assert message.status is MessageStatus.RECEIVED
    assert message.sent_at is not None


async def test_simulated_ussd_answer(
    sim_client: SmsGatewayClient, simulator: GatewaySimulator, receiver: Receiver
) -> None:
    """The `ussdRequest` webhook of an answered USSD request parses to the answer."""
    sent = await sim_client.send_ussd("1", "*150#", sim_slot=1)
    await simulator.answer_ussd(sent.id, "Solde: 12,50 € / valide")
    ((request_headers, form),) = receiver.requests
    batch = sim_client.parse_webhook(request_headers, form)
    assert batch.messages == ()
    (ussd,) = batch.ussd_requests
    assert (ussd.id, ussd.request, ussd.response) == (sent.id, "*150#", "Solde: 12,50 € / valide")
    assert (ussd.phone_id, ussd.sim_slot) == ("1", 1)


@pytest.mark.parametrize("signature", ["forged", ""])
async def test_simulated_forgery(
    sim_client: SmsGatewayClient,
    simulator: GatewaySimulator,
    receiver: Receiver,
    signature: str,
) -> None:
    """A forged or missing signature on a real post is refused."""
    await simulator.post_webhook("messages", json.dumps([inbound(1)]), signature=signature)
    ((request_headers, form),) = receiver.requests
    with pytest.raises(WebhookSignatureError):
        sim_client.parse_webhook(request_headers, form)


async def test_simulated_post_with_another_key(
    session: aiohttp.ClientSession, simulator: GatewaySimulator, receiver: Receiver
) -> None:
    """After a key change, posts signed with the old key pass only while it is kept."""
    await simulator.receive_sms("+33612345678", "signed with the old key")
    ((request_headers, form),) = receiver.requests
    rotating = SmsGatewayClient(session, simulator.url, "new-key", previous_api_keys=(API_KEY,))
    assert len(rotating.parse_webhook(request_headers, form).messages) == 1
    with pytest.raises(WebhookSignatureError):
        SmsGatewayClient(session, simulator.url, "new-key").parse_webhook(request_headers, form)
