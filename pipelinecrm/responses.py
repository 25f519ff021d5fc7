"""Answers shared by the apps' views."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def form_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A page or dialog with a form: 200 when shown, 422 when a POST comes back to it with
    errors (a POST that succeeds redirects or answers before reaching this)."""
    status = 422 if request.method == "POST" else 200
    return render(request, template, context, status=status)
