"""What every answer of one request shares: its request id and where errors are documented.

``SecurityHeaders`` sets both for the request it serves; ``problems.problem`` reads them, so
every problem carries the same ``request_id`` as the ``X-Request-Id`` header and a ``type``
that is a URL on this server (``<BASE_URL>/docs/errors#<code>``).
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("otpgate_request_id", default=None)
# What the request log line says about the caller once it is known (the account id), filled
# in by whoever authenticates it; the middleware sets a fresh dict per request.
REQUEST_FACTS: ContextVar[dict[str, str] | None] = ContextVar("otpgate_facts", default=None)
ERROR_DOCS: ContextVar[str] = ContextVar("otpgate_error_docs", default="/docs/errors")
ERRORS_PATH = "/docs/errors"
# A caller's own id is kept when it is short and plain (letters, digits, . _ : -): anything
# else could forge log lines or carry personal data, so it is replaced.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def request_id_from(header: bytes | None) -> str:
    """The caller's ``X-Request-Id`` when it is sane, else a new random one."""
    if header:
        try:
            given = header.decode("ascii")
        except UnicodeDecodeError:
            given = ""
        if _SANE_ID.fullmatch(given):
            return given
    return secrets.token_hex(8)


def note_account(account_id: str) -> None:
    """Name the signed-in account in this request's log line."""
    facts = REQUEST_FACTS.get()
    if facts is not None:
        facts["account_id"] = account_id


def problem_type(code: str) -> str:
    """The documentation URL of an error ``code``."""
    return f"{ERROR_DOCS.get()}#{code}"
