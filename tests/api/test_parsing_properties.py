"""Property-based tests of every parser: whatever JSON arrives, nothing but our own errors leave.

Each example takes a well-formed webhook payload or gateway answer and puts arbitrary JSON into
some of its fields: huge integers, booleans, digits of other scripts, NaN and Infinity, halves
of surrogate pairs, nesting far past Python's recursion limit. Parsing must then either return
models whose every value Home Assistant can store (numbers within their bounds, text that is
valid UTF-8, dates it can compute with), or raise the library's own error for that input.
Webhook requests are signed with the right key, so every example gets past the signature;
answers are served over HTTP by a canned gateway. The cases that once broke parsing are always
tried first (``@example``), whatever the random draw.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
import dataclasses
from datetime import datetime
import json
import re
from typing import Any

import aiohttp
from hypothesis import HealthCheck, example, given, settings, strategies as st
import pytest

from custom_components.sms_bridge.api import (
    Account,
    Contact,
    GatewayApiError,
    GatewayResponseError,
    InboundBatch,
    Message,
    MessageQuery,
    Phone,
    SendRequest,
    Sim,
    UssdQuery,
    UssdRequest,
    WebhookPayloadError,
)
from custom_components.sms_bridge.api.rbsoft import (
    MAX_CODE,
    MAX_COUNT,
    MAX_CREDITS,
    MAX_SIM_SLOT,
    MIN_CODE,
    SmsGatewayClient,
    sign,
)
from custom_components.sms_bridge.api.transport import MAX_RETRY_AFTER
from custom_components.sms_bridge.api.values import EARLIEST, LATEST, MAX_ID
from tests.api.canned import CannedGateway

KEY = "property-key"

# Few examples on purpose (CI runs the suite twice on two cores): the strategies lean on edges.
FAST = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- arbitrary JSON, leaning on the values that broke parsing ----------------------------------

EDGE_INTS = st.sampled_from(
    [0, 1, 255, 256, 2**31 - 1, 2**31, 2**53 - 1, 2**53, 2**63, 2**64, 10**20, 10**30, 10**400]
)
INTS = st.one_of(EDGE_INTS, EDGE_INTS.map(lambda n: -n), st.integers(-(2**70), 2**70))
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
# Digits of every script: int() and float() read them all, a gateway writes ASCII only.
DIGITS = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=6)
NUMBER_TEXT = st.one_of(
    DIGITS,
    INTS.map(str),
    INTS.map(lambda n: f" {n} "),
    st.sampled_from(["1_000", "+5", "-0", "1e3", "1e400", "0x10", "NaN", "Infinity", "9" * 30]),
)
LONE_SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
OFFSETS = st.sampled_from(["+00:00", "+0000", "Z", "-23:59", "+14:00", ""])
DATES = st.builds(lambda moment, offset: moment.isoformat() + offset, st.datetimes(), OFFSETS)
EDGES = st.one_of(st.booleans(), INTS, FLOATS, NUMBER_TEXT, LONE_SURROGATES, DATES)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.text(max_size=8), EDGES),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
CLOSERS = {"[": "]", '{"a": ': "}", '[{"ID": ': "}]"}


def deep(depth: int, opener: str = "[") -> str:
    """Return JSON nested ``depth`` times."""
    return opener * depth + "1" + CLOSERS[opener] * depth


# From a couple of levels to far past any recursion limit (20 000 is what Python 3.13 refuses).
DEEP = st.builds(
    deep,
    st.sampled_from([2, 32, 33, 990, 5_000, 20_000]) | st.integers(1, 30_000),
    st.sampled_from(list(CLOSERS)),
)
NOT_REBUILT = object()  # the value of a fragment too deep to rebuild in Python


def fragment(value: Any) -> tuple[str, Any]:
    """Return ``value`` as JSON text, with the value itself."""
    return json.dumps(value), value


# A fragment is JSON text with the value it stands for.
FRAGMENTS: st.SearchStrategy[tuple[str, Any]] = st.one_of(
    EDGES.map(fragment),
    JSON_VALUES.map(fragment),
    DEEP.map(lambda text: (text, NOT_REBUILT)),
)

# -- well-formed payloads and answers, with some fields replaced -------------------------------

MESSAGE = {
    "ID": 41,
    "number": "+33612345678",
    "message": "Hello",
    "deviceID": 1,
    "simSlot": 0,
    "schedule": 1795317357,
    "userID": 1,
    "groupID": "UOcj3cW3dyDjgNeyVh6b02505cdba388.45053616",
    "status": "Failed",
    "resultCode": 1,
    "errorCode": 0,
    "type": "sms",
    "attachments": "https://example.com/a.png",
    "prioritize": 0,
    "retries": 0,
    "sentDate": "2025-05-01T10:00:00+0000",
    "deliveredDate": "2025-05-01T10:00:02+00:00",
    "expiryDate": None,
}
USSD = {
    "ID": 7,
    "request": "*150#",
    "response": "Balance: 10.00",
    "userID": 1,
    "deviceID": 1,
    "simSlot": 0,
    "sentDate": "2025-05-01T10:00:00+0000",
    "responseDate": "2025-05-01T10:00:09+0000",
}
PHONE = {
    "id": 1,
    "name": "Office",
    "model": "SM-A600FN",
    "androidVersion": "10",
    "appVersion": "9.4.9",
    "lastSeenAt": "2025-05-01T10:00:00+00:00",
    "sims": ["SIM #1 [Free]", "SIM #2 [+33600000002]"],
}
CONTACT = {"ID": 5, "name": "Probe", "number": "+1555", "subscribed": True, "contactsListID": 1}

Changes = dict[str, tuple[str, Any]]


def object_text(base: dict[str, Any], changes: Changes) -> str:
    """Return ``base`` as JSON text with the changed fields' text put in."""
    fields = {name: json.dumps(value) for name, value in base.items()} | {
        name: text for name, (text, _) in changes.items()
    }
    return "{" + ", ".join(f"{json.dumps(name)}: {text}" for name, text in fields.items()) + "}"


def objects(base: dict[str, Any]) -> st.SearchStrategy[tuple[str, Changes]]:
    """Return ``base`` with some fields (known or not) replaced; its id every other time."""
    id_field = next(iter(base))

    def build(changes: Changes, new_id: tuple[str, Any] | None) -> tuple[str, Changes]:
        if new_id is not None:
            changes = changes | {id_field: new_id}
        return object_text(base, changes), changes

    names = st.sampled_from([*base, "unknownField"])
    return st.builds(build, st.dictionaries(names, FRAGMENTS, max_size=4), st.none() | FRAGMENTS)


def lists(
    item: st.SearchStrategy[tuple[str, Changes]],
) -> st.SearchStrategy[tuple[str, list[tuple[str, Changes | None]]]]:
    """Return a JSON list of items, now and then one replaced by any JSON (changes None)."""
    entry = item | FRAGMENTS.map(lambda replaced: (replaced[0], None))
    return st.lists(entry, max_size=3).map(
        lambda items: ("[" + ", ".join(text for text, _ in items) + "]", items)
    )


def one(base: dict[str, Any], **values: Any) -> tuple[str, list[tuple[str, Changes | None]]]:
    """Return a list of one ``base`` object with ``values`` put in (for ``@example``)."""
    changes = {
        name: (value, NOT_REBUILT) if name == "deep" else fragment(value)
        for name, value in values.items()
    }
    text = object_text(base, changes)
    return f"[{text}]", [(text, changes)]


# -- what every parsed model must satisfy ------------------------------------------------------

BOUNDS = {
    (Message, "id"): (0, MAX_ID),
    (Message, "sim_slot"): (0, MAX_SIM_SLOT),
    (Message, "result_code"): (MIN_CODE, MAX_CODE),
    (Message, "error_code"): (MIN_CODE, MAX_CODE),
    (Message, "retries"): (0, MAX_COUNT),
    (UssdRequest, "id"): (0, MAX_ID),
    (UssdRequest, "sim_slot"): (0, MAX_SIM_SLOT),
    (Sim, "slot"): (0, MAX_SIM_SLOT),
    (Contact, "id"): (0, MAX_ID),
    (Contact, "list_id"): (0, MAX_ID),
    (Account, "credits"): (-MAX_CREDITS, MAX_CREDITS),
}
PHONE_ID = re.compile(r"[0-9]{1,16}")


def check_value(model: object, name: str, value: Any) -> None:
    """Check one field: of a type it is declared with, within its bounds, storable."""
    if isinstance(value, tuple):
        for item in value:
            check_value(model, name, item)
    elif dataclasses.is_dataclass(value):
        check_model(value)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int | float):
        low, high = BOUNDS[(type(model), name)]
        assert low <= value <= high, f"{type(model).__name__}.{name} = {value!r}"
    elif isinstance(value, str):
        value.encode("utf-8")  # a lone surrogate would make Home Assistant's JSON fail
        if name == "phone_id" or (isinstance(model, Phone) and name == "id"):
            assert PHONE_ID.fullmatch(value)
            assert int(value) <= MAX_ID
    elif isinstance(value, datetime):
        assert value.tzinfo is not None
        assert EARLIEST <= value < LATEST, f"{type(model).__name__}.{name} = {value!r}"
    else:
        raise AssertionError(f"{type(model).__name__}.{name} holds a {type(value).__name__}")


def check_model(model: Any) -> None:
    """Check every field of a parsed model, and that what it gives Home Assistant is JSON."""
    for field in dataclasses.fields(model):
        check_value(model, field.name, getattr(model, field.name))
    if hasattr(model, "as_dict"):
        json.dumps(model.as_dict(), allow_nan=False).encode("utf-8")


def valid_id(value: Any) -> int | None:
    """Return what a message or USSD ID must be read as, or None when it is no ID.

    A whole number from 0 to MAX_ID, as a JSON number or as ASCII digits with blanks around;
    never a boolean, a float, or digits of another script.
    """
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,20}", text, re.ASCII):
            return None
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_ID else None


# -- the webhook parser ------------------------------------------------------------------------


@pytest.fixture
def client(session: aiohttp.ClientSession, canned: CannedGateway) -> SmsGatewayClient:
    """Return a client of the canned gateway, whose key also signs the webhooks."""
    return SmsGatewayClient(session, canned.url, KEY)


def parse(client: SmsGatewayClient, field: str, value: str) -> InboundBatch | None:
    """Parse a correctly signed webhook; None when it was refused as a payload error."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-SG-Signature": ""}
    headers["X-SG-Signature"] = sign(KEY, value)
    try:
        batch = client.parse_form(headers, [(field, value)])
    except WebhookPayloadError as err:
        error = str(err)
    else:
        for model in (*batch.messages, *batch.ussd_requests):
            check_model(model)
        return batch
    assert len(error) < 120  # names the problem, quotes nothing
    return None


@FAST
@example(payload=one(MESSAGE, ID=2**64))
@example(payload=one(MESSAGE, ID=True))
@example(payload=one(MESSAGE, ID="\u0667\u0667"))  # Arabic-Indic 77
@example(payload=one(MESSAGE, ID="\uff11\uff12"))  # full-width 12
@example(payload=one(MESSAGE, simSlot=10**30, deviceID=2**64, retries=10**30))
@example(payload=one(MESSAGE, schedule=10**20))
@example(payload=one(MESSAGE, deep=deep(20_000)))
@example(payload=one(MESSAGE, deep=deep(5_000)))
@given(payload=lists(objects(MESSAGE)))
def test_webhook_messages(
    client: SmsGatewayClient, payload: tuple[str, list[tuple[str, Changes | None]]]
) -> None:
    """A batch is read only when every message has a valid ID, and then with those ids."""
    text, items = payload
    batch = parse(client, "messages", text)
    expected = []
    for _, changes in items:
        if changes is None:  # replaced by JSON that is never a readable message
            assert batch is None
            return
        given_id = changes["ID"][1] if "ID" in changes else MESSAGE["ID"]
        if (message_id := valid_id(given_id)) is None:
            assert batch is None, f"the ID {given_id!r} was taken"
            return
        expected.append(str(message_id))
    if batch is not None:
        assert sorted(message.id for message in batch.messages) == sorted(expected)


@FAST
@example(payload=(deep(20_000), NOT_REBUILT))
@example(payload=(deep(20_000, '{"a": '), NOT_REBUILT))
@given(payload=FRAGMENTS)
def test_webhook_any_json(client: SmsGatewayClient, payload: tuple[str, Any]) -> None:
    """Any JSON at all as the `messages` or `ussdRequest` field."""
    parse(client, "messages", payload[0])
    parse(client, "ussdRequest", payload[0])


@FAST
@example(payload=(object_text(USSD, {"ID": fragment(None)}), {"ID": fragment(None)}))
@example(payload=(object_text(USSD, {"ID": fragment({"a": 1})}), {"ID": fragment({"a": 1})}))
@example(payload=(object_text(USSD, {"simSlot": fragment(10**30)}), {}))
@given(payload=objects(USSD))
def test_webhook_ussd(client: SmsGatewayClient, payload: tuple[str, Changes]) -> None:
    """A USSD answer is read only when its ID is valid, and then with that ID."""
    text, changes = payload
    batch = parse(client, "ussdRequest", text)
    given_id = changes["ID"][1] if "ID" in changes else USSD["ID"]
    if valid_id(given_id) is None:
        assert batch is None, f"the ID {given_id!r} was taken"
    elif batch is not None:
        assert [ussd.id for ussd in batch.ussd_requests] == [str(valid_id(given_id))]


# -- the answer parsers ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Call:
    """A client call, the script that answers it, and the shape of a good answer."""

    script: str
    run: Callable[[SmsGatewayClient], Coroutine[Any, Any, Any]]
    key: str  # the member of `data` holding the answer
    base: dict[str, Any] | None  # None: the answer is one number
    many: bool = True  # a list of objects rather than one


CALLS = {
    "account": Call("send.php", lambda c: c.account(), "credits", None),
    "phones": Call("get-devices.php", lambda c: c.phones(), "devices", PHONE),
    "send": Call(
        "send.php", lambda c: c.send(SendRequest(("+1555", "+1556"), "x")), "messages", MESSAGE
    ),
    "send_to_list": Call(
        "send.php", lambda c: c.send_to_list(1, SendRequest((), "x")), "messages", MESSAGE
    ),
    "messages": Call(
        "read-messages.php", lambda c: c.messages(MessageQuery(message_id="1")), "messages", MESSAGE
    ),
    "resend": Call(
        "resend.php", lambda c: c.resend(MessageQuery(message_id="1")), "messages", MESSAGE
    ),
    "subscribe_contact": Call(
        "manage-contacts.php",
        lambda c: c.subscribe_contact(1, "+1555"),
        "contact",
        CONTACT,
        many=False,
    ),
    "unsubscribe_contact": Call(
        "manage-contacts.php",
        lambda c: c.unsubscribe_contact(1, "+1555"),
        "contact",
        CONTACT,
        many=False,
    ),
    "send_ussd": Call(
        "send-ussd-request.php", lambda c: c.send_ussd("1", "*150#"), "request", USSD, many=False
    ),
    "ussd_requests": Call(
        "read-ussd-requests.php",
        lambda c: c.ussd_requests(UssdQuery(ussd_id="1")),
        "requests",
        USSD,
    ),
}


def success(key: str, answer: str) -> str:
    """Return a successful envelope whose `data` holds ``answer`` (JSON text) under ``key``."""
    return f'{{"success": true, "data": {{"{key}": {answer}}}, "error": null}}'


def envelopes(call: Call) -> st.SearchStrategy[str]:
    """Return answers to ``call``: a success with fields replaced, any error, or any JSON."""
    if call.base is None:
        answer: st.SearchStrategy[tuple[str, Any]] = FRAGMENTS
    elif call.many:
        answer = lists(objects(call.base))
    else:
        answer = objects(call.base)
    return st.one_of(
        answer.map(lambda value: success(call.key, value[0])),
        FRAGMENTS.map(lambda data: f'{{"success": true, "data": {data[0]}}}'),
        st.tuples(FRAGMENTS, FRAGMENTS).map(
            lambda error: (
                f'{{"success": false, "data": null, '
                f'"error": {{"code": {error[0][0]}, "message": {error[1][0]}}}}}'
            )
        ),
        FRAGMENTS.map(lambda document: document[0]),
    )


def out_of_range(call: Call) -> str:
    """Return a successful answer whose numbers, the id apart, are all beyond their bounds."""
    if call.base is None:
        return success(call.key, str(10**400))
    id_field = next(iter(call.base))
    item = object_text(
        call.base, {name: fragment(10**30) for name in call.base if name != id_field}
    )
    return success(call.key, f"[{item}]" if call.many else item)


async def check_answer(
    client: SmsGatewayClient, canned: CannedGateway, call: Call, body: str
) -> None:
    """Serve ``body`` to ``call``: it returns valid models or raises a gateway answer error."""
    canned.answer(call.script, body)
    try:
        result = await call.run(client)
    except GatewayResponseError:
        return
    except GatewayApiError as err:  # an authentication error is one too
        refusal = err
    else:
        for model in result if isinstance(result, list) else [result]:
            check_model(model)
        return
    assert refusal.code is None or MIN_CODE <= refusal.code <= MAX_CODE
    str(refusal).encode("utf-8")


def answer_test(name: str) -> Any:
    """Build the property test of one call."""
    call = CALLS[name]

    @FAST
    @example(body=success(call.key, deep(20_000)))
    @example(body=out_of_range(call))
    @given(body=envelopes(call))
    async def test(client: SmsGatewayClient, canned: CannedGateway, body: str) -> None:
        await check_answer(client, canned, call, body)

    test.__doc__ = f"Whatever the gateway answers to `{name}`, it parses or is a typed error."
    return test


test_account = answer_test("account")
test_phones = answer_test("phones")
test_send = answer_test("send")
test_send_to_list = answer_test("send_to_list")
test_messages = answer_test("messages")
test_resend = answer_test("resend")
test_subscribe_contact = answer_test("subscribe_contact")
test_unsubscribe_contact = answer_test("unsubscribe_contact")
test_send_ussd = answer_test("send_ussd")
test_ussd_requests = answer_test("ussd_requests")


@FAST
@example(header="1e308")
@example(header="86401")
@given(header=st.one_of(NUMBER_TEXT.filter(str.isascii), FLOATS.map(str), DATES))
async def test_retry_after(client: SmsGatewayClient, canned: CannedGateway, header: str) -> None:
    """A `Retry-After` header is no hint, or a wait from 0 to a day Home Assistant can schedule."""
    canned.answer("send.php", "slow down", status=429, headers={"Retry-After": header})
    with pytest.raises(GatewayResponseError) as err:
        await client.account()
    retry_after = getattr(err.value, "retry_after", None)
    assert retry_after is None or 0 <= retry_after <= MAX_RETRY_AFTER
