"""The guard of the in-app admin pages (docs/domain/admin-pages.md)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins only. Anyone else signed in gets 404, so the page's existence does not leak
    (docs/domain/roles-and-visibility.md: a page the user may not open answers 404, never 403)."""

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_admin:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return guarded
