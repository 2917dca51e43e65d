"""Back to where the browser was going once it has signed in (issue 15 point 7).

The destination is stored server-side (``services/oidc/returns.py``); the browser carries a
random handle in the ``otpgate_return`` cookie. Two kinds: a signed-out deep link to an
account page, and an authorization request of one of the shop's apps (``/oauth/authorize``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from otpgate.domain.oidc import local_path
from otpgate.web.oidc import parts_of
from otpgate.web.pages.common import Visit, pages_of

RETURN = "otpgate_return"
RESUME = "/oauth/authorize/resume"


def handle_of(request: Request) -> str | None:
    return pages_of(request).cookies.get(request, RETURN)


def keep(request: Request, response: Response, handle: str) -> Response:
    parts = parts_of(request)
    pages_of(request).cookies.set(
        response, RETURN, handle, max_age=parts.settings.sign_in_return_seconds
    )
    return response


def forget(request: Request, response: Response) -> Response:
    pages_of(request).cookies.clear(response, RETURN)
    return response


async def sign_in_first_handler(request: Request, exc: Exception) -> Response:
    """An account page opened without a session: sign in, then come back to it (GET only;
    a form posted without a session is not replayed)."""
    response = RedirectResponse("/signin", status_code=303)
    if request.method != "GET":
        return response
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if local_path(target) is None:
        return response
    handle = await parts_of(request).returns.remember("path", target)
    return keep(request, response, handle)


async def wants_code(visit: Visit) -> bool:
    """Whether the pending return asks for a code even on a trusted browser."""
    back = await parts_of(visit.request).returns.peek(handle_of(visit.request))
    return back is not None and back.require_code


async def finish_sign_in(
    visit: Visit, default: str, flash: str, *, deep_links: bool = True
) -> Response:
    """The answer to a completed sign-in: back where the browser was going, else ``default``.

    ``deep_links=False`` (a new account's first sign-in): only an app's authorization request
    is resumed; a new customer starts on the account overview.
    """
    request = visit.request
    handle = handle_of(request)
    returns = parts_of(request).returns
    back = await returns.peek(handle)
    if back is None:
        return visit.redirect(default, flash=flash)
    if back.kind == "authorize":
        # The resume page spends the handle and answers the app.
        return visit.redirect(RESUME)
    if not deep_links:
        return forget(request, visit.redirect(default, flash=flash))
    taken = await returns.take(handle)
    target = local_path(taken.target) if taken else None
    return forget(request, visit.redirect(target or default, flash=flash))
