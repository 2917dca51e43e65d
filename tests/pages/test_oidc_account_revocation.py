"""What ends every session of an account ends its apps' tokens too (S26, S56; docs/oidc.md).

An app's refresh token (``offline_access``) is a session at that app: it rotates for 30 days
at a time, for ever. Someone who signed in once (a stolen password and code, a stolen browser
session) could otherwise keep reading the account through the app after the owner changed
the password, after a recovery, and after an operator disabled the account.
"""

from __future__ import annotations

from typing import Any

import pytest
from authlib.integrations.base_client.errors import OAuthError

from otpgate.services.operator import OperatorService
from tests.harness import Harness
from tests.pages.conftest import Visitor
from tests.pages.oidc_steps import ISSUER, Rp, authorized, register_rp
from tests.pages.steps import assert_redirect


async def _app_tokens(h: Harness, visitor: Visitor) -> tuple[Rp, dict[str, Any]]:
    rp = await register_rp(h)
    url, _state, verifier = rp.authorization()
    token = await rp.exchange(await authorized(visitor, url), verifier)
    assert (await rp.oauth.get(f"{ISSUER}/oauth/userinfo")).status_code == 200
    return rp, token


async def _assert_dead(rp: Rp, token: dict[str, Any]) -> None:
    assert (await rp.oauth.get(f"{ISSUER}/oauth/userinfo")).status_code == 401
    with pytest.raises(OAuthError) as refused:
        await rp.oauth.refresh_token(f"{ISSUER}/oauth/token", refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"


async def test_s26_a_new_password_ends_the_apps_tokens(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    rp, token = await _app_tokens(h, visitor)
    sent = await visitor.submit(
        "/account/security",
        "/account/security/password",
        current_password="correct horse battery staple",
        new_password="a completely different passphrase",
    )
    assert_redirect(sent, "/verify")
    assert_redirect(await visitor.enter_code(await h.last_code(phone)), "/account/security")
    await _assert_dead(rp, token)


async def test_a_disabled_account_keeps_no_app_token(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    rp, token = await _app_tokens(h, visitor)
    account_id = await h.scalar("SELECT id FROM accounts")
    operator = OperatorService(h.runtime.store, h.clock, h.runtime.limiter)
    await operator.disable(account_id)
    await _assert_dead(rp, token)
    # Enabled again, the account signs in afresh: what it had before stays dead.
    await operator.enable(account_id)
    await _assert_dead(rp, token)


async def test_an_operators_sign_out_everywhere_includes_the_apps(
    h: Harness, visitor: Visitor
) -> None:
    await visitor.signed_up("ada@example.com")
    rp, token = await _app_tokens(h, visitor)
    account_id = await h.scalar("SELECT id FROM accounts")
    outcome = await OperatorService(h.runtime.store, h.clock).sign_out(account_id)
    assert outcome.changed["app_tokens"] == 2  # the access token and the refresh token
    await _assert_dead(rp, token)
