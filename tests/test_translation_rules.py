"""The strings and every translation follow the rules Home Assistant's validator (hassfest) sets.

hassfest runs from Home Assistant's source tree, which the package does not ship, so its
translation rules are checked here, as that validator states them: the sections and keys it
accepts, an issue with either a description or a fix flow (never both), field descriptions only
for fields that exist, and values without HTML, URLs, padding or malformed placeholders.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re
import string
from typing import Any

import pytest

COMPONENT = Path(__file__).resolve().parents[1] / "custom_components" / "sms_bridge"
FILES = [COMPONENT / "strings.json", *sorted((COMPONENT / "translations").glob("*.json"))]

# A key of a state, selector option or step: lower case, digits, "-" and "_", not at either end,
# never two of them in a row.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5)://|www\.)"
    r"[a-z0-9]+([\-.][a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(/.*)?)",
    re.IGNORECASE,
)
HTML = re.compile(r"<[a-z/!][^>]*>", re.IGNORECASE)
QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")

STEP_KEYS = {
    "title",
    "description",
    "data",
    "data_description",
    "menu_options",
    "menu_option_descriptions",
    "submit",
    "sections",
}
FLOW_KEYS = {"flow_title", "step", "error", "abort", "progress", "create_entry", "initiate_flow"}
TOP_KEYS = {
    "title",
    "config",
    "config_subentries",
    "options",
    "selector",
    "device_automation",
    "system_health",
    "issues",
    "entity_component",
    "device",
    "entity",
    "exceptions",
    "services",
    "conditions",
    "triggers",
    "conversation",
    "common",
}


def problems_of_value(value: object, *, placeholders: bool = True) -> list[str]:
    """Return what is wrong with one translated text."""
    if not isinstance(value, str):
        return [f"not a string: {value!r}"]
    found = []
    if HTML.search(value):
        found.append("contains HTML")
    if QUOTED_PLACEHOLDER.search(value):
        found.append("has a placeholder in single quotes")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name]
    except ValueError as err:
        found.append(f"malformed placeholder: {err}")
        names = []
    if names and not placeholders:
        found.append("has a placeholder where none is allowed")
    found += [f"placeholder {name!r} is no identifier" for name in names if not name.isidentifier()]
    if COMBINED_REFERENCE.search(value):
        found.append("combines a reference with text")
    if value != value.strip():
        found.append("has leading or trailing spaces")
    if URL.search(value):
        found.append("contains a URL (use a placeholder)")
    return found


def flow_problems(flow: dict[str, Any], where: str, *, subentry: bool = False) -> Iterator[str]:
    """Yield what is wrong with a config, options, subentry or fix flow."""
    allowed = FLOW_KEYS | ({"entry_type"} if subentry else set())
    yield from (f"{where}: unknown key {key!r}" for key in flow.keys() - allowed)
    if "step" not in flow:
        yield f"{where}: no steps"
    if subentry and ("entry_type" not in flow or "user" not in flow.get("initiate_flow", {})):
        yield f"{where}: a subentry flow names its entry type and how to start it"
    for step_id, step in flow.get("step", {}).items():
        place = f"{where}.step.{step_id}"
        yield from (f"{place}: unknown key {key!r}" for key in step.keys() - STEP_KEYS)
        described = step.get("data_description", {}).keys() - step.get("data", {}).keys()
        yield from (f"{place}: describes {key!r}, which is no field" for key in described)
        for name, section in step.get("sections", {}).items():
            unknown = section.keys() - {"data", "data_description", "description", "name"}
            yield from (f"{place}.sections.{name}: unknown key {key!r}" for key in unknown)


def structure_problems(strings: dict[str, Any]) -> Iterator[str]:
    """Yield what hassfest's schema refuses in one strings or translation file."""
    yield from (f"unknown section {key!r}" for key in strings.keys() - TOP_KEYS)
    for section in ("config", "options"):
        if section in strings:
            yield from flow_problems(strings[section], section)
    for kind, flow in strings.get("config_subentries", {}).items():
        yield from flow_problems(flow, f"config_subentries.{kind}", subentry=True)
    for issue_id, issue in strings.get("issues", {}).items():
        place = f"issues.{issue_id}"
        if "title" not in issue:
            yield f"{place}: no title"
        if ("description" in issue) == ("fix_flow" in issue):
            yield f"{place}: needs a description or a fix flow, not both"
        yield from (
            f"{place}: unknown key {key!r}"
            for key in issue.keys() - {"title", "description", "fix_flow"}
        )
        if "fix_flow" in issue:
            yield from flow_problems(issue["fix_flow"], f"{place}.fix_flow")
    for platform, entities in strings.get("entity", {}).items():
        for key, entity in entities.items():
            place = f"entity.{platform}.{key}"
            if not TRANSLATION_KEY.match(key):
                yield f"{place}: invalid translation key"
            for state in entity.get("state", {}):
                if not TRANSLATION_KEY.match(state):
                    yield f"{place}.state.{state}: invalid translation key"
    for name, service in strings.get("services", {}).items():
        place = f"services.{name}"
        if not {"name", "description"} <= service.keys():
            yield f"{place}: needs a name and a description"
        for field_name, field in service.get("fields", {}).items():
            if not {"name", "description"} <= field.keys():
                yield f"{place}.fields.{field_name}: needs a name and a description"
    for name, selector in strings.get("selector", {}).items():
        for option in selector.get("options", {}):
            if not TRANSLATION_KEY.match(option):
                yield f"selector.{name}.options.{option}: invalid translation key"


def values(tree: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield every leaf of a strings tree with its dotted path."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from values(value, f"{path}.{key}" if path else key)
    else:
        yield path, tree


def value_problems(strings: dict[str, Any]) -> Iterator[str]:
    """Yield what is wrong with the texts; states and units take no placeholders."""
    for path, value in values(strings):
        parts = path.split(".")
        no_placeholders = parts[0] == "entity" and (
            "state" in parts[3:] or parts[-1] == "unit_of_measurement"
        )
        for problem in problems_of_value(value, placeholders=not no_placeholders):
            yield f"{path}: {problem}"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_follows_home_assistants_translation_rules(path: Path) -> None:
    """Nothing in the file is what hassfest would refuse."""
    strings = json.loads(path.read_text())
    assert [*structure_problems(strings), *value_problems(strings)] == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("See <b>this</b>", "contains HTML"),
        ("Name '{name}'", "has a placeholder in single quotes"),
        ("Count {1x}", "placeholder '1x' is no identifier"),
        (" padded", "has leading or trailing spaces"),
        ("Open https://example.com/docs", "contains a URL (use a placeholder)"),
        ("Broken {", "malformed placeholder: Single '{' encountered in format string"),
    ],
)
def test_the_rules_catch_what_hassfest_refuses(value: str, problem: str) -> None:
    """Each rule refuses the kind of text hassfest refuses."""
    assert problem in problems_of_value(value)


def test_an_issue_with_a_description_and_a_fix_flow_is_refused() -> None:
    """hassfest takes an issue's text from its fix flow when it has one: never both."""
    strings = {"issues": {"x": {"title": "X", "description": "D", "fix_flow": {"step": {}}}}}
    assert list(structure_problems(strings)) == [
        "issues.x: needs a description or a fix flow, not both"
    ]
