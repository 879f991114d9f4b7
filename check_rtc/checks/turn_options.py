# SPDX-License-Identifier: GPL-3.0-or-later
"""TURN credential options and their reading, shared by check_turn and check_rtcp --turn (checks layer).

Long-term credentials (-u with --password-file or CHECK_RTC_PASSWORD), or
TURN REST API credentials made from coturn's shared secret (--secret-file
or CHECK_RTC_TURN_SECRET), as draft-uberti-behave-turn-rest §2.2 says.
"""

from __future__ import annotations

from check_rtc.checks import options

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from check_rtc.codec.turn import Credentials

SECRET_ENV = "CHECK_RTC_TURN_SECRET"


def add_credential_options(group: argparse._ArgumentGroup) -> None:
    """-u and --password-file (long-term), --secret-file and --credential-lifetime (REST)."""
    options.add_login_options(group, "long-term credential username; with --secret-file, the user part of "
                                     "the REST username (default: check-rtc)")
    group.add_argument("--secret-file", metavar="FILE",
                       help=f"TURN REST API shared secret (coturn static-auth-secret; or set {SECRET_ENV})")
    group.add_argument("--credential-lifetime", metavar="SECONDS", type=int, default=600,
                       help="validity of REST credentials (default: %(default)s)")


def credentials(args: argparse.Namespace) -> Credentials | None:
    """Long-term credentials, REST credentials from a shared secret, or none."""
    import time

    from check_rtc import secrets
    from check_rtc.codec import turn

    secret = secrets.read_secret(args.secret_file, SECRET_ENV, "secret")
    if secret is not None:
        return turn.rest_credentials(secret, args.username or "check-rtc", args.credential_lifetime, time.time())
    password = secrets.login_password(args.username, args.password_file)
    return turn.Credentials(args.username, password) if args.username else None
