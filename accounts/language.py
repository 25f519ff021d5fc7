"""The user's language: chosen in the profile or the user menu, first taken from the
browser (or the language cookie of the login page's choice) at sign-in (docs/i18n.md)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User


class LanguageForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].required = True
        self.fields["language"].choices = settings.LANGUAGES


@receiver(user_logged_in)
def remember_browser_language(sender, request, user: User, **kwargs) -> None:
    """A user without a language gets the one their pages were just shown in (the
    browser's among ours, else the company's), so emails and jobs know it too."""
    if not user.language:
        language = translation.get_supported_language_variant(
            getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
        )
        # Only where the database has none either: ``user`` may be an older copy.
        if User.objects.filter(pk=user.pk, language="").update(language=language):
            user.language = language


def _use(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own settings: their language."""
    form = LanguageForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        _use(request, form.instance.language)
        messages.success(request, _("Your language is saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The user menu's switch: save the language, then show the same page in it."""
    form = LanguageForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
        _use(request, form.instance.language)
    else:
        messages.error(request, _("Choose English, Deutsch or Nederlands."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/"
    response = redirect(back)
    if form.is_valid():
        # The language cookie too, so the login page keeps it after logging out.
        _remember_in_cookie(response, form.instance.language)
    return response


def _remember_in_cookie(response: HttpResponse, language: str) -> None:
    """Django's language cookie, set as its set_language view sets it (docs/i18n.md)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
