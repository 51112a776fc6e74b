"""The SMSC harness: `SmscSimulator`, an SMS centre posting hashed callbacks."""

from __future__ import annotations

import itertools
from typing import Any

from custom_components.sms_bridge.api import MessageStatus
from custom_components.sms_bridge.api.smsc import CONF_HOST, callback_query
from custom_components.sms_bridge.const import CONF_PROVIDER
from tests.providers.harness import ProviderHarness
from tests.simulator.smsc import LOGIN, PASSWORD, RECEIVING_NUMBER, SmscSimulator
from tests.simulator.state import RecordedRequest

CALLBACK_SECRET = "harness-callback-secret"
INCOMING_HASHED = ("phone", "mes", "to")
STATUSES = {
    MessageStatus.PENDING: -1,
    MessageStatus.SENT: 0,
    MessageStatus.DELIVERED: 1,
    MessageStatus.FAILED: 20,
}


class SmscHarness(ProviderHarness):
    """SMSC: no phones, a money balance, callbacks authenticated by a hash with a URL secret.

    The entry holds the descriptor's fields (``host``, ``login``, ``password``) and the
    callback secret the integration generates at setup.
    """

    key = "smsc"

    def __init__(self) -> None:
        """Prepare the simulator."""
        self.simulator: SmscSimulator = SmscSimulator()
        self._ids = itertools.count(5001)
        self._last: dict[str, str] | None = None

    def entry_data(self) -> dict[str, Any]:
        """Return the service URL, the login and password, and the callback secret."""
        return {
            CONF_PROVIDER: self.key,
            CONF_HOST: self.simulator.url,
            "login": LOGIN,
            "password": PASSWORD,
            "callback_secret": CALLBACK_SECRET,
        }

    def point_webhooks_at(self, url: str | None) -> None:
        """Set the account's handler URL, with the secret the service hashes with."""
        self.simulator.callback_url = f"{url}?{callback_query(CALLBACK_SECRET)}" if url else None

    def phone_ids(self) -> set[str]:
        """Return no phones: the service sends for the account."""
        return set()

    async def receive_sms(self, number: str, text: str) -> None:
        """Post the incoming callback of an SMS to the account's number."""
        self._last = {"id": str(next(self._ids)), "phone": number, "mes": text}
        self._last["to"] = RECEIVING_NUMBER
        await self.simulator.callback(self._last, INCOMING_HASHED)

    async def redeliver_last_sms(self) -> None:
        """Post the same incoming callback again."""
        assert self._last is not None
        await self.simulator.callback(self._last, INCOMING_HASHED)

    async def post_forged_sms(self, number: str, text: str) -> int:
        """Post an incoming callback hashed with another secret."""
        assert self.simulator.callback_url is not None
        url = self.simulator.callback_url.split("?", 1)[0] + "?" + callback_query("forged")
        fields = {"id": "990001", "phone": number, "mes": text, "to": RECEIVING_NUMBER}
        status = await self.simulator.callback(fields, INCOMING_HASHED, url=url)
        assert status is not None
        return status

    def sent_requests(self) -> list[RecordedRequest]:
        """Return the calls of send.php."""
        return [r for r in self.simulator.requests if r.path.endswith("/sys/send.php")]

    def outgoing(self) -> list[tuple[str, str | None]]:
        """Return every number of every send: the service has no phones."""
        return [(phone, None) for _, phone in self.simulator.messages]

    async def set_status(self, message_id: str, status: MessageStatus) -> None:
        """Set the status of one number of a send (``<send id>:<number>``) and post its callback."""
        send_id, number = message_id.split(":", 1)
        await self.simulator.set_status(int(send_id), number, STATUSES[status])
