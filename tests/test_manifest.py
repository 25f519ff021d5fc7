"""The app installs on a phone's home screen: a web app manifest in the user's language, its
icons at the sizes it states, and every page linking it (docs/install-and-accessibility.md).
"""

import json
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def manifest(client: Client, language: str = "en") -> dict:
    response = client.get(reverse("web-manifest", args=[language]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    return json.loads(response.content)


def static_file(url: str) -> Path:
    assert url.startswith(settings.STATIC_URL), url
    found = finders.find(url.removeprefix(settings.STATIC_URL))
    assert found, f"{url} is not a static file"
    return Path(found)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header: the signature, then the IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_the_manifest_opens_the_board_full_screen(client):
    data = manifest(client)

    assert data["name"] == "PipelineCRM"
    assert data["short_name"]
    assert len(data["short_name"]) <= 12, "a home screen label shows about 12 characters"
    assert data["start_url"] == reverse("board") == "/board/"
    assert data["display"] == "standalone"
    assert data["start_url"].startswith(data["scope"])
    assert re.fullmatch(r"#[0-9a-f]{6}", data["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", data["background_color"])


def test_the_manifest_colours_are_the_stylesheets():
    stylesheet = static_file(f"{settings.STATIC_URL}css/app.css").read_text()
    data = manifest(Client())

    assert data["theme_color"] in stylesheet
    assert data["background_color"] in stylesheet


def test_every_icon_exists_at_the_size_it_states(client):
    icons = manifest(client)["icons"]

    pngs = [icon for icon in icons if icon["type"] == "image/png"]
    stated = {(icon["sizes"], icon.get("purpose", "any")) for icon in pngs}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= stated
    for icon in pngs:
        width, height = png_size(static_file(icon["src"]))
        assert f"{width}x{height}" == icon["sizes"], icon["src"]
    for icon in icons:
        if icon["type"] == "image/svg+xml":
            assert static_file(icon["src"]).read_text().startswith("<svg")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_manifest_speaks_the_language_of_its_url(client, language):
    data = manifest(client, language)

    assert data["lang"] == language
    with translation.override(language):
        assert data["description"] == translation.gettext(
            "Deals, pipelines and activities of your sales team"
        )
        assert [shortcut["name"] for shortcut in data["shortcuts"]] == [
            translation.gettext("Board"),
            translation.gettext("Activities"),
            translation.gettext("Dashboard"),
        ]


def test_the_manifest_needs_no_sign_in_and_may_be_cached(client):
    """Browsers fetch a manifest without the session cookie."""
    response = client.get(reverse("web-manifest", args=["en"]))

    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


def test_an_unknown_language_has_no_manifest(client):
    assert client.get("/manifest/xx.webmanifest").status_code == 404


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_links_the_manifest_of_its_language(language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)

    page = client.get(reverse("login")).content.decode()

    manifest_url = reverse("web-manifest", args=[language])
    assert f'<link rel="manifest" href="{manifest_url}">' in page
    assert '<meta name="theme-color" content="#111827">' in page
    touch_icon = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page)
    assert touch_icon
    assert png_size(static_file(touch_icon.group(1))) == (180, 180)


def test_the_theme_colour_of_the_pages_is_the_manifests(client):
    page = client.get(reverse("login")).content.decode()

    assert f'<meta name="theme-color" content="{manifest(client)["theme_color"]}">' in page
