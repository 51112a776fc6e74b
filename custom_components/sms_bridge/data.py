"""Runtime data kept on a loaded config entry, for the platforms, the actions and diagnostics.

The modules below the top layer take what they need through their constructors and never see
this type: only ``__init__.py``, the platforms, the actions and diagnostics import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntry

from .api import Gateway
from .coordinator import SmsBridgeCoordinator
from .inbox_store import InboxStore
from .messenger import Messenger
from .outbox import Outbox
from .send_guard import SendGuard
from .tracking import DeliveryTracker
from .ussd import UssdSessions


@dataclass(slots=True)
class SmsBridgeData:
    """Everything an entry needs while it is loaded."""

    gateway: Gateway
    coordinator: SmsBridgeCoordinator
    messenger: Messenger  # every send goes through it
    tracker: DeliveryTracker
    outbox: Outbox
    account_device: DeviceEntry
    guard: SendGuard
    ussd: UssdSessions
    inbox: InboxStore


type SmsBridgeConfigEntry = ConfigEntry[SmsBridgeData]
