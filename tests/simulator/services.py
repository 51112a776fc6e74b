"""The `services/*.php` scripts of the legacy API (send.php lives in send.py).

Each handler takes the state and the PHP request and returns the envelope's `data`, or raises
`ApiError`. Checks come in the order of the real scripts: authentication first (400 without any
credentials, 401 with wrong ones), except send-ussd-request.php, which checks its own
parameters before the credentials.

Filters (read-messages, resend, read-ussd-requests) compare like MySQL does: numeric columns
against the string's leading number, text columns case-insensitively; `startTimestamp` /
`endTimestamp` bound `sentDate` and must be integers (else PHP's `date()` TypeError).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.simulator import php
from tests.simulator.errors import (
    ALREADY_UNSUBSCRIBED,
    CONTACT_EXISTS,
    INSUFFICIENT_CREDITS,
    INVALID_API_KEY,
    INVALID_CREDENTIALS,
    INVALID_LIST_ID,
    INVALID_REQUEST,
    NO_ACTIVE_DEVICE,
    NO_MESSAGES,
    NO_USSD_REQUESTS,
    NOT_A_SUBSCRIBER,
    ApiError,
    ussd_sim_missing,
)
from tests.simulator.request import PhpRequest
from tests.simulator.send import new_group_id, send
from tests.simulator.state import (
    USER_ID,
    GatewayState,
    Row,
    contact_row,
    sims_json,
    utcnow,
)

Data = dict[str, Any] | None
Handler = Callable[[GatewayState, PhpRequest], Data]

MESSAGE_FILTERS = {
    "groupId": "groupID",
    "id": "ID",
    "status": "status",
    "deviceID": "deviceID",
    "simSlot": "simSlot",
}
USSD_FILTERS = {"id": "ID", "request": "request", "deviceID": "deviceID", "simSlot": "simSlot"}


def authenticated(state: GatewayState, request: PhpRequest) -> bool | None:
    """`includes/get-user.php`: None without credentials, else whether they are right."""
    fields = request.fields
    if "email" in fields and "password" in fields:
        return fields["email"] == state.email and fields["password"] == state.password
    if "key" in fields:
        return fields["key"] == state.api_key
    return None


def require_user(state: GatewayState, request: PhpRequest) -> None:
    """Refuse a request without valid credentials (400 / 401)."""
    user = authenticated(state, request)
    if user is None:
        raise ApiError(400, INVALID_REQUEST)
    if not user:
        raise invalid_credentials(request)


def invalid_credentials(request: PhpRequest) -> ApiError:
    """The 401 error; its text depends on whether a `key` was sent."""
    return ApiError(401, INVALID_API_KEY if "key" in request.fields else INVALID_CREDENTIALS)


def send_php(state: GatewayState, request: PhpRequest) -> Data:
    """send.php."""
    require_user(state, request)
    return send(state, request)


def read_messages(state: GatewayState, request: PhpRequest) -> Data:
    """read-messages.php: the matching messages, or 404."""
    require_user(state, request)
    return {"messages": [dict(row) for row in _matching_messages(state, request)]}


def resend(state: GatewayState, request: PhpRequest) -> Data:
    """resend.php: every matching message back to Pending (free; new groupID per device)."""
    require_user(state, request)
    rows = _matching_messages(state, request)
    groups: dict[int, str] = {}
    devices = [_resend_device(state, row, groups) for row in rows]
    now = php.iso8601(utcnow())
    for row, device_id in zip(rows, devices, strict=True):
        row.update(
            deviceID=device_id,
            groupID=groups[device_id],
            status="Pending",
            resultCode=None,
            errorCode=None,
            retries=row["retries"] + 1,
            sentDate=now,
            deliveredDate=None,
        )
    return {"messages": [dict(row) for row in rows]}


def _resend_device(state: GatewayState, row: Row, groups: dict[int, str]) -> int:
    device_id = row["deviceID"]
    if device_id is None:
        primary = state.primary_phone()
        if primary is None:
            raise ApiError(500, NO_ACTIVE_DEVICE)
        device_id = primary.id
    if device_id not in groups:
        state.usable_phone(device_id)
        groups[device_id] = new_group_id()
    return int(device_id)


def _matching_messages(state: GatewayState, request: PhpRequest) -> list[Row]:
    rows = _select(state.messages, request, MESSAGE_FILTERS)
    if not rows:
        raise ApiError(404, NO_MESSAGES)
    return rows


def _select(table: dict[int, Row], request: PhpRequest, filters: dict[str, str]) -> list[Row]:
    start = _timestamp(request, "startTimestamp")
    end = _timestamp(request, "endTimestamp")
    wanted = {column: request.text(name) for name, column in filters.items()}
    return [
        row
        for row in table.values()
        if all(value is None or php.mysql_equal(row[col], value) for col, value in wanted.items())
        and (start is None or php.parse_iso8601(row["sentDate"]).timestamp() >= start)
        and (end is None or php.parse_iso8601(row["sentDate"]).timestamp() <= end)
    ]


def _timestamp(request: PhpRequest, name: str) -> int | None:
    if name not in request.fields:
        return None
    raw = request.fields[name]
    value = php.to_int(raw)
    if value is None:
        raise ApiError(500, php.type_error("date", 2, "timestamp", "?int", raw))
    return value


def manage_contacts(state: GatewayState, request: PhpRequest) -> Data:
    """manage-contacts.php: add, resubscribe or unsubscribe a number in a contacts list."""
    require_user(state, request)
    number = request.text("number")
    if number is None or "listID" not in request.fields:
        raise ApiError(400, INVALID_REQUEST)
    list_id = _list_id(state, request.fields["listID"])
    resubscribe = php.truthy(request.fields.get("resubscribe"))
    unsubscribe = php.truthy(request.fields.get("unsubscribe"))
    existing = next(
        (
            contact
            for contact in state.contacts.values()
            if contact["contactsListID"] == list_id and php.mysql_equal(contact["number"], number)
        ),
        None,
    )
    if existing and not unsubscribe and not resubscribe:
        raise ApiError(400, CONTACT_EXISTS)
    if existing is None and unsubscribe:
        raise ApiError(400, NOT_A_SUBSCRIBER)
    contact = dict(existing) if existing else contact_row(0, None, number, list_id)
    if php.truthy(request.fields.get("name")):
        contact["name"] = request.text("name")
    if unsubscribe and not contact["subscribed"]:
        raise ApiError(400, ALREADY_UNSUBSCRIBED)
    contact["subscribed"] = not unsubscribe
    state.store_contact(contact)
    return {"contact": _contact_view(state, contact, from_database=existing is not None)}


def _list_id(state: GatewayState, raw: str | list[str]) -> int:
    list_id = php.to_int(raw)
    if list_id is None:
        caller = "services/manage-contacts.php on line 14"
        error = php.type_error(
            "ContactsList::getContactsList", 1, "listID", "int", raw, caller=caller
        )
        raise ApiError(500, error)
    if list_id not in state.contacts_lists:
        raise ApiError(403, INVALID_LIST_ID)
    return list_id


def _contact_view(state: GatewayState, contact: Row, *, from_database: bool) -> Row:
    """A Contact object; its nested list is only filled when the contact was read from the DB."""
    list_id = contact["contactsListID"]
    nested: Row = {"ID": None, "name": None, "userID": None}
    if from_database:
        nested = {"ID": list_id, "name": state.contacts_lists[list_id], "userID": USER_ID}
    return {**contact, "contactsList": nested}


def send_ussd_request(state: GatewayState, request: PhpRequest) -> Data:
    """send-ussd-request.php: queue a USSD code on one phone (1 credit)."""
    user = authenticated(state, request)
    code, device = request.fields.get("request"), request.fields.get("device")
    if php.is_empty(code) or php.is_empty(device) or user is None:
        raise ApiError(400, INVALID_REQUEST)
    if not user:
        raise invalid_credentials(request)
    caller = "services/send-ussd-request.php on line 20"
    if not isinstance(code, str):
        error = php.type_error(
            "DeviceUser::initiateUssdRequest", 1, "request", "string", code, caller=caller
        )
        raise ApiError(500, error)
    device_id = php.to_int(device)
    if device_id is None:
        error = php.type_error(
            "DeviceUser::initiateUssdRequest", 3, "deviceID", "int", device, caller=caller
        )
        raise ApiError(500, error)
    sim = request.fields.get("sim")
    slot = int(sim) if isinstance(sim, str) and php.is_digits(sim) else None
    phone = state.usable_phone(device_id)
    # PHP checks `$simSlot != null`, which is false for slot 0: slot 0 is never checked.
    if slot and slot not in phone.sims:
        raise ApiError(404, ussd_sim_missing(_raw(request, "device"), _raw(request, "sim")))
    # PHP checks `$credits != null && $credits < 1`; 0 == null, so a zero balance passes.
    if state.credits is not None and state.credits < 0:
        raise ApiError(500, INSUFFICIENT_CREDITS)
    row = state.store_ussd(code, device_id, slot)
    state.charge(1)
    return {"request": dict(row)}


def _raw(request: PhpRequest, name: str) -> str:
    """A `$_POST` value as PHP interpolates it ("" when absent, e.g. on GET)."""
    value = request.post.get(name, "")
    return value if isinstance(value, str) else "Array"


def read_ussd_requests(state: GatewayState, request: PhpRequest) -> Data:
    """read-ussd-requests.php: the matching USSD requests, or 404."""
    require_user(state, request)
    rows = _select(state.ussd_requests, request, USSD_FILTERS)
    if not rows:
        raise ApiError(404, NO_USSD_REQUESTS)
    return {"requests": [dict(row) for row in rows]}


def get_devices(state: GatewayState, request: PhpRequest) -> Data:
    """get-devices.php: the enabled phones (an empty list is a success)."""
    require_user(state, request)
    return {
        "devices": [
            {
                "id": phone.id,
                "name": phone.name,
                "model": phone.model,
                "androidVersion": phone.android_version,
                "appVersion": phone.app_version,
                "lastSeenAt": php.iso8601_colon(phone.last_seen) if phone.last_seen else None,
                "sims": sims_json(phone.sims),
            }
            for phone in state.enabled_phones()
        ]
    }


def cancel_campaign(state: GatewayState, request: PhpRequest) -> Data:
    """cancel-campaign.php: no authentication, `$_POST` only; Pending/Queued → Canceled."""
    group_id = request.post.get("groupId")
    if not isinstance(group_id, str):
        raise ApiError(400, INVALID_REQUEST)
    now = php.iso8601(utcnow())
    for row in state.messages.values():
        if row["status"] in {"Pending", "Queued"} and php.mysql_equal(row["groupID"], group_id):
            row.update(status="Canceled", deliveredDate=now)
    return None


SCRIPTS: dict[str, Handler] = {
    "send.php": send_php,
    "read-messages.php": read_messages,
    "resend.php": resend,
    "manage-contacts.php": manage_contacts,
    "send-ussd-request.php": send_ussd_request,
    "read-ussd-requests.php": read_ussd_requests,
    "get-devices.php": get_devices,
    "cancel-campaign.php": cancel_campaign,
}
"""Script name → handler."""
