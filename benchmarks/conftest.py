"""The benchmarks reuse the test fixtures: a simulator and a configured entry."""

from tests.conftest import (  # noqa: F401
    auto_enable_custom_integrations,
    config_entry,
    entry_options,
    init_integration,
    loopback_sockets,
    simulator,
)
