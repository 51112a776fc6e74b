"""What the shared behaviour tests need from a provider: its simulator, its entry and a few verbs.

One subclass of `ProviderHarness` per provider drives that provider's simulator in its own wire
format. The tests never ask which provider they run against: what they expect follows from the
client's `capabilities` and the provider's descriptor in `PROVIDERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Protocol

from custom_components.sms_bridge.api import MessageStatus
from custom_components.sms_bridge.providers import PROVIDERS, Provider
from tests.simulator.state import Faults, RecordedRequest


class Simulator(Protocol):
    """What every simulator offers: a real server with recorded requests and fault knobs."""

    faults: Faults
    requests: list[RecordedRequest]

    @property
    def url(self) -> str:
        """Return the base URL of the running server."""
        ...

    async def start(self) -> None:
        """Listen on a free loopback port."""

    async def stop(self) -> None:
        """Stop listening."""


class ProviderHarness(ABC):
    """A provider's simulator and how the shared tests drive it.

    ``key`` is the provider's key in ``PROVIDERS``. Webhooks go wherever `point_webhooks_at`
    says (Home Assistant's webhook URL of the entry), posted by the simulator itself, signed or
    authenticated as the provider does it.
    """

    key: ClassVar[str]
    simulator: Simulator

    @property
    def provider(self) -> Provider:
        """Return the provider's descriptor."""
        return PROVIDERS[self.key]

    async def start(self) -> None:
        """Start the simulator."""
        await self.simulator.start()

    async def stop(self) -> None:
        """Stop the simulator."""
        await self.simulator.stop()

    @abstractmethod
    def entry_data(self) -> dict[str, Any]:
        """Return the config entry's data for this simulator's account (webhook id excepted)."""

    def entry_options(self) -> dict[str, Any]:
        """Return the config entry's options."""
        return {}

    @abstractmethod
    def point_webhooks_at(self, url: str | None) -> None:
        """Make the simulator post its webhooks to ``url`` (None: post none)."""

    @abstractmethod
    def phone_ids(self) -> set[str]:
        """Return the ids of the account's phones the integration should list (none: empty)."""

    @abstractmethod
    async def receive_sms(self, number: str, text: str) -> None:
        """An SMS from ``number`` arrives: stored for the poller, its webhook posted if pointed."""

    @abstractmethod
    async def redeliver_last_sms(self) -> None:
        """Post the webhook of the last received SMS once more, as a provider retrying does."""

    @abstractmethod
    async def post_forged_sms(self, number: str, text: str) -> int:
        """Post an incoming SMS webhook the provider did not authenticate; return the status."""

    @abstractmethod
    def sent_requests(self) -> list[RecordedRequest]:
        """Return the recorded API requests that sent messages."""

    @abstractmethod
    def outgoing(self) -> list[tuple[str, str | None]]:
        """Return (recipient, phone id) of every message the provider holds to send or sent.

        The phone id is None for a provider without phones.
        """

    async def advance(self) -> None:
        """Move every message one step on (posting status webhooks where the provider does)."""
        await self.simulator.advance()  # type: ignore[attr-defined]

    @abstractmethod
    async def set_status(self, message_id: str, status: MessageStatus) -> None:
        """Give a sent message ``status`` (and post its status webhook where the provider does).

        ``status`` is one of PENDING, SENT, DELIVERED or FAILED; an earlier status than the
        current one is allowed, to play a late or replayed report.
        """

    def reject_credentials(self) -> None:
        """Make the provider refuse the credentials from now on."""
        self.simulator.faults.reject_key = True

    def fail_with_500(self) -> None:
        """Make the provider answer HTTP 500 with an HTML error page."""
        self.simulator.faults.http_500 = True

    def answer_html_page(self) -> None:
        """Make the provider answer HTTP 200 with an HTML page instead of its format."""
        self.simulator.faults.html_error = True

    def heal(self) -> None:
        """Clear every fault."""
        self.simulator.faults.reset()
