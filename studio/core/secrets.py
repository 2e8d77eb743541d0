"""Secrets: show.toml names the environment variables that hold them (never the secrets themselves),
and this is the one place that reads them."""

from __future__ import annotations

import os

from studio.core.config import Show


def secret(env_name: str) -> str:
    """The value of the environment variable `env_name` ("" when unset, or when no variable is named)."""
    return os.environ.get(env_name, "").strip() if env_name else ""


def smtp_password(show: Show) -> str:
    return secret(show.smtp.password_env)


def unsubscribe_secret(show: Show) -> str:
    """The key that signs subscribers' links (unsubscribe, confirm)."""
    return secret(show.email.secret_env)
