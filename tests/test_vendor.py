"""Browser libraries are served from static/vendor at the versions package.json pins; no page
loads script or style from another host (CSP allows 'self' only, and installs may be offline).
"""

import json
import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
VENDOR_DIR = BASE_DIR / "static" / "vendor"
PINNED = json.loads((BASE_DIR / "package.json").read_text())["dependencies"]

# A script or stylesheet whose address names a host: http://, https:// or protocol-relative.
REMOTE_ASSET = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|<link\b(?=[^>]*\brel\s*=\s*[\"']?stylesheet)[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


def template_files() -> list[Path]:
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted(path for root in roots for path in root.rglob("*.html"))


@pytest.mark.parametrize("library", sorted(PINNED))
def test_vendored_library_matches_its_pin(library):
    pinned = PINNED[library]
    folder = VENDOR_DIR / library

    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"{library}: pin an exact version"
    assert (folder / "VERSION").read_text().strip() == pinned, "run `make vendor`"
    assert (folder / "LICENSE").read_text().strip(), f"{library}: empty LICENSE"
    scripts = list(folder.glob("*.min.js"))
    assert len(scripts) == 1, f"{library}: expected one minified build, found {scripts}"
    # The build's banner names its version, so a stale file beside a new VERSION shows.
    assert pinned in scripts[0].read_text()[:500]


def test_every_vendored_library_is_pinned():
    vendored = {path.name for path in VENDOR_DIR.iterdir() if path.is_dir()}

    assert vendored == set(PINNED)


def test_htmx_is_not_vendored():
    """htmx is served by django-htmx at the version that package pins; a copy would drift."""
    assert "htmx.org" not in PINNED
    assert not list(VENDOR_DIR.rglob("htmx*.js"))


def test_no_template_or_stylesheet_loads_assets_from_another_host():
    files = [*template_files(), *(BASE_DIR / "static" / "css").rglob("*.css")]
    assert files

    offenders = [
        f"{path.relative_to(BASE_DIR)}: {match.group(0)}"
        for path in files
        for match in REMOTE_ASSET.finditer(path.read_text())
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "markup",
    [
        '<script src="https://cdn.example.com/htmx.min.js"></script>',
        "<script defer src=//unpkg.com/sortablejs></script>",
        '<link href="http://fonts.example.com/a.css" rel="stylesheet">',
        "@import url('https://fonts.example.com/css?family=Inter');",
    ],
)
def test_remote_asset_pattern_catches_cdn_references(markup):
    assert REMOTE_ASSET.search(markup)


def test_remote_asset_pattern_allows_local_assets_and_plain_links():
    markup = (
        '<script src="/static/vendor/sortablejs/Sortable.min.js" defer></script>'
        '<link rel="stylesheet" href="/static/css/app.css">'
        '<a href="https://www.example.com/">docs</a>'
    )
    assert not REMOTE_ASSET.search(markup)
