"""The benchmarks reuse the test fixtures: a simulator and a configured entry."""

import asyncio
from collections.abc import Iterator
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from custom_components.sms_bridge.const import (
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
)
from tests.conftest import (  # noqa: F401
    auto_enable_custom_integrations,
    config_entry,
    inbox_files,
    init_integration,
    loopback_sockets,
    simulator,
    unfrozen_router,
)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The tests' options, with send limits no measured burst reaches (beyond the form's range).

    The benchmarks measure sending, not the send guard that would stop a burst after 30.
    """
    return {
        CONF_DEFAULT_PHONE: "1",
        CONF_DEFAULT_RECIPIENTS: ["+15550100"],
        CONF_MAX_PER_MINUTE: 1_000_000,
        CONF_MAX_PER_DAY: 1_000_000,
    }


@pytest.fixture(autouse=True)
def quiet_logs() -> Iterator[None]:
    """Keep info lines (one per HTTP request, one per entity) out of the printed figures."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(level)


@pytest.fixture(autouse=True)
def enable_event_loop_debug(event_loop: asyncio.AbstractEventLoop) -> None:
    """Measure with the event loop as Home Assistant runs it, not in the tests' debug mode.

    In debug mode asyncio records a stack trace for every callback it schedules, which costs
    more than much of what is measured.
    """
    event_loop.set_debug(False)


@pytest.fixture(scope="session")
def figures() -> Iterator[dict[str, Any]]:
    """Collect every benchmark's figures; write them as one JSON object to ``$BENCH_JSON``."""
    collected: dict[str, Any] = {}
    yield collected
    # The machine may be shared: elapsed times grow with the other work on it.
    load = round(os.getloadavg()[0], 2)
    print(f"load average over the last minute, this run included: {load} on {os.cpu_count()} CPUs")
    collected["load_average_1min"] = load
    if target := os.environ.get("BENCH_JSON"):
        Path(target).write_text(json.dumps(collected), encoding="utf-8")
