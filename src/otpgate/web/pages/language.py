"""The language picker: ``POST /language`` remembers the choice in a cookie (it outranks
``Accept-Language``), and for a signed-in visitor also on the account, whose SMS and email are
then written in it. It answers with a redirect back to the page it was chosen on (a local path
only: never an open redirect)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate.domain.language import supported
from otpgate.domain.oidc import local_path
from otpgate.web.middleware import LANGUAGE_COOKIE
from otpgate.web.pages.common import open_visit

router = APIRouter(include_in_schema=False)

# A year: a language is a preference, not a credential (the cookie holds only "de").
LANGUAGE_MAX_AGE = 365 * 24 * 3600
# The pages a picker can send the visitor back to.
PAGE_PREFIXES = ("/account", "/signin", "/register", "/verify", "/recovery", "/email", "/dev")


@router.post("/language")
async def choose_language(request: Request) -> Response:
    visit = await open_visit(request)
    fields = await visit.guard(session=visit.auth is not None)
    back = _back_to(fields.get("next"))
    language = supported(fields.get("language"))
    if language is None:
        return visit.redirect(back)
    if visit.auth is not None:
        await visit.services.profile.set_language(visit.auth, language)
    response = visit.redirect(back)
    visit.pages.cookies.set(response, LANGUAGE_COOKIE, language, max_age=LANGUAGE_MAX_AGE)
    return response


def _back_to(candidate: str | None) -> str:
    if candidate == "/":
        return "/"
    return local_path(candidate, PAGE_PREFIXES) or "/"
