"""The German and Dutch catalogs are complete, current and compiled (docs/i18n.md)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
DOMAINS = ["django", "djangojs"]
CATALOGS = [(language, domain) for language in TRANSLATED for domain in DOMAINS]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def catalog(language: str, domain: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / f"{domain}.po"))


def key(entry) -> tuple[str, str]:
    return entry.msgctxt or "", entry.msgid


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_every_message_is_translated_and_none_is_fuzzy(language, domain):
    po = catalog(language, domain)
    assert len(po) > (100 if domain == "django" else 1)
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_translations_keep_every_placeholder(language, domain):
    """A lost ``%(count)s`` would crash or mislead at run time."""
    for entry in catalog(language, domain).translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            forms = entry.msgstr_plural.values()
            wanted_plural = sorted(PLACEHOLDER.findall(entry.msgid_plural))
            for form in forms:
                # A singular form may say "one" instead of the count (Ein Deal).
                assert set(PLACEHOLDER.findall(form)) <= set(wanted_plural), entry.msgid
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == wanted, entry.msgid


@pytest.mark.parametrize(("language", "domain"), CATALOGS)
def test_the_compiled_catalog_matches_its_source(language, domain):
    """The .mo files are committed (docs/i18n.md): `make messages` compiles them."""
    po = catalog(language, domain)
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / f"{domain}.mo"))

    def table(entries):
        return {
            key(e): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in entries if e.msgid
        }

    assert table(mo) == table(po.translated_entries())


def test_the_catalogs_hold_every_message_of_the_code(tmp_path):
    """`make messages` was run: extracting the code again finds no msgid the catalogs lack."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: install gettext (apt-get install gettext)")
    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "node_modules",
            "vendor",
            "staticfiles",
            "var",
            "tests",
            "benchmarks",
            "locale",
            "__pycache__",
            "*.pyc",
            "docs",
        ),
    )
    (copy / "locale").mkdir()
    env = {"DEBUG": "1", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "pipelinecrm.settings"}
    for domain, extensions in (("django", ["-e", "html,txt,py"]), ("djangojs", [])):
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-d",
                domain,
                "-l",
                "de",
                "--no-location",
                *extensions,
            ],
            cwd=copy,
            env=env,
            check=True,
            capture_output=True,
        )
        fresh = polib.pofile(str(copy / "locale/de/LC_MESSAGES" / f"{domain}.po"))
        known = {key(e) for e in catalog("de", domain)}
        assert sorted(key(e)[1] for e in fresh if key(e) not in known) == []
