"""Pages run only script files, so injected markup cannot run script (docs/architecture.md)."""

import pytest
from django.http import HttpResponse
from django.urls import resolve, reverse

from tests.helpers import assert_no_inline_script


def test_login_page_allows_no_inline_script(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert_no_inline_script(response)


def test_board_page_allows_no_inline_script(company, login):
    response = login(company.rep1).get(reverse("board"), follow=True)

    assert resolve(response.redirect_chain[-1][0]).url_name == "board-pipeline"
    assert response.status_code == 200
    assert_no_inline_script(response)


def _page(html: str, policy: str = "script-src 'self' 'nonce-abc123'") -> HttpResponse:
    response = HttpResponse(f"<!doctype html><html><body>{html}</body></html>")
    response.headers["Content-Security-Policy"] = f"default-src 'self'; {policy}"
    return response


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script nonce="guessed">alert(1)</script>',
        '<button onclick="alert(1)">Go</button>',
        "<img src=x onerror=alert(1)>",
        '<form hx-on:submit="alert(1)"></form>',
        '<div data-hx-on::after-request="alert(1)"></div>',
        '<a href="javascript:alert(1)">Go</a>',
    ],
)
def test_helper_catches_script_in_markup(html):
    with pytest.raises(AssertionError):
        assert_no_inline_script(_page(html))


@pytest.mark.parametrize(
    "policy", ["script-src 'self' 'unsafe-inline'", "script-src 'self' 'unsafe-eval'"]
)
def test_helper_catches_a_permissive_policy(policy):
    with pytest.raises(AssertionError):
        assert_no_inline_script(_page("", policy))


def test_helper_requires_an_enforced_policy():
    response = _page("")
    response.headers["Content-Security-Policy-Report-Only"] = response.headers.pop(
        "Content-Security-Policy"
    )

    with pytest.raises(AssertionError):
        assert_no_inline_script(response)


def test_helper_accepts_script_files_and_nonced_inline_script():
    assert_no_inline_script(
        _page('<script src="/static/js/board.js" defer></script><script nonce="abc123"></script>')
    )
