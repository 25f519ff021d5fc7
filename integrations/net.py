"""Where a webhook may go: no server-side request forgery (docs/domain/webhooks.md).

A target must be ``https`` (``WEBHOOKS_ALLOW_HTTP`` allows ``http``), and every address its
host name resolves to must be public: private, loopback, link-local, multicast, reserved
and unspecified addresses are refused (IPv4-mapped IPv6 ones too) unless
``WEBHOOKS_ALLOW_PRIVATE``. The sender resolves the name at every attempt and connects to
the checked address itself (``pinned_connection``), so a DNS answer that changes after
the check, or after the subscription was saved, cannot send a request inside.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    address: str  # the checked IP address to connect to


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter an https:// address."), code="scheme")
    if scheme == "http" and not settings.WEBHOOKS_ALLOW_HTTP:
        raise ValidationError(
            _("Webhooks go to https:// addresses only; http:// is not allowed here."),
            code="scheme",
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise ValidationError(_("The address has an invalid port."), code="port") from error
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port, path


def resolve(url: str) -> Target:
    """The target of ``url`` with its checked address; ValidationError with a sentence if
    the scheme or an address the host resolves to now is not allowed."""
    scheme, host, port, path = _split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValidationError(
            _("The host name %(host)s cannot be resolved.") % {"host": host}, code="dns"
        ) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise ValidationError(
            _("The host name %(host)s cannot be resolved.") % {"host": host}, code="dns"
        )
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            # Strip an IPv6 zone ("fe80::1%eth0") before parsing.
            if _refused(ipaddress.ip_address(address.split("%", 1)[0])):
                raise ValidationError(
                    _(
                        "%(host)s resolves to %(address)s, a private, loopback or otherwise "
                        "internal address; webhooks go to public addresses only."
                    )
                    % {"host": host, "address": address},
                    code="private",
                )
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def check_url(url: str) -> None:
    """Raise ValidationError (a sentence) if a webhook may not go to ``url`` now."""
    resolve(url)


class _PinnedMixin:
    """Connects to the checked address rather than resolving the host name again; the
    ``Host`` header, SNI and the certificate check still use the host name."""

    address: str
    connect_timeout: float
    read_timeout: float

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((self.address, self.port), self.connect_timeout)
        sock.settimeout(self.read_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class PinnedHTTPConnection(_PinnedMixin, http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = self._open_socket()


class PinnedHTTPSConnection(_PinnedMixin, http.client.HTTPSConnection):
    def connect(self) -> None:
        self.sock = self._context.wrap_socket(self._open_socket(), server_hostname=self.host)


_TLS = ssl.create_default_context()


def pinned_connection(target: Target) -> http.client.HTTPConnection:
    timeouts = (settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT)
    if target.scheme == "https":
        connection = PinnedHTTPSConnection(target.host, target.port, context=_TLS)
    else:
        connection = PinnedHTTPConnection(target.host, target.port)
    connection.address = target.address
    connection.connect_timeout, connection.read_timeout = timeouts
    return connection
