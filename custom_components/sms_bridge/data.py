"""Runtime data kept on a loaded config entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntry

from .api import Gateway

if TYPE_CHECKING:
    from .coordinator import SmsBridgeCoordinator
    from .inbound import InboundDispatcher
    from .outbox import Outbox
    from .send_guard import SendGuard
    from .tracking import DeliveryTracker


@dataclass(slots=True)
class SmsBridgeData:
    """Everything an entry needs while it is loaded."""

    gateway: Gateway
    coordinator: SmsBridgeCoordinator
    inbound: InboundDispatcher
    tracker: DeliveryTracker
    outbox: Outbox
    account_device: DeviceEntry
    guard: SendGuard


type SmsBridgeConfigEntry = ConfigEntry[SmsBridgeData]
