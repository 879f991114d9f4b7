# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets (passwords, shared secrets): read from a file or the environment, never echoed.

argv is visible to every user of the host (ps, /proc), so a secret comes
from --password-file or an environment variable. Every secret read is
registered, and mask() blanks it out of any text before it is printed.
"""

from __future__ import annotations

import os

from check_rtc.errors import UsageError

MASK = "********"
_registered: set[str] = set()


def register(secret: str) -> str:
    """Remember `secret` so that mask() hides it; returns it unchanged."""
    if secret:
        _registered.add(secret)
    return secret


def mask(text: str) -> str:
    """`text` with every registered secret replaced by MASK, longest first."""
    for secret in sorted(_registered, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def login_password(username: str | None, path: str | None) -> str | None:
    """The password of -u (from --password-file or CHECK_RTC_PASSWORD), checked to go with -u."""
    from check_rtc.checks.options import PASSWORD_ENV

    password = read_secret(path, PASSWORD_ENV)
    if username and password is None:
        raise UsageError(f"-u needs a password: --password-file FILE or ${PASSWORD_ENV}")
    if password is not None and not username:
        raise UsageError("a password needs -u")
    return password


def read_secret(path: str | None, env_var: str, what: str = "password") -> str | None:
    """The first line of `path`, else the value of `env_var`, else None."""
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                secret = handle.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            raise UsageError(f"cannot read {what} file {path}: {reason}") from None
        if not secret:
            raise UsageError(f"{what} file {path} is empty")
        return register(secret)
    value = os.environ.get(env_var)
    return register(value) if value else None
