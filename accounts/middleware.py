"""Pages in the signed-in user's language (docs/i18n.md).

Django's LocaleMiddleware, earlier in the stack, picks the browser's language (or the
company's, LANGUAGE_CODE) for everyone; this one then switches to the language in the
user's profile, once the session has said who they are.
"""

from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = getattr(request.user, "language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
