"""Assertions shared by page tests."""

import re
from html.parser import HTMLParser

from django.http import HttpResponse

# Keywords that would let injected markup run script despite the policy.
UNSAFE_SCRIPT_SOURCES = ("'unsafe-inline'", "'unsafe-eval'")


class _ScriptAudit(HTMLParser):
    """Collects every way a page could run script that CSP without 'unsafe-inline' forbids."""

    def __init__(self, nonce: str | None):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        has_nonce = self.nonce is not None and names.get("nonce") == self.nonce
        # json_script's data islands are never executed, so CSP has nothing to block.
        is_data = (names.get("type") or "").strip().lower() == "application/json"
        if tag == "script" and "src" not in names and not has_nonce and not is_data:
            self.problems.append(f"inline <script> without the request's nonce: {names}")
        for name, value in attrs:
            # hx-on:* and data-hx-on:* make htmx evaluate attribute text as code.
            if name.startswith("on") or name.removeprefix("data-").startswith("hx-on"):
                self.problems.append(f"inline handler {name}={value!r} on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL in {name} on <{tag}>")


def script_src(policy: str) -> list[str]:
    """The sources scripts may come from: script-src, else default-src (the CSP fallback)."""
    directives = {}
    for directive in policy.split(";"):
        if directive.strip():
            name, *values = directive.split()
            directives[name.lower()] = values
    return directives.get("script-src", directives.get("default-src", []))


def assert_no_inline_script(response: HttpResponse) -> None:
    """The page runs only script files: CSP forbids inline script and the HTML holds none.

    A ``<script>`` element without ``src`` is allowed only when it carries the nonce the
    response's policy names, i.e. the template opted in with ``{% csp_nonce_attr %}``.
    """
    policy = response.headers.get("Content-Security-Policy")
    assert policy, "no enforcing Content-Security-Policy header"
    sources = script_src(policy)
    assert sources, f"the policy does not restrict scripts: {policy}"
    for keyword in UNSAFE_SCRIPT_SOURCES:
        assert keyword not in sources, f"script-src allows {keyword}: {policy}"
    nonce_match = re.search(r"'nonce-([^']+)'", " ".join(sources))

    audit = _ScriptAudit(nonce_match.group(1) if nonce_match else None)
    audit.feed(response.content.decode(response.charset or "utf-8"))
    audit.close()
    assert not audit.problems, "\n".join(audit.problems)
