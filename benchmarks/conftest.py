"""The benchmarks reuse the test fixtures: a simulator and a configured entry."""

from collections.abc import Iterator
import logging
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
    init_integration,
    loopback_sockets,
    simulator,
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
