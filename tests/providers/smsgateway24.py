"""The SmsGateway24 harness: `SmsGateway24Simulator`, whose phones post unsigned JSON webhooks."""

from __future__ import annotations

from typing import Any

from custom_components.sms_bridge.api import MessageStatus
from custom_components.sms_bridge.const import CONF_PROVIDER, CONF_URL
from tests.providers.harness import ProviderHarness
from tests.simulator.smsgateway24 import EMAIL, PASSWORD, SmsGateway24Simulator
from tests.simulator.state import RecordedRequest, Row

UNKNOWN_PHONE = 999999
INCOMING = 5  # the status of a received message
SEND_METHODS = ("/getdata/addsms", "/getdata/addalotofsms", "/getdata/smstosend")
STATUSES = {
    MessageStatus.PENDING: 1,
    MessageStatus.SENT: 6,
    MessageStatus.DELIVERED: 7,
    MessageStatus.FAILED: 9,
}


class _RecordingSimulator(SmsGateway24Simulator):
    """The simulator, remembering what it posted so that a webhook can be posted again."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[tuple[str | None, Row]] = []

    async def _post_webhook(self, url: str | None, payload: Row) -> None:
        self.posted.append((url, payload))
        await super()._post_webhook(url, payload)


class SmsGateway24Harness(ProviderHarness):
    """SmsGateway24: phones, a token from e-mail and password, unsigned JSON webhooks, polling.

    The entry holds the descriptor's fields (``email``, ``password``) and ``url``, which the
    form asks only in advanced mode (smsgateway24.com when empty): the simulator's here.
    """

    key = "smsgateway24"

    def __init__(self) -> None:
        """Prepare the simulator."""
        self.simulator: _RecordingSimulator = _RecordingSimulator()

    def entry_data(self) -> dict[str, Any]:
        """Return the server URL, the e-mail address and the password."""
        return {
            CONF_PROVIDER: self.key,
            CONF_URL: self.simulator.url,
            "email": EMAIL,
            "password": PASSWORD,
        }

    def point_webhooks_at(self, url: str | None) -> None:
        """Set every phone's incoming and status webhook URLs."""
        for phone in self.simulator.phones.values():
            phone.webhook_url = phone.status_webhook_url = url

    def phone_ids(self) -> set[str]:
        """Return every phone of the account."""
        return {str(key) for key in self.simulator.phones}

    async def receive_sms(self, number: str, text: str) -> None:
        """Store the SMS (status 5) and post the phone's incoming webhook."""
        await self.simulator.receive_sms(number, text)

    async def redeliver_last_sms(self) -> None:
        """Post the last incoming webhook again."""
        url, payload = next(
            (url, payload)
            for url, payload in reversed(self.simulator.posted)
            if "status_id" not in payload
        )
        await self.simulator._post_webhook(url, payload)

    async def post_forged_sms(self, number: str, text: str) -> int:
        """Post an incoming webhook naming a phone that is not the account's."""
        url = next(iter(self.simulator.phones.values())).webhook_url
        payload = {"address": number, "body": text, "sms_id": 990001, "device_id": UNKNOWN_PHONE}
        await self.simulator._post_webhook(url, payload)
        return self.simulator.webhook_results[-1][1]

    def sent_requests(self) -> list[RecordedRequest]:
        """Return the calls of addsms, addalotofsms and smstosend."""
        return [r for r in self.simulator.requests if r.path.endswith(SEND_METHODS)]

    def outgoing(self) -> list[tuple[str, str | None]]:
        """Return the stored messages that did not come in (status 5)."""
        return [
            (row["sendto"], str(row["deviceid"]))
            for row in self.simulator.sms.values()
            if row["status"] != INCOMING
        ]

    async def set_status(self, message_id: str, status: MessageStatus) -> None:
        """Force the message's status code and post the phone's status webhook."""
        await self.simulator.set_status(int(message_id), STATUSES[status])
