#!/usr/bin/python3
"""The console's message catalogues are complete (issue 12): every language has every English key with the same
{placeholders}; every key the code asks for exists; every code the schema and the node can send has a name.

    python3 tests/browser/catalogue_test.py
"""
import json
import re
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONSOLE = REPO / "nodes/console"
CATALOGUES = CONSOLE / "i18n"
SCHEMA = (REPO / "schemas/event.fbs").read_text(encoding="utf-8")
SOURCES = {p: p.read_text(encoding="utf-8") for p in sorted((CONSOLE / "js").rglob("*.js"))}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(lang):
    return json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))


def languages():
    source = SOURCES[CONSOLE / "js/i18n.js"]
    listed = re.search(r"export const LANGUAGES = \[([^\]]*)\]", source).group(1)
    return re.findall(r"'([a-z]+)'", listed)


def schema_enum(name):
    body = re.search(r"enum %s\s*:\s*\w+\s*\{([^}]*)\}" % name, SCHEMA).group(1)
    return re.findall(r"^\s*(\w+)\s*=", body, re.M) or re.findall(r"(\w+)\s*=", body)


def schema_union(name):
    body = re.search(r"union %s\s*\{([^}]*)\}" % name, SCHEMA).group(1)
    return re.findall(r"(\w+)", re.sub(r"//[^\n]*", "", body))


def snake(camel):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


class CatalogueTest(unittest.TestCase):
    en = load("en")

    def test_every_language_has_a_catalogue_and_only_those(self):
        self.assertEqual(languages(), ["en", "th", "km", "lo", "vi", "id", "ms", "fil", "my"])
        self.assertEqual(sorted(p.stem for p in CATALOGUES.glob("*.json")), sorted(languages()))

    def test_every_catalogue_has_the_english_keys_and_placeholders(self):
        for lang in languages():
            with self.subTest(lang=lang):
                messages = load(lang)
                self.assertEqual(sorted(set(self.en) - set(messages)), [], f"{lang}.json lacks these keys")
                self.assertEqual(sorted(set(messages) - set(self.en)), [], f"{lang}.json has keys English lacks")
                for key, text in messages.items():
                    self.assertIsInstance(text, str, f"{lang}:{key}")
                    self.assertTrue(text.strip(), f"{lang}:{key} is empty")
                    self.assertEqual(sorted(PLACEHOLDER.findall(text)), sorted(PLACEHOLDER.findall(self.en[key])),
                                     f"{lang}:{key} has other placeholders than English")
                self.assertNotEqual(messages["_meta.language"], "" if lang == "en" else self.en["_meta.language"])

    def test_translations_are_translated(self):
        # A catalogue copied from English would pass the key check: most labels must differ.
        for lang in languages():
            if lang == "en":
                continue
            with self.subTest(lang=lang):
                messages = load(lang)
                labels = [k for k in self.en if k.startswith(("nav.", "inbox.", "case.", "action.", "login."))]
                same = [k for k in labels if messages[k] == self.en[k]]
                self.assertLess(len(same), len(labels) // 5, f"{lang}: untranslated {same[:10]}")

    def test_every_key_the_code_names_exists(self):
        for path, source in SOURCES.items():
            for key in re.findall(r"\bt\('([^']+)'", source):
                self.assertIn(key, self.en, f"{path.relative_to(REPO)} asks for {key}")
            for kind, value in re.findall(r"\bcodeName\('(\w+)', '([^']+)'\)", source):
                self.assertIn(f"{kind}.{value}", self.en, f"{path.relative_to(REPO)}")

    def test_every_schema_code_has_a_name(self):
        families = {
            "priority": schema_enum("Priority"), "handling": schema_enum("HandlingCode"),
            "consent": schema_enum("ConsentItem"), "exploitation": schema_enum("ExploitationType"),
            "decline": schema_enum("DeclineReason"), "refusal": schema_enum("RefusalReason"),
            "outcome": schema_enum("ReferralOutcome"), "category": schema_enum("AlertCategory"),
            "sex": schema_enum("Sex"), "body": schema_union("Body"),
            "role": [snake(r) for r in schema_enum("Role") if r != "Unspecified"],
        }
        for kind, values in families.items():
            self.assertTrue(values, kind)
            for value in values:
                self.assertIn(f"{kind}.{value}", self.en, f"the schema's {kind} {value} has no name")

    def test_every_state_action_and_error_has_a_name(self):
        rules = (REPO / "nodes/src/case_answers.cc").read_text(encoding="utf-8")
        opening = (REPO / "nodes/src/case_rules.cc").read_text(encoding="utf-8")
        # The states of the node's rules (from-sets and targets) and the opening states.
        states = set()
        for group in re.findall(r'\{((?:"[a-z_]+"(?:, )?)+)\}', rules):
            states |= set(re.findall(r'"([a-z_]+)"', group))
        states |= set(re.findall(r'\}, "([a-z_]+)"\}', rules))
        states |= set(re.findall(r'"(sent|received|requested)"', opening))
        states |= {"closed", "active", "expired", "cancelled"}
        self.assertIn("return_planned", states)
        for state in states:
            self.assertIn(f"state.{state}", self.en, f"state {state}")
        actions = re.search(r"const RULES = \{(.*?)\n\};", SOURCES[CONSOLE / "js/actions.js"], re.S).group(1)
        for action in re.findall(r"^\s*'?([a-z-]+)'?:", actions, re.M):
            self.assertIn(f"action.{action}", self.en)
        forms = re.search(r"const FORMS = \{(.*?)\n\};", SOURCES[CONSOLE / "js/actions.js"], re.S).group(1)
        for name in re.findall(r"(?:text|area|code)\('(\w+)'|name: '(\w+)'", forms):
            self.assertIn(f"field.{name[0] or name[1]}", self.en)
        errc = (REPO / "nodes/src/errc.cc").read_text(encoding="utf-8")
        for code in set(re.findall(r'"([a-z_]+)"', errc)) - {"success"}:
            self.assertIn(f"error.{code}", self.en, f"the node's error code {code}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
