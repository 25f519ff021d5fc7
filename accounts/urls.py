from django.urls import include, path

from accounts import language
from accounts.password_reset import RateLimitedPasswordResetView

urlpatterns = [
    # Before Django's own URLs, so that this name and path answer first.
    path("password_reset/", RateLimitedPasswordResetView.as_view(), name="password_reset"),
    path("profile/", language.profile, name="profile"),
    path("language/", language.language_switch, name="language-switch"),
    path("", include("django.contrib.auth.urls")),
]
