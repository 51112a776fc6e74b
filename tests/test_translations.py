"""The translation files match the code: every error the code raises has its text and placeholders.

Home Assistant shows a bare key (or nothing) for a translation that is missing, so a typo in a
``translation_key`` would only surface when a user hits that error.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

import pytest
import yaml

COMPONENT = Path(__file__).resolve().parents[1] / "custom_components" / "sms_bridge"
STRINGS: dict[str, Any] = json.loads((COMPONENT / "strings.json").read_text())
EXCEPTIONS: dict[str, dict[str, str]] = STRINGS["exceptions"]
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}")


def _raised() -> list[tuple[str, str, set[str] | None]]:
    """Return (place, key, placeholder names or None when not literal) of each translated error."""
    found: list[tuple[str, str, set[str] | None]] = []
    for path in COMPONENT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            place = f"{path.name}:{node.lineno}"
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            if name == "validation_error" and isinstance(node.args[0], ast.Constant):
                found.append((place, node.args[0].value, {k for k in keywords if k}))
            elif name == "gateway_error" and isinstance(node.args[0], ast.Constant):
                found.append((place, node.args[0].value, {"error"}))
            elif "translation_domain" in keywords and isinstance(
                key := keywords.get("translation_key"), ast.Constant
            ):
                placeholders = keywords.get("translation_placeholders")
                names = (
                    {k.value for k in placeholders.keys if isinstance(k, ast.Constant)}
                    if isinstance(placeholders, ast.Dict)
                    else None
                )
                found.append((place, key.value, set() if placeholders is None else names))
    return found


RAISED = _raised()


def test_english_translation_is_strings_json() -> None:
    """translations/en.json is the copy of strings.json that Home Assistant loads."""
    english = json.loads((COMPONENT / "translations" / "en.json").read_text())
    assert english == STRINGS


def test_the_code_raises_translated_errors() -> None:
    """The scan finds the errors (guards against a scan that silently matches nothing)."""
    keys = {key for _, key, _ in RAISED}
    assert {"invalid_number", "update_timeout", "invalid_auth", "ussd_busy"} <= keys


@pytest.mark.parametrize(("place", "key", "placeholders"), RAISED, ids=[p for p, _, _ in RAISED])
def test_each_raised_error_has_its_text(
    place: str, key: str, placeholders: set[str] | None
) -> None:
    """Each translation key exists, and its text uses exactly the placeholders given."""
    assert key in EXCEPTIONS, f"{place}: no exceptions.{key} in strings.json"
    if placeholders is not None:
        assert set(PLACEHOLDER.findall(EXCEPTIONS[key]["message"])) == placeholders, place


def test_each_action_and_field_is_translated() -> None:
    """services.yaml and the services section of strings.json name the same actions and fields."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    translated = STRINGS["services"]
    assert set(services) == set(translated)
    for name, service in services.items():
        fields: dict[str, Any] = {}
        for key, value in (service.get("fields") or {}).items():
            # A collapsed section groups fields; its own name is translated under "sections".
            fields |= value["fields"] if "collapsed" in value else {key: value}
        assert set(fields) == set(translated[name].get("fields", {})), name
        assert translated[name]["name"], name
        assert translated[name]["description"], name


LANGUAGES = ("de", "es", "fr", "it", "ru", "zh-Hans")


def _strings(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten a translation tree to {"a.b.c": text}."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= _strings(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_is_complete(language: str) -> None:
    """Each language has every English string, no other, with the same placeholders."""
    english = _strings(STRINGS)
    translated = _strings(json.loads((COMPONENT / "translations" / f"{language}.json").read_text()))
    assert sorted(set(english) - set(translated)) == [], "missing"
    assert sorted(set(translated) - set(english)) == [], "not in English"
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(translated[key])) == set(PLACEHOLDER.findall(text)), key
        assert translated[key].strip(), key


def test_no_translation_beyond_the_tested_languages() -> None:
    """A language file added later is checked too: it is named here."""
    files = {path.stem for path in (COMPONENT / "translations").glob("*.json")}
    assert files == {"en", *LANGUAGES}


# Home Assistant's German texts address the user as "du". "Sie" and "Ihr" also mean "they" and
# "their" at the start of a sentence, so the German file does without them altogether.
FORMAL_GERMAN = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b")


def test_german_says_du() -> None:
    """No German text addresses the user formally."""
    german = _strings(json.loads((COMPONENT / "translations" / "de.json").read_text()))
    formal = {key: text for key, text in german.items() if FORMAL_GERMAN.search(text)}
    assert formal == {}


CARD_TRANSLATIONS = COMPONENT.parents[1] / "frontend" / "src" / "translations"


def test_the_inbox_card_speaks_the_integrations_languages() -> None:
    """The card's own texts exist in the integration's languages, each with every key of the
    English ones and the same placeholders."""
    languages = {path.stem for path in (COMPONENT / "translations").glob("*.json")}
    assert {path.stem for path in CARD_TRANSLATIONS.glob("*.json")} == languages
    english: dict[str, str] = json.loads((CARD_TRANSLATIONS / "en.json").read_text())
    for language in languages:
        texts: dict[str, str] = json.loads((CARD_TRANSLATIONS / f"{language}.json").read_text())
        assert set(texts) == set(english), language
        for key, text in texts.items():
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), (
                language,
                key,
            )
