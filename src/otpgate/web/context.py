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


def problem_type(code: str) -> str:
    """The documentation URL of an error ``code``."""
    return f"{ERROR_DOCS.get()}#{code}"
