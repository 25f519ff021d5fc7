from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Connects the sign-in receiver that remembers the browser's language.
        from accounts import language  # noqa: F401
