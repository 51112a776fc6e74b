"""The README's capability table says what the code's capability flags say."""

from __future__ import annotations

from pathlib import Path
import re

from custom_components.sms_bridge.api import Capability
from custom_components.sms_bridge.providers import PROVIDERS

README = Path(__file__).parent.parent / "README.md"
START = "<!-- capability table"
END = "<!-- end of capability table -->"


def _table() -> tuple[list[str], dict[str, list[bool]]]:
    """Return the provider columns and, per capability, whether each provider has it."""
    text = README.read_text(encoding="utf-8")
    lines = text[text.index(START) : text.index(END)].splitlines()[1:]
    header, _, *rows = (
        [cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines if line
    )
    table: dict[str, list[bool]] = {}
    for first, *cells in rows:
        match = re.match(r"`(\w+)`", first)
        assert match, f"a row without a capability name: {first!r}"
        assert all(cell in ("✓", "—") for cell in cells), cells
        table[match[1]] = [cell == "✓" for cell in cells]
    return header[1:], table


def test_one_row_per_capability_and_one_column_per_provider() -> None:
    """Every flag has a row and every provider a column, named as the code names them."""
    providers, table = _table()
    assert providers == [provider.name for provider in PROVIDERS.values()]
    assert sorted(table) == sorted(capability.value for capability in Capability)


def test_marks_match_the_flags() -> None:
    """A provider has a capability in the table exactly when its client declares it."""
    _, table = _table()
    for column, provider in enumerate(PROVIDERS.values()):
        declared = {name for name, marks in table.items() if marks[column]}
        assert declared == {capability.value for capability in provider.capabilities}
