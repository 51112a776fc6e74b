"""The SemySMS harness: `SemySmsSimulator`, whose phones post unsigned form webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from custom_components.sms_bridge.api import MessageStatus
from custom_components.sms_bridge.api.semysms import CONF_API_KEY, CONF_URL
from custom_components.sms_bridge.const import CONF_PROVIDER
from tests.providers.harness import ProviderHarness
from tests.simulator.semysms import SemySmsSimulator
from tests.simulator.state import RecordedRequest, Row

TOKEN = "harness-semysms-token-0123"
UNKNOWN_PHONE = "999999"
SEND_SCRIPTS = ("/sms.php", "/sms_more.php")


class SemySmsHarness(ProviderHarness):
    """SemySMS: phones, paid messages as credits, unsigned webhooks, polling for what comes in.

    The entry holds the token (the descriptor's ``api_key`` field) and the simulator's address
    under the optional ``url`` field, which the form asks only in advanced mode.
    """

    key = "semysms"

    def __init__(self) -> None:
        """Prepare the simulator."""
        self.simulator: SemySmsSimulator = SemySmsSimulator(token=TOKEN)
        self._last: Row | None = None

    def entry_data(self) -> dict[str, Any]:
        """Return the API URL and the token."""
        return {CONF_PROVIDER: self.key, CONF_URL: self.simulator.url, CONF_API_KEY: TOKEN}

    def point_webhooks_at(self, url: str | None) -> None:
        """Set every phone's incoming and status webhook URLs."""
        self.simulator.webhook_url = url

    def phone_ids(self) -> set[str]:
        """Return the phones that are not archived."""
        return {str(key) for key, phone in self.simulator.phones.items() if not phone.archived}

    async def receive_sms(self, number: str, text: str) -> None:
        """Store the SMS in the inbox and post the phone's incoming webhook."""
        self._last = await self.simulator.receive_sms(number, text)

    async def redeliver_last_sms(self) -> None:
        """Post the same incoming webhook again."""
        assert self._last is not None
        phone = self.simulator.phones[self._last["id_device"]]
        fields = self.simulator.incoming(self._last)
        await self.simulator.post_webhook("incoming", phone.webhook_url, fields)

    async def post_forged_sms(self, number: str, text: str) -> int:
        """Post an incoming webhook naming a phone that is not the account's."""
        fields = {"id": "990001", "id_device": UNKNOWN_PHONE, "phone": number, "msg": text}
        status = await self.simulator.post_webhook("incoming", self.simulator.webhook_url, fields)
        assert status is not None
        return status

    def sent_requests(self) -> list[RecordedRequest]:
        """Return the calls of sms.php and sms_more.php."""
        return [r for r in self.simulator.requests if r.path.endswith(SEND_SCRIPTS)]

    def outgoing(self) -> list[tuple[str, str | None]]:
        """Return the outbox."""
        return [(row["phone"], str(row["id_device"])) for row in self.simulator.outbox.values()]

    async def set_status(self, message_id: str, status: MessageStatus) -> None:
        """Set the outbox row's flags and post the phone's status webhook."""
        row = self.simulator.outbox[int(message_id)]
        now = datetime.now(self.simulator.timezone).replace(tzinfo=None, microsecond=0)
        sent = status in (MessageStatus.SENT, MessageStatus.DELIVERED)
        row["is_send_to_phone"] = int(status is not MessageStatus.PENDING)
        row["is_send"], row["send"] = int(sent), now.isoformat(sep=" ") if sent else None
        delivered = status is MessageStatus.DELIVERED
        row["is_delivered"] = int(delivered)
        row["delivered"] = now.isoformat(sep=" ") if delivered else None
        failed = status is MessageStatus.FAILED
        row["is_error"] = row["is_error_send"] = int(failed)
        await self.simulator.post_status(row)
