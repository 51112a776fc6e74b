"""The benchmarks reuse the test fixtures: a simulator and a configured entry."""

from collections.abc import Iterator
import logging

import pytest

from tests.conftest import (  # noqa: F401
    auto_enable_custom_integrations,
    config_entry,
    entry_options,
    init_integration,
    loopback_sockets,
    simulator,
)


@pytest.fixture(autouse=True)
def quiet_logs() -> Iterator[None]:
    """Keep info lines (one per HTTP request, one per entity) out of the printed figures."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(level)
