"""What the simulated server stores, and what its fake phones do with it.

One user account (API key, or e-mail + password, and a credit balance where None is unlimited),
its phones, messages, USSD requests and one contacts list.

Rows are kept in the shape read-messages.php and read-ussd-requests.php return them (native
ints, `prioritize` 0/1, `retries` 0, dates as `DATE_ISO8601` strings in UTC). `send_view` and
`webhook_view` derive the two other shapes the real server emits for the same message.

Status progression, one step per `advance()` (the fake phones plus the server's cron):

* `Scheduled` → `Pending` once its `schedule` time has come (`sentDate` becomes that moment);
* `Pending` → `Queued` (the phone fetched it; `deliveredDate` records the fetch time);
* `Queued` → `Sent` (`resultCode`/`errorCode` -1, `simSlot` filled with the SIM used), **or**
  `Queued` → `Failed` (`resultCode` 1 = GENERIC_FAILURE, `errorCode` 0) when a recipient
  number ends in "0000";
* `Sent` → `Delivered` (`deliveredDate` = the delivery report time).

Only messages whose phone exists and is enabled move past `Pending`; `Failed`, `Delivered`,
`Received`, `Canceled` and any other status are final.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
import itertools
from typing import Any

from tests.simulator import php
from tests.simulator.errors import DEVICE_NOT_FOUND, ApiError, unable_to_connect

USER_ID = 1
ACCOUNT_EMAIL = "test@example.test"
ACCOUNT_PASSWORD = "testpass123"
FAILING_SUFFIX = "0000"
"""Messages to a number ending with this fail at the `Queued` → `Failed` step."""

Row = dict[str, Any]


def utcnow() -> datetime:
    """Current time in the server's time zone (UTC), to the second."""
    return datetime.now(UTC).replace(microsecond=0)


class Rows(dict[int, Row]):
    """Rows by their integer id, also found by the id as text (the clients' ids are strings)."""

    def __getitem__(self, key: int | str) -> Row:
        return super().__getitem__(int(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(int(key) if isinstance(key, str) and key.isdecimal() else key)


@dataclass
class FakePhone:
    """An Android phone running the SMS Gateway app, as get-devices.php describes it."""

    id: int
    name: str | None
    model: str
    android_version: str | None
    app_version: str | None
    last_seen: datetime | None
    sims: dict[int, str]
    """Enabled SIMs: slot index → label such as "SIM #1 [Free]"."""
    enabled: bool = True

    @property
    def label(self) -> str:
        """How error messages name the phone: `<name or model> [<id>]`."""
        return f"{self.name or self.model} [{self.id}]"


@dataclass
class Faults:
    """Failures the simulator injects into every `/services/*.php` call."""

    latency: float = 0.0
    """Seconds added before answering."""
    http_500: bool = False
    """Answer HTTP 500 with an HTML error page."""
    html_error: bool = False
    """Answer HTTP 200 with an HTML page (PHP warning) instead of JSON."""
    reject_key: bool = False
    """Answer the 401 "This API key is invalid." error whatever the credentials."""
    hang: bool = False
    """Never answer until this is cleared (or the simulator stops)."""
    rate_limit: int = 0
    """When > 0, answer HTTP 429 with `Retry-After: <rate_limit>` (a reseller's proxy)."""
    healthy_calls: int = 0
    """Answer this many more API calls normally before the faults above apply (counts down)."""

    def reset(self) -> None:
        """Clear every fault."""
        for item in fields(self):
            setattr(self, item.name, item.default)


@dataclass(frozen=True)
class RecordedRequest:
    """One API call as the server saw it (`params` = PHP `$_REQUEST`, `key` included)."""

    path: str
    method: str
    params: dict[str, str | list[str]]


def default_phones(now: datetime) -> list[FakePhone]:
    """The two phones of a fresh simulator; phone 1 (lowest id) is the primary device."""
    return [
        FakePhone(
            1,
            "Office phone",
            "SM-A600FN",
            "10",
            "9.4.9",
            now,
            {0: "SIM #1 [Free]", 1: "SIM #2 [+33600000002]"},
        ),
        FakePhone(2, "Pixel 7", "Pixel 7", "14", "9.4.9", now, {0: "SIM #1 [Orange F]"}),
    ]


def message_row(
    *,
    number: str,
    message: str,
    device_id: int,
    sim_slot: int | None,
    status: str,
    sent: datetime,
    type_: str = "sms",
    group_id: str | None = None,
    schedule: int | None = None,
    attachments: str | None = None,
    prioritize: bool = False,
    delivered: datetime | None = None,
) -> Row:
    """A message row in read-back shape; its `ID` (first key) is set when it is stored."""
    return {
        "ID": 0,
        "number": number,
        "message": message,
        "deviceID": device_id,
        "simSlot": sim_slot,
        "schedule": schedule,
        "userID": USER_ID,
        "groupID": group_id,
        "status": status,
        "resultCode": None,
        "errorCode": None,
        "type": type_,
        "attachments": attachments,
        "prioritize": int(prioritize),
        "retries": 0,
        "sentDate": php.iso8601(sent),
        "deliveredDate": php.iso8601(delivered) if delivered else None,
        "expiryDate": None,
    }


def send_view(row: Row) -> Row:
    """A message as send.php returns it: `prioritize` a bool, `retries` null."""
    return {**row, "prioritize": bool(row["prioritize"]), "retries": None}


def webhook_view(row: Row) -> Row:
    """A received message as the `messages` webhook carries it."""
    return {**row, "groupID": None, "type": None, "prioritize": None, "retries": None}


def sims_json(sims: dict[int, str]) -> list[str] | dict[str, str]:
    """PHP `json_encode` of a slot-keyed array: a list for slots 0..n-1, else an object."""
    slots = sorted(sims)
    if slots == list(range(len(slots))):
        return [sims[slot] for slot in slots]
    return {str(slot): sims[slot] for slot in slots}


class GatewayState:
    """The server's data for one user account, plus the fake phones' behaviour."""

    def __init__(self, api_key: str, *, credits: int | None = 100) -> None:
        """Create the account with two phones and one contacts list of two subscribers."""
        now = utcnow()
        self.api_key = api_key
        self.email = ACCOUNT_EMAIL
        self.password = ACCOUNT_PASSWORD
        self.credits = credits
        self.phones: dict[int, FakePhone] = {phone.id: phone for phone in default_phones(now)}
        self.messages: Rows = Rows()
        self.ussd_requests: Rows = Rows()
        self.contacts_lists: dict[int, str] = {1: "Customers"}
        self.contacts: dict[int, Row] = {
            1: contact_row(1, "Alice", "+33600000101", 1),
            2: contact_row(2, "Bob", "+33600000102", 1),
        }
        self._message_ids = itertools.count(1)
        self._ussd_ids = itertools.count(1)
        self._contact_ids = itertools.count(3)

    # Phones

    def add_phone(
        self,
        name: str | None = None,
        *,
        model: str = "Pixel 8",
        android_version: str | None = "14",
        app_version: str | None = "9.4.9",
        sims: dict[int, str] | None = None,
        last_seen: datetime | None = None,
        enabled: bool = True,
    ) -> FakePhone:
        """Register one more phone with the next free id.

        It counts as seen now unless `last_seen` is given, with one SIM in slot 0 unless `sims`
        is given.
        """
        phone = FakePhone(
            id=max(self.phones, default=0) + 1,
            name=name,
            model=model,
            android_version=android_version,
            app_version=app_version,
            last_seen=last_seen or utcnow(),
            sims={0: "SIM #1"} if sims is None else sims,
            enabled=enabled,
        )
        self.phones[phone.id] = phone
        return phone

    def remove_phone(self, phone_id: int) -> None:
        """Forget a phone (its messages stay)."""
        del self.phones[phone_id]

    def enabled_phones(self) -> list[FakePhone]:
        """Phones the account can use, by id (get-devices.php, option=1/2)."""
        return [self.phones[key] for key in sorted(self.phones) if self.phones[key].enabled]

    def primary_phone(self) -> FakePhone | None:
        """The device used when a request names none: the first enabled phone."""
        phones = self.enabled_phones()
        return phones[0] if phones else None

    def usable_phone(self, phone_id: int) -> FakePhone:
        """The phone a message or USSD request is for, or the server's 500 error."""
        phone = self.phones.get(phone_id)
        if phone is None:
            raise ApiError(500, DEVICE_NOT_FOUND)
        if not phone.enabled:
            raise ApiError(500, unable_to_connect(phone.label))
        return phone

    # Storage

    def store_message(self, row: Row) -> Row:
        """Give a new message row its ID and keep it."""
        row["ID"] = next(self._message_ids)
        self.messages[row["ID"]] = row
        return row

    def store_ussd(self, request: str, device_id: int, sim_slot: int | None) -> Row:
        """Keep a new, unanswered USSD request."""
        row: Row = {
            "ID": next(self._ussd_ids),
            "request": request,
            "response": None,
            "userID": USER_ID,
            "deviceID": device_id,
            "simSlot": sim_slot,
            "sentDate": php.iso8601(utcnow()),
            "responseDate": None,
        }
        self.ussd_requests[row["ID"]] = row
        return row

    def store_contact(self, contact: Row) -> Row:
        """Save a contact row, giving it an ID when it is new."""
        if not contact["ID"]:
            contact["ID"] = next(self._contact_ids)
        self.contacts[contact["ID"]] = contact
        return contact

    def charge(self, amount: int) -> None:
        """Deplete credits (never for an unlimited account)."""
        if self.credits is not None:
            self.credits -= amount

    def add_received(
        self, number: str, text: str, phone_id: int, sim_slot: int | None, sent: datetime | None
    ) -> Row:
        """Store an incoming SMS as receive-message.php does (status Received, type sms)."""
        if phone_id not in self.phones:
            raise ValueError(f"no phone with id {phone_id}")
        now = utcnow()
        row = message_row(
            number=number,
            message=text,
            device_id=phone_id,
            sim_slot=sim_slot,
            status="Received",
            sent=sent or now,
            delivered=now,
        )
        return self.store_message(row)

    def set_ussd_response(self, ussd_id: int | str, response: str) -> Row:
        """Record the phone's answer to a USSD request."""
        if ussd_id not in self.ussd_requests:
            raise ValueError(f"no USSD request with id {ussd_id}")
        row = self.ussd_requests[ussd_id]
        row["response"] = response
        row["responseDate"] = php.iso8601(utcnow())
        return row

    # Status progression

    async def advance(self) -> list[Row]:
        """Move every non-final message one step (see the module docstring); return those moved."""
        moved = [row for row in self.messages.values() if self._step(row)]
        return [dict(row) for row in moved]

    def set_status(
        self,
        message_id: int | str,
        status: str,
        result_code: int | None = None,
        error_code: int | None = None,
    ) -> Row:
        """Force a message's status (codes are only changed when given)."""
        row = self.messages[message_id]
        _apply_status(row, status, result_code, error_code)
        return dict(row)

    def _step(self, row: Row) -> bool:
        now = utcnow()
        if row["status"] == "Scheduled":
            if row["schedule"] > now.timestamp():
                return False
            row["status"] = "Pending"
            row["sentDate"] = php.iso8601(now)
            return True
        phone = self.phones.get(row["deviceID"])
        if phone is None or not phone.enabled:
            return False
        if row["status"] == "Pending":
            _apply_status(row, "Queued")
        elif row["status"] == "Queued":
            _report_sent(row, phone)
        elif row["status"] == "Sent":
            _apply_status(row, "Delivered")
        else:
            return False
        return True


def _report_sent(row: Row, phone: FakePhone) -> None:
    if any(number.endswith(FAILING_SUFFIX) for number in row["number"].split("|")):
        _apply_status(row, "Failed", 1, 0)
        return
    if row["simSlot"] is None and phone.sims:
        row["simSlot"] = min(phone.sims)
    _apply_status(row, "Sent", -1, -1)


def _apply_status(
    row: Row, status: str, result_code: int | None = None, error_code: int | None = None
) -> None:
    row["status"] = status
    if result_code is not None:
        row["resultCode"] = result_code
    if error_code is not None:
        row["errorCode"] = error_code
    if status == "Delivered" or (
        row["deliveredDate"] is None and status in {"Queued", "Sent", "Failed", "Canceled"}
    ):
        row["deliveredDate"] = php.iso8601(utcnow())


def contact_row(contact_id: int, name: str | None, number: str, list_id: int) -> Row:
    """A subscribed contact as stored (manage-contacts.php adds the nested list)."""
    return {
        "ID": contact_id,
        "name": name,
        "number": number,
        "subscribed": True,
        "contactsListID": list_id,
    }
