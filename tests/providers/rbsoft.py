"""The RBSoft SMS Gateway harness: `GatewaySimulator` with its signed form webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from custom_components.sms_bridge.api import MessageStatus
from custom_components.sms_bridge.const import CONF_API_KEY, CONF_PROVIDER, CONF_URL
from tests.providers.harness import ProviderHarness
from tests.simulator import GatewaySimulator, RecordedRequest, php
from tests.simulator.state import Row, message_row, utcnow, webhook_view

API_KEY = "harness-api-key-0123456789"
# A number and a message, a JSON list of messages, or a contacts list.
SEND_FIELDS = frozenset({"number", "messages", "listID"})
STATUSES = {
    MessageStatus.PENDING: "Pending",
    MessageStatus.SENT: "Sent",
    MessageStatus.DELIVERED: "Delivered",
    MessageStatus.FAILED: "Failed",
}


class RbsoftHarness(ProviderHarness):
    """SMS Gateway (RBSoft): phones, credits, HMAC-signed form webhooks, statuses by polling."""

    key = "sms_gateway"

    def __init__(self) -> None:
        """Prepare the simulator."""
        self.simulator: GatewaySimulator = GatewaySimulator(api_key=API_KEY)
        self._last: Row | None = None

    def entry_data(self) -> dict[str, Any]:
        """Return the URL and the API key."""
        return {CONF_PROVIDER: self.key, CONF_URL: self.simulator.url, CONF_API_KEY: API_KEY}

    def point_webhooks_at(self, url: str | None) -> None:
        """Set the server's webhook URL."""
        self.simulator.webhook_url = url

    def phone_ids(self) -> set[str]:
        """Return the enabled phones."""
        return {str(phone.id) for phone in self.simulator.enabled_phones()}

    async def receive_sms(self, number: str, text: str) -> None:
        """Store the SMS on phone 1 and post the `messages` webhook."""
        self._last = await self.simulator.receive_sms(number, text)

    async def redeliver_last_sms(self) -> None:
        """Post the same `messages` webhook again."""
        assert self._last is not None
        await self.simulator.notify("messages", [webhook_view(self._last)])

    async def post_forged_sms(self, number: str, text: str) -> int:
        """Post a `messages` webhook signed with another key."""
        row = message_row(
            number=number,
            message=text,
            device_id=1,
            sim_slot=0,
            status="Received",
            sent=utcnow(),
            delivered=utcnow(),
        )
        row["ID"] = 990001
        payload = php.json_encode([webhook_view(row)])
        digest = hmac.new(b"not-the-api-key", payload.encode(), hashlib.sha256).digest()
        return await self.simulator.post_webhook(
            "messages", payload, signature=base64.b64encode(digest).decode()
        )

    def sent_requests(self) -> list[RecordedRequest]:
        """Return the calls of send.php carrying messages (without any, it reads the credits)."""
        return [
            request
            for request in self.simulator.requests
            if request.path.endswith("/services/send.php") and SEND_FIELDS & request.params.keys()
        ]

    def outgoing(self) -> list[tuple[str, str | None]]:
        """Return the stored messages that are not received ones."""
        return [
            (row["number"], str(row["deviceID"]))
            for row in self.simulator.messages.values()
            if row["status"] != "Received"
        ]

    async def set_status(self, message_id: str, status: MessageStatus) -> None:
        """Force the row's status; the integration reads it back by polling."""
        self.simulator.set_status(message_id, STATUSES[status])
