"""Which language a customer's texts and mail are written in.

The account's own (``accounts.language``: the language it signed up in, or the one its owner
picked since); an account from before languages were stored has none, and is written to in
the request's language when there is one, else in English. A request's language never
outranks the account's: a text reaches the account's phone, whoever's browser asked.
"""

from __future__ import annotations

from otpgate.domain.accounts import Account
from otpgate.domain.language import DEFAULT_LANGUAGE, supported
from otpgate.services.ports import RequestContext


def account_language(account: Account | None, ctx: RequestContext | None = None) -> str:
    """The language to write to ``account`` in (see the module docstring)."""
    if account is not None and (chosen := supported(account.language)) is not None:
        return chosen
    if ctx is not None and (asked := supported(ctx.language)) is not None:
        return asked
    return DEFAULT_LANGUAGE
