"""send.php: the credits query, single and bulk sends, and sends to a contacts list.

The steps follow services/send.php and `Message::sendMessages()` of v9.4.9 in order, so that a
request with several problems gets the same error as from the real server:

1. device list: `option` 1 (all phones) / 2 (every SIM of every phone), else `devices`
   ("1", "1|0" or a JSON array; "0" or empty = primary device), then `useRandomDevice`;
2. `type` (only "sms"/"mms"; anything else is sms) and, for MMS, the `attachments` URLs;
3. mode: `number`+`message` (comma-separated or `number[]` = one message each), else
   `messages` (bulk JSON), else `listID`, else the credits query;
4. PHP TypeErrors for non-integer `schedule` and `prioritize`, then a past `schedule`;
5. MMS recipients that are not numbers are dropped; nothing left = "no messages to send";
6. credits (1 per SMS, 1 per MMS recipient; None = unlimited);
7. each device entry is checked, the messages are split into `count(devices)` contiguous
   chunks (first chunks one longer) and one groupID is made per device;
8. each message is checked (text, number) and stored — all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import random
import re
import string
import time
from typing import Any

from tests.simulator import php
from tests.simulator.errors import (
    INSUFFICIENT_CREDITS,
    INVALID_ATTACHMENTS,
    INVALID_LIST_ID,
    INVALID_NUMBER,
    INVALID_REQUEST,
    NO_ACTIVE_DEVICE,
    NO_MESSAGES_TO_SEND,
    NO_SUBSCRIBERS,
    SCHEDULE_IN_PAST,
    ApiError,
    no_sim_in_slot,
)
from tests.simulator.request import PhpRequest
from tests.simulator.state import GatewayState, Row, message_row, send_view, utcnow

SCRIPT = "services/send.php"
ATTACHMENTS_LINE = 44
BULK_ATTACHMENTS_LINE = 86
LIST_LINE = 91
SEND_MESSAGES_LINE = 128


@dataclass
class Draft:
    """One message to create, as send.php hands it to `Message::sendMessages()`."""

    number: str | None
    message: str | None
    type: str
    attachments: str | None
    sim_slot: int | None = None

    def credits(self) -> int:
        """Credits it costs: one per MMS recipient, one per SMS."""
        return len((self.number or "").split("|")) if self.type == "mms" else 1


def send(state: GatewayState, request: PhpRequest) -> dict[str, Any]:
    """Handle an authenticated send.php call; return the envelope's `data`."""
    devices = _devices(state, request)
    message_type, attachments = _type_and_attachments(request)
    drafts = _drafts(state, request, message_type, attachments)
    if drafts is None:
        return {"credits": state.credits}
    schedule = _int_argument(request, "schedule", 4, "?int")
    prioritize = _int_argument(request, "prioritize", 5, "int") or 0
    rows = _send_messages(state, drafts, devices, schedule, prioritize)
    return {"messages": [send_view(row) for row in rows]}


def _devices(state: GatewayState, request: PhpRequest) -> list[object]:
    option = request.text("option")
    spread = None if option is None else _spread(state, option)
    devices = spread if spread is not None else _named_devices(request.text("devices"))
    if "useRandomDevice" in request.fields and php.truthy(request.fields["useRandomDevice"]):
        return [random.choice(devices)] if devices else []
    return devices


def _spread(state: GatewayState, option: str) -> list[object] | None:
    """Devices chosen by `option` >= 1; None when `option` < 1 (use `devices`)."""
    number = php.numeric(option)
    if number is None:  # PHP 8 compares a non-numeric string with 1 as strings
        return [] if option >= "1" else None
    if number < 1:
        return None
    phones = state.enabled_phones()
    if number == 2:
        return [f"{phone.id}|{slot}" for phone in phones for slot in sorted(phone.sims)]
    return [str(phone.id) for phone in phones] if number == 1 else []


def _named_devices(raw: str | None) -> list[object]:
    if php.is_empty(raw):
        return []
    try:
        decoded = json.loads(raw or "")
    except ValueError:
        decoded = None
    return decoded if isinstance(decoded, list) else [raw]


def _type_and_attachments(request: PhpRequest) -> tuple[str, str | None]:
    requested = request.fields.get("type")
    if requested not in ("sms", "mms"):
        return "sms", None
    if requested == "mms" and "attachments" in request.fields:
        return "mms", _attachments(request.fields["attachments"], ATTACHMENTS_LINE)
    return str(requested), None


def _attachments(raw: object, line: int) -> str:
    """`Message::isValidAttachments()`: trimmed, comma-joined, each a valid URL."""
    if not isinstance(raw, str):
        caller = f"{SCRIPT} on line {line}"
        error = php.type_error(
            "Message::isValidAttachments", 1, "attachments", "string", raw, caller=caller
        )
        raise ApiError(500, error)
    urls = [php.trim(url) for url in raw.split(",") if php.trim(url)]
    if not all(php.is_valid_url(url) for url in urls):
        raise ApiError(500, INVALID_ATTACHMENTS)
    return ",".join(urls)


def _drafts(
    state: GatewayState, request: PhpRequest, message_type: str, attachments: str | None
) -> list[Draft] | None:
    number = request.fields.get("number")
    if number is not None and "message" in request.fields:
        text = request.text("message")
        numbers = number if isinstance(number, list) else number.split(",")
        return [Draft(each, text, message_type, attachments) for each in numbers]
    if "messages" in request.fields:
        return _bulk(request)
    if "listID" in request.fields:
        return _list_drafts(state, request, message_type, attachments)
    return None


def _bulk(request: PhpRequest) -> list[Draft]:
    try:
        entries = json.loads(request.text("messages") or "", parse_constant=_reject)
    except ValueError:
        entries = None
    if isinstance(entries, list) and all(isinstance(entry, dict) for entry in entries):
        return [_bulk_draft(entry, request) for entry in entries]
    if isinstance(entries, list | dict):
        raise ApiError(500, INVALID_REQUEST)  # simplification of PHP's undefined-index cascade
    error = php.type_error("count", 1, "value", "Countable|array", entries)
    raise ApiError(500, error)


def _reject(constant: str) -> None:
    raise ValueError(constant)  # PHP's json_decode knows no NaN/Infinity


def _bulk_draft(entry: dict[str, Any], request: PhpRequest) -> Draft:
    message_type = "sms" if entry.get("type") is None else php.to_string(entry["type"]) or ""
    attachments = entry.get("attachments")
    if message_type == "mms" and not php.is_empty(attachments):
        # The real server validates the top-level `attachments`, not the entry's own.
        attachments = _attachments(request.fields.get("attachments"), BULK_ATTACHMENTS_LINE)
    slot = entry.get("simSlot")
    return Draft(
        number=php.to_string(entry.get("number")),
        message=php.to_string(entry.get("message")),
        type=message_type,
        attachments=php.to_string(attachments),
        sim_slot=php.to_int(str(slot)) if isinstance(slot, int | str) else None,
    )


def _list_drafts(
    state: GatewayState, request: PhpRequest, message_type: str, attachments: str | None
) -> list[Draft]:
    raw = request.fields["listID"]
    list_id = php.to_int(raw)
    if list_id is None:
        caller = f"{SCRIPT} on line {LIST_LINE}"
        error = php.type_error(
            "ContactsList::getContactsList", 1, "listID", "int", raw, caller=caller
        )
        raise ApiError(500, error)
    if list_id not in state.contacts_lists:
        raise ApiError(400, INVALID_LIST_ID)
    contacts = [
        contact
        for contact in state.contacts.values()
        if contact["contactsListID"] == list_id and contact["subscribed"]
    ]
    if not contacts:
        raise ApiError(204, NO_SUBSCRIBERS)
    template = request.text("message") or ""
    return [
        Draft(contact["number"], _personalise(template, contact), message_type, attachments)
        for contact in contacts
    ]


def _personalise(template: str, contact: Row) -> str:
    """`Contact::getMessage()`: case-insensitive %name%, %number% (URL-encoded), %listID%."""
    variables = {
        "%name%": contact["name"] or "",
        "%number%": php.rawurlencode(contact["number"]),
        "%listID%": str(contact["contactsListID"]),
    }
    for variable, value in variables.items():
        template = _replace_ignoring_case(template, variable, value)
    return template


def _replace_ignoring_case(text: str, old: str, new: str) -> str:
    """PHP `str_ireplace()` for one needle."""
    return re.compile(re.escape(old), re.IGNORECASE).sub(lambda _: new, text)


def _int_argument(request: PhpRequest, name: str, position: int, expected: str) -> int | None:
    """An `int` argument of `Message::sendMessages()`, or the TypeError PHP raises for it."""
    if name not in request.fields:
        return None
    raw = request.fields[name]
    value = php.to_int(raw)
    if value is None:
        caller = f"{SCRIPT} on line {SEND_MESSAGES_LINE}"
        error = php.type_error(
            "Message::sendMessages", position, name, expected, raw, caller=caller
        )
        raise ApiError(500, error)
    return value


def _send_messages(
    state: GatewayState,
    drafts: list[Draft],
    devices: list[object],
    schedule: int | None,
    prioritize: int,
) -> list[Row]:
    if schedule is not None and schedule <= time.time():
        raise ApiError(500, SCHEDULE_IN_PAST)
    drafts = [draft for draft in drafts if draft.type != "mms" or _valid_number(draft, True)]
    required = sum(draft.credits() for draft in drafts)
    if required == 0:
        raise ApiError(500, NO_MESSAGES_TO_SEND)
    if state.credits is not None and state.credits < required:
        raise ApiError(500, INSUFFICIENT_CREDITS)
    if not devices:
        primary = state.primary_phone()
        if primary is None:
            raise ApiError(500, NO_ACTIVE_DEVICE)
        devices = [str(primary.id)]
    plan = _plan(_groups(state, devices), _partition(drafts, len(devices)))
    placed = [
        (draft, device_id, group_id, slot)
        for device_id, group_id, slot, chunk in plan
        for draft in chunk
    ]
    rows = [_row(*place, schedule=schedule, prioritize=prioritize) for place in placed]
    state.charge(sum(draft.credits() for draft, *_ in placed))
    return [state.store_message(row) for row in rows]


def _groups(state: GatewayState, devices: list[object]) -> dict[int, list[int]]:
    """Check every device entry; return device id → SIM slots named for it, in order."""
    groups: dict[int, list[int]] = {}
    for entry in devices:
        parts = str(entry).split("|") if isinstance(entry, str | int) else []
        if not 1 <= len(parts) <= 2 or not all(php.is_digits(part) for part in parts):
            raise ApiError(500, INVALID_REQUEST)
        device_id = int(parts[0])
        if device_id not in groups:
            state.usable_phone(device_id)
            groups[device_id] = []
        if len(parts) == 2:
            if int(parts[1]) not in state.phones[device_id].sims:
                raise ApiError(500, no_sim_in_slot(parts[1]))
            groups[device_id].append(int(parts[1]))
    return groups


def _partition(drafts: list[Draft], parts: int) -> list[list[Draft]]:
    """PHP `partition()`: `parts` contiguous chunks, the first `len % parts` one longer."""
    size, remainder = divmod(len(drafts), parts)
    chunks, mark = [], 0
    for index in range(parts):
        length = size + (index < remainder)
        chunks.append(drafts[mark : mark + length])
        mark += length
    return chunks


def _plan(
    groups: dict[int, list[int]], chunks: list[list[Draft]]
) -> list[tuple[int, str, int | None, list[Draft]]]:
    """Hand chunks to (device, group id, SIM slot) in group order, like the PHP loop.

    A device listed twice without a slot takes one chunk only, and a slot listed twice keeps
    the last chunk: the real server silently drops the other messages.
    """
    remaining = iter(chunks)
    plan: list[tuple[int, str, int | None, list[Draft]]] = []
    for device_id, slots in groups.items():
        group_id = new_group_id()
        per_slot: dict[int | None, list[Draft]] = {}
        targets: list[int | None] = [*slots] or [None]
        for slot in targets:
            per_slot[slot] = next(remaining)
        plan.extend((device_id, group_id, slot, chunk) for slot, chunk in per_slot.items())
    return plan


def _row(
    draft: Draft,
    device_id: int,
    group_id: str,
    slot: int | None,
    *,
    schedule: int | None,
    prioritize: int,
) -> Row:
    if draft.message is None or php.trim(draft.message) == "":
        if draft.type == "sms" or (draft.type == "mms" and php.is_empty(draft.attachments)):
            raise ApiError(500, INVALID_REQUEST)
    elif php.is_empty(draft.number):
        raise ApiError(500, INVALID_REQUEST)
    elif not _valid_number(draft, draft.type == "mms"):
        raise ApiError(500, INVALID_NUMBER)
    if draft.number is None:
        raise ApiError(500, INVALID_REQUEST)  # PHP: TypeError in Message::setNumber()
    return message_row(
        number=draft.number,
        message=_expand(draft.message or ""),
        device_id=device_id,
        sim_slot=draft.sim_slot if slot is None else slot,
        status="Pending" if schedule is None else "Scheduled",
        sent=utcnow(),
        type_=draft.type,
        group_id=group_id,
        schedule=schedule,
        attachments=draft.attachments if draft.type == "mms" else None,
        prioritize=bool(prioritize),
    )


def _valid_number(draft: Draft, multiple: bool) -> bool:
    """`isValidMobileNumber()`: digits after leading `+`s (`|`-separated for MMS)."""
    numbers = (draft.number or "").split("|") if multiple else [draft.number or ""]
    return all(php.is_digits(number.lstrip("+")) for number in numbers)


def _expand(text: str) -> str:
    """Spintax `{a|b}` picks one option; `%random-N%` becomes N random digits."""
    text = re.sub(r"{(.*?)}", lambda match: random.choice(match[1].split("|")), text)
    return re.sub(
        r"%random-([0-9]*)%",
        lambda match: "".join(random.choices(string.digits, k=int(match[1] or 0))),
        text,
    )


def new_group_id() -> str:
    """A group id shaped like PHP `uniqid(random_str(18), true)`."""
    now = time.time()
    prefix = "".join(random.choices(string.ascii_letters + string.digits, k=18))
    seconds, micros = int(now), int(now % 1 * 1_000_000)
    entropy = f"{random.randint(0, 9)}.{random.randint(0, 99_999_999):08d}"
    return f"{prefix}{seconds:08x}{micros:05x}{entropy}"
