"""The browser half of the provider: authorize (and back from sign-in), logout."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.responses import RedirectResponse, Response

from otpgate import i18n
from otpgate.domain.language import N_
from otpgate.services.oidc.provider import (
    ConsentNeeded,
    HttpCall,
    Redirect,
    Refused,
    SignInNeeded,
)
from otpgate.web.oidc import parts_of
from otpgate.web.pages import returns
from otpgate.web.pages.common import Visit, open_visit

router = APIRouter(include_in_schema=False)

# What each scope lets the app see, in the consent page's words (translated when shown).
SCOPE_WORDS = {
    "openid": N_("Who you are (an identifier for your account)"),
    "profile": N_("Your name"),
    "email": N_("Your email address"),
    "phone": N_("Your mobile number"),
    "offline_access": N_("Stay signed in to the app while you are away"),
}

MAX_QUERY = 4000


def _call(visit: Visit, query: list[tuple[str, str]]) -> HttpCall:
    base = visit.settings.base_url
    return HttpCall(
        method="GET",
        url=f"{base}/oauth/authorize?{urlencode(query)}",
        headers=visit.request.headers,
        query=query,
    )


def _refused(
    visit: Visit, error: str, description: str | None, status: int = 400, details: str = ""
) -> Response:
    """The page for a request we won't answer. ``description`` is our own message id (shown
    in the reader's language); ``details`` is the protocol library's English text for the
    app's developers, shown as it is. The app itself is never sent anything but English."""
    return visit.render(
        "oauth_error.html",
        status=status,
        error=error,
        description=i18n.gettext(description) if description else None,
        details=details,
    )


async def _answer(
    visit: Visit,
    query: list[tuple[str, str]],
    fresh_since: datetime | None,
    *,
    after_form: bool = False,
    consented: bool = False,
    denied: bool = False,
) -> Response:
    """``after_form``: the browser got here by a redirect from one of our forms (the code
    page, the password page). Browsers apply the form page's CSP ``form-action 'self'`` to
    that whole redirect chain, so a redirect to the app would be blocked: a page that moves
    on by itself (meta refresh, with a link) takes the browser there instead."""
    parts = parts_of(visit.request)
    outcome = await parts.provider.authorize(
        _call(visit, query),
        visit.auth,
        visit.ctx,
        fresh_since=fresh_since,
        consented=consented,
        denied=denied,
    )
    if isinstance(outcome, Redirect):
        if after_form:
            return visit.render(
                "oauth_continue.html",
                location=outcome.location,
                heading=i18n.gettext("You're signed in"),
            )
        return visit.finish(RedirectResponse(outcome.location, status_code=302))
    if isinstance(outcome, Refused):
        return _refused(visit, outcome.error, None, details=outcome.description)
    if isinstance(outcome, ConsentNeeded):
        assert visit.auth is not None
        held = json.dumps(
            {
                "query": urlencode(query),
                "session": visit.auth.session.id,
                "fresh_since": fresh_since.isoformat() if fresh_since else None,
            }
        )
        handle = await parts.returns.remember("consent", held)
        page = visit.render(
            "oauth_consent.html",
            client_name=outcome.client.name,
            scopes=[
                i18n.gettext(SCOPE_WORDS[scope]) for scope in outcome.scopes if scope in SCOPE_WORDS
            ],
        )
        return returns.keep(visit.request, page, handle)
    assert isinstance(outcome, SignInNeeded)
    handle = await parts.returns.remember("authorize", urlencode(query), require_code=outcome.code)
    if outcome.again and visit.auth is not None:
        # prompt=login, max_age or acr_values: a fresh password and code replace the session.
        await visit.services.sessions.sign_out(visit.auth, visit.ctx)
        visit.end_session()
    return returns.keep(visit.request, visit.redirect("/signin"), handle)


@router.get("/oauth/authorize")
async def authorize(request: Request) -> Response:
    visit = await open_visit(request)
    if len(request.url.query) > MAX_QUERY:
        return _refused(visit, "invalid_request", N_("The request is too long."))
    return await _answer(visit, list(request.query_params.multi_items()), None)


@router.post("/oauth/authorize")
async def authorize_post(request: Request) -> Response:
    """The same request sent as a form (OIDC Core 3.1.2.1: GET and POST). It changes nothing
    by itself: the sign-in and consent forms behind it carry their own CSRF tokens."""
    visit = await open_visit(request)
    form = await request.form(max_files=0, max_fields=30)
    items = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    if sum(len(name) + len(value) for name, value in items) > MAX_QUERY:
        return _refused(visit, "invalid_request", N_("The request is too long."))
    return await _answer(visit, items, None)


@router.get(returns.RESUME)
async def resume(request: Request) -> Response:
    """Back from the sign-in pages: answer the authorization request that sent us there."""
    visit = await open_visit(request)
    back = await parts_of(request).returns.take(returns.handle_of(request))
    if back is None or back.kind != "authorize":
        response = _refused(
            visit,
            "expired",
            N_("This sign-in took too long or was already used. Go back to the app and try again."),
        )
        return returns.forget(request, response)
    query = parse_qsl(back.target, keep_blank_values=True)
    response = await _answer(visit, query, back.created_at, after_form=True)
    if not response.headers.getlist("set-cookie") or all(
        returns.RETURN not in cookie for cookie in response.headers.getlist("set-cookie")
    ):
        returns.forget(request, response)
    return response


@router.post("/oauth/consent")
async def consent(request: Request) -> Response:
    """Allow or deny an app that asks (a client created with ``--consent``)."""
    visit = await open_visit(request)
    if visit.auth is None:
        return visit.redirect("/signin")
    fields = await visit.guard(session=True)
    back = await parts_of(request).returns.take(returns.handle_of(request))
    held = json.loads(back.target) if back is not None and back.kind == "consent" else None
    if held is None or held["session"] != visit.auth.session.id:
        page = _refused(
            visit, "expired", N_("This request is over. Go back to the app and try again.")
        )
        return returns.forget(request, page)
    fresh = datetime.fromisoformat(held["fresh_since"]) if held["fresh_since"] else None
    allowed = fields.get("decision") == "allow"
    response = await _answer(
        visit,
        parse_qsl(held["query"], keep_blank_values=True),
        fresh,
        after_form=True,
        consented=allowed,
        denied=not allowed,
    )
    return returns.forget(request, response)


LOGOUT_FIELDS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


@dataclass(frozen=True, slots=True)
class _Logout:
    client_id: str | None
    subject: object
    location: str  # the registered URI (with ``state``), or our sign-in page
    fields: dict[str, str]


async def _logout_request(visit: Visit, params: dict[str, str]) -> _Logout | Response:
    """RP-Initiated Logout 1.0 §2-3: the hint names the client; the URI must be registered."""
    fields = {name: params[name] for name in LOGOUT_FIELDS if params.get(name)}
    client_id = fields.get("client_id")
    subject = None
    hint = fields.get("id_token_hint")
    if hint:
        claims = await _hint_claims(visit.request, hint)
        if claims is None:
            return _refused(visit, "invalid_request", N_("The id_token_hint is not one of ours."))
        aud = claims.get("aud")
        hinted = aud[0] if isinstance(aud, list) and aud else aud
        if client_id and hinted != client_id:
            return _refused(visit, "invalid_request", N_("The id_token_hint names another client."))
        client_id = hinted if isinstance(hinted, str) else None
        # An ID token's audience is one of our clients: the verification API's approval
        # tokens share the keys and the issuer, but their audience is an API key.
        if client_id is None or await parts_of(visit.request).provider.client(client_id) is None:
            return _refused(visit, "invalid_request", "The id_token_hint is not one of ours.")
        subject = claims.get("sub")
    target = fields.get("post_logout_redirect_uri")
    location = "/signin"
    if target:
        provider = parts_of(visit.request).provider
        client = await provider.client(client_id) if client_id else None
        if client is None or target not in client.post_logout_redirect_uris:
            return _refused(
                visit, "invalid_request", N_("That post_logout_redirect_uri is not registered.")
            )
        state = fields.get("state")
        location = target + (
            ("&" if "?" in target else "?") + urlencode({"state": state}) if state else ""
        )
    return _Logout(client_id, subject, location, fields)


async def _sign_out(visit: Visit, asked: _Logout) -> None:
    assert visit.auth is not None
    customer = visit.auth
    await visit.services.sessions.sign_out(customer, visit.ctx)
    visit.end_session()
    visit.auth = None  # what this visit still renders is a signed-out page
    await parts_of(visit.request).provider.record_logout(customer, asked.client_id, visit.ctx)


@router.get("/oauth/logout")
async def logout(request: Request) -> Response:
    """RP-initiated logout 1.0: end the otpgate session, then back to a registered URI.

    With an ``id_token_hint`` of the signed-in customer the session ends at once; without
    one (or with another customer's), the customer confirms first, so a link on any site
    can't sign them out (§2: the OP SHOULD ask)."""
    visit = await open_visit(request)
    asked = await _logout_request(visit, dict(request.query_params))
    if not isinstance(asked, _Logout):
        return asked
    if visit.auth is not None:
        if asked.subject is None or asked.subject != visit.auth.account.id:
            return visit.render("oauth_logout.html", fields=asked.fields)
        await _sign_out(visit, asked)
    return visit.finish(RedirectResponse(asked.location, status_code=302))


@router.post("/oauth/logout")
async def logout_confirmed(request: Request) -> Response:
    visit = await open_visit(request)
    if visit.auth is None:
        return visit.redirect("/signin")
    fields = await visit.guard(session=True)
    asked = await _logout_request(visit, fields)
    if not isinstance(asked, _Logout):
        return asked
    await _sign_out(visit, asked)
    if asked.location.startswith("/"):
        return visit.redirect(asked.location, flash="signed_out")
    # After a form, a redirect to another origin would meet the form page's CSP.
    return visit.render(
        "oauth_continue.html", location=asked.location, heading=i18n.gettext("You have signed out")
    )


async def _hint_claims(request: Request, hint: str) -> dict[str, object] | None:
    parts = parts_of(request)
    keys = KeySet.import_key_set(await parts.provider.signer.jwks())  # type: ignore[arg-type]
    try:
        token = jwt.decode(hint, keys, algorithms=["ES256"])
    except (JoseError, ValueError):
        return None
    claims = dict(token.claims)
    if claims.get("iss") != parts.settings.base_url:
        return None
    return claims  # an expired hint still names its client and customer (OIDC RP logout §2)
