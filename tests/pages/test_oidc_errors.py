"""Token endpoint errors, redirect URIs, refresh rotation and open-redirect attempts (S48)."""

from __future__ import annotations

import asyncio
import html
import re
import secrets
from urllib.parse import urlencode

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError

from tests import verify_api
from tests.harness import Harness
from tests.pages.conftest import Visitor
from tests.pages.oidc_steps import APP, ISSUER, Rp, authorized, query_of, register_rp


async def _code(h: Harness, visitor: Visitor, **params: str) -> tuple[Rp, str, str]:
    await visitor.signed_up("ada@example.com")
    rp = await register_rp(h)
    url, _state, verifier = rp.authorization(**params)
    return rp, await authorized(visitor, url), verifier


async def test_s48_a_reused_code_is_refused_and_revokes_what_it_issued(
    h: Harness, visitor: Visitor
) -> None:
    rp, location, verifier = await _code(h, visitor)
    token = await rp.exchange(location, verifier)
    assert (await rp.oauth.get(f"{ISSUER}/oauth/userinfo")).status_code == 200
    with pytest.raises(OAuthError) as replay:
        await rp.exchange(location, verifier)
    assert replay.value.error == "invalid_grant"
    # RFC 6749 §4.1.2: the access and refresh tokens of the first use are revoked.
    info = await rp.oauth.get(f"{ISSUER}/oauth/userinfo")
    assert info.status_code == 401
    with pytest.raises(OAuthError):
        await rp.oauth.refresh_token(f"{ISSUER}/oauth/token", refresh_token=token["refresh_token"])
    assert await h.scalar("SELECT count(*) FROM events WHERE type = 'oidc.code_replayed'") == 1


async def test_s48_wrong_verifier_wrong_redirect_and_expired_code_are_invalid_grant(
    h: Harness, visitor: Visitor
) -> None:
    rp, location, verifier = await _code(h, visitor)
    code = query_of(location)["code"]
    client = rp.oauth

    async def post(**form: str) -> tuple[int, dict[str, object]]:
        answer = await client.post(
            f"{ISSUER}/oauth/token",
            data={"grant_type": "authorization_code", "code": code, **form},
            auth=(rp.client_id, rp.secret),
        )
        assert answer.headers["cache-control"] == "no-store"
        return answer.status_code, answer.json()

    assert await post(redirect_uri=APP, code_verifier=secrets.token_urlsafe(48)) == (
        400,
        {"error": "invalid_grant", "error_description": "Code challenge failed."},
    )
    status, body = await post(redirect_uri="https://app.example/other", code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await post(redirect_uri=APP)
    assert (status, body["error"]) == (400, "invalid_request")  # no verifier for a challenge
    h.clock.advance(61)
    status, body = await post(redirect_uri=APP, code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_grant")
    # A wrong secret is invalid_client, 401 for Basic.
    wrong = await client.post(
        f"{ISSUER}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": APP},
        auth=(rp.client_id, "ocs_wrong"),
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


async def test_s48_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(
    h: Harness, visitor: Visitor
) -> None:
    rp, location, verifier = await _code(h, visitor)
    first = await rp.exchange(location, verifier)
    url = f"{ISSUER}/oauth/token"
    second = await rp.oauth.refresh_token(url, refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    with pytest.raises(OAuthError) as reuse:
        await rp.oauth.refresh_token(url, refresh_token=first["refresh_token"])
    assert reuse.value.error == "invalid_grant"
    with pytest.raises(OAuthError):  # the family is gone, the newest one too
        await rp.oauth.refresh_token(url, refresh_token=second["refresh_token"])
    assert await h.scalar("SELECT count(*) FROM events WHERE type = 'oidc.refresh_reused'") == 1


async def test_s48_revoke_ends_an_access_token(h: Harness, visitor: Visitor) -> None:
    rp, location, verifier = await _code(h, visitor)
    token = await rp.exchange(location, verifier)
    answer = await rp.oauth.revoke_token(f"{ISSUER}/oauth/revoke", token["access_token"])
    assert answer.status_code == 200
    info = await rp.oauth.get(f"{ISSUER}/oauth/userinfo")
    assert info.status_code == 401


async def test_s48_unknown_redirect_uri_or_client_shows_a_page_never_a_redirect(
    h: Harness, visitor: Visitor
) -> None:
    await visitor.signed_up("ada@example.com")
    rp = await register_rp(h)
    for redirect in ("https://evil.example/cb", APP + "/extra", APP + "?x=1", "//evil.example"):
        url, _state, _verifier = rp.authorization(redirect_uri=redirect)
        answer = await visitor.client.get(url)
        assert answer.status_code == 400 and "location" not in answer.headers, redirect
    query = urlencode({"response_type": "code", "client_id": "oc_nobody", "redirect_uri": APP})
    answer = await visitor.client.get(f"/oauth/authorize?{query}")
    assert answer.status_code == 400 and "location" not in answer.headers


async def test_s48_public_clients_must_use_pkce_s256(h: Harness, visitor: Visitor) -> None:
    await visitor.signed_up("ada@example.com")
    rp = await register_rp(h, public=True)
    base = {"response_type": "code", "client_id": rp.client_id, "redirect_uri": APP}
    plain = {**base, "scope": "openid", "state": "s1"}
    answer = await visitor.client.get(f"/oauth/authorize?{urlencode(plain)}")
    assert query_of(answer.headers["location"])["error"] == "invalid_request"
    weak = {**plain, "code_challenge": "a" * 43, "code_challenge_method": "plain"}
    answer = await visitor.client.get(f"/oauth/authorize?{urlencode(weak)}")
    assert query_of(answer.headers["location"])["error"] == "invalid_request"
    url, _state, verifier = rp.authorization()
    token = await rp.exchange(await authorized(visitor, url), verifier)
    assert "id_token" in token


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/account",
        "/\\evil.example",
        "https://evil.example/account",
        "/%2F%2Fevil.example",
        "/account/../../evil",
        "javascript:alert(1)",
    ],
)
async def test_s48_deep_links_never_leave_the_site(
    h: Harness, visitor: Visitor, target: str
) -> None:
    from otpgate.domain.oidc import local_path

    assert local_path(target) is None
    assert local_path("/account/payments") == "/account/payments"


async def test_signed_out_deep_link_returns_after_sign_in(h: Harness, visitor: Visitor) -> None:
    phone = await visitor.signed_up("ada@example.com")
    await visitor.sign_out()
    first = await visitor.get("/account/payments")
    assert first.status_code == 303 and first.headers["location"] == "/signin"
    await visitor.sign_in("ada@example.com")
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/account/payments"
    # Used once: the next sign-in goes to the account overview.
    await visitor.sign_out()
    await visitor.sign_in("ada@example.com")
    done = await visitor.enter_code(await h.last_code(phone))
    assert done.headers["location"] == "/account"


async def test_logout_ends_the_session_and_returns_to_a_registered_uri(
    h: Harness, visitor: Visitor
) -> None:
    rp, location, verifier = await _code(h, visitor)
    token = await rp.exchange(location, verifier)
    bad = urlencode({"post_logout_redirect_uri": "https://evil.example/"})
    refused = await visitor.get(f"/oauth/logout?{bad}")
    assert refused.status_code == 400
    query = urlencode(
        {
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "https://app.example/bye",
            "state": "st8",
        }
    )
    answer = await visitor.get(f"/oauth/logout?{query}")
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://app.example/bye?state=st8"
    after = await visitor.get("/account")
    assert after.status_code == 303  # signed out
    assert await h.scalar("SELECT count(*) FROM events WHERE type = 'oidc.logout'") == 1


async def test_an_authorization_request_may_come_as_a_form(h: Harness, visitor: Visitor) -> None:
    rp, _location, _verifier = await _code(h, visitor)
    url, state, verifier = rp.authorization()
    answer = await visitor.client.post("/oauth/authorize", data=query_of(url))
    assert answer.status_code == 302 and query_of(answer.headers["location"])["state"] == state
    assert "id_token" in await rp.exchange(answer.headers["location"], verifier)


async def test_logout_without_a_hint_asks_first(h: Harness, visitor: Visitor) -> None:
    rp, _location, _verifier = await _code(h, visitor)
    query = urlencode(
        {
            "client_id": rp.client_id,
            "post_logout_redirect_uri": "https://app.example/bye",
            "state": "st9",
        }
    )
    page = await visitor.get(f"/oauth/logout?{query}")
    assert page.status_code == 200 and "Sign out of Shop?" in page.text
    assert (await visitor.get("/account")).status_code == 200  # nothing happened yet
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    done = await visitor.post("/oauth/logout", fields)
    assert refreshed_to_bye(done.text) == "https://app.example/bye?state=st9"
    assert (await visitor.get("/account")).status_code == 303


def refreshed_to_bye(page: str) -> str:
    match = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', page)
    assert match, page
    return html.unescape(match.group(1))


async def test_s48_two_concurrent_uses_of_one_code_give_one_token(
    h: Harness, visitor: Visitor
) -> None:
    """On PostgreSQL the two requests really race; the spend is a conditional UPDATE."""
    rp, location, verifier = await _code(h, visitor)
    code = query_of(location)["code"]

    async def use() -> int:
        answer = await rp.oauth.post(
            f"{ISSUER}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": APP,
                "code_verifier": verifier,
            },
            auth=(rp.client_id, rp.secret),
        )
        return answer.status_code

    statuses = sorted(await asyncio.gather(use(), use(), use()))
    assert statuses == [200, 400, 400]
    # Whatever the winner got was revoked by the losers' second use.
    live = await h.scalar("SELECT count(*) FROM oauth_tokens WHERE revoked_at IS NULL")
    assert live == 0


async def test_every_signed_in_page_has_sign_out_in_its_header(
    h: Harness, visitor: Visitor
) -> None:
    from tests.pages.steps import ACCOUNT_PAGES

    await visitor.signed_up("ada@example.com")
    for path in ("/", "/account", *ACCOUNT_PAGES):
        page = await visitor.get(path)
        header = page.text.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
        assert '<form method="post" action="/signout">' in header, path
        assert "Sign out</button>" in header, path


async def test_s48_a_replay_without_the_clients_secret_revokes_nothing(
    h: Harness, visitor: Visitor
) -> None:
    """A used code sits in the browser's history and the app's access logs (it is in the
    callback URL), and the client id is public. Presented without the client's secret, it
    must not revoke what the app holds: only the client itself can replay it (public clients
    have no secret, so their replays still revoke)."""
    rp, location, verifier = await _code(h, visitor)
    token = await rp.exchange(location, verifier)
    code = query_of(location)["code"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app, client=("192.0.2.66", 1234)), base_url=ISSUER
    ) as thief:
        for extra in ({}, {"client_secret": "ocs_guessed"}):
            replay = await thief.post(
                "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": APP,
                    "code_verifier": verifier,
                    "client_id": rp.client_id,
                    **extra,
                },
            )
            assert replay.status_code in (400, 401)
        spent = await thief.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": token["refresh_token"],
                "client_id": rp.client_id,
            },
        )
        assert spent.status_code in (400, 401)
    assert (await rp.oauth.get(f"{ISSUER}/oauth/userinfo")).status_code == 200
    assert await h.scalar("SELECT count(*) FROM events WHERE type = 'oidc.code_replayed'") == 0
    fresh = await rp.oauth.refresh_token(
        f"{ISSUER}/oauth/token", refresh_token=token["refresh_token"]
    )
    assert fresh["refresh_token"] != token["refresh_token"]


async def test_an_approval_token_is_no_id_token_hint(h: Harness, visitor: Visitor) -> None:
    """The verification API's approval tokens share the JWKS and the issuer; their audience is
    an API key, not a client: as a logout hint one must not sign the customer out at once."""
    await _code(h, visitor)
    account_id = await h.scalar("SELECT id FROM accounts")
    phone = await h.scalar("SELECT phone FROM accounts")
    key = await verify_api.api_key(h)
    verification, _ = await verify_api.started(h, key, account_id=account_id, phone=phone)
    checked = await verify_api.check(h, key, verification["id"], await h.last_code(phone))
    assert checked.status_code == 200, checked.text
    hint = checked.json()["approval_token"]
    answer = await visitor.get(f"/oauth/logout?{urlencode({'id_token_hint': hint})}")
    assert answer.status_code == 400
    assert "not one of ours" in answer.text
    assert (await visitor.get("/account")).status_code == 200  # still signed in
