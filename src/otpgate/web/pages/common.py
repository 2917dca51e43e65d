"""What every page handler shares: the visitor, rendering, redirects and guarding forms."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from otpgate import i18n
from otpgate.bootstrap import Runtime
from otpgate.config import Settings
from otpgate.domain.errors import NotAuthenticated, OtpgateError
from otpgate.domain.language import N_, NATIVE_NAMES
from otpgate.services.container import Services
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.web.context import note_account
from otpgate.web.deps import context_of, runtime_of
from otpgate.web.pages import cookies, csrf
from otpgate.web.pages.cookies import Cookies, PreSession
from otpgate.web.pages.times import time_tag
from otpgate.web.security import is_loopback_peer

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE.parent / "templates"
STATIC_DIR = HERE.parent / "static"
MAX_FORM_FIELDS = 20

# Flash messages travel as a key, never as text: a cookie can't inject words into a page.
FLASHES = {
    "resent": N_("We sent a new code. The previous code no longer works."),
    "new_code": N_("We sent a new code."),
    "calling": N_("We're calling you now with a new code. The code we texted no longer works."),
    "signed_out": N_("You have signed out."),
    "signed_in": N_("You are signed in."),
    "confirmed": N_("Your mobile number is confirmed and you are signed in."),
    # After a step-up code: the change is applied (the page it came from shows the result).
    "profile_changed": N_("Your details are updated."),
    "password_changed": N_("Your password is changed. Every other browser was signed out."),
    "phone_step_one": N_("Your current number approved the change. One more code to go."),
    "phone_changed": N_("Your mobile number is changed. Codes now go to the new number."),
    "address_added": N_("The address is added."),
    "address_updated": N_("The address is updated."),
    "address_removed": N_("The address is removed."),
    "address_saved": N_("Saved. Labels and delivery instructions change without a code."),
    "unchanged": N_("Nothing changed."),
    "card_added": N_("The card is added."),
    "card_updated": N_("The card is updated."),
    "card_removed": N_("The card is removed."),
    "session_signed_out": N_("That browser is signed out."),
    "others_signed_out": N_("Every other browser is signed out."),
    "device_forgotten": N_("That browser is forgotten. It will need a code at its next sign-in."),
    "totp_added": N_("Your authenticator app is set up. Next time, you can use a code from it."),
    "passkey_added": N_("Your passkey is set up. Next time, you can use it instead of a code."),
    "factor_removed": N_("That sign-in method is removed."),
    "setup_over": N_("That setup is over. Start again to add the sign-in method."),
    "email_link_sent": N_("We sent the link again. It works once."),
    "email_link_wait": N_("We sent several links already. Look for them, or try again later."),
    "backup_code_used": N_(
        "You signed in with a backup code. Lost your phone? Change your mobile "
        "number or add another sign-in method in Login & security."
    ),
    "email_pending": N_("Saved. Open the link we sent to your new email address to finish."),
    "recovered": N_(
        "Your account is recovered: your new number is confirmed. Every other "
        "browser was signed out and your other sign-in methods removed."
    ),
}


@dataclass(frozen=True)
class Pages:
    """Everything the pages need that is fixed when the app is built."""

    settings: Settings
    cookies: Cookies
    env: jinja2.Environment
    assets: Mapping[str, str]
    # Server keys for CSRF tokens and the sealed pre-session cookie (the first signs).
    keys: tuple[bytes, ...]

    @classmethod
    def build(cls, settings: Settings) -> Pages:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,  # every template is HTML: escape everything a user typed
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        # ``{% trans %}`` collapses a block's whitespace into one clean message id; new-style
        # ``_("... %(name)s", name=...)`` escapes what it fills in.
        env.policies["ext.i18n.trimmed"] = True
        env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True
        )
        env.globals["language"] = i18n.current_language
        env.globals["languages"] = NATIVE_NAMES
        env.filters["when"] = format_when
        env.filters["local"] = local_time
        assets = {
            path.name: f"/static/{path.name}?v={_digest(path)}"
            for path in sorted(STATIC_DIR.iterdir())
            if path.is_file()
        }
        return cls(
            settings=settings,
            cookies=Cookies(https=settings.is_https),
            env=env,
            assets=assets,
            keys=settings.secret_keys,
        )


def shown(error: OtpgateError) -> str:
    """An error's words in the page's language (the API answers them in English)."""
    words = i18n.gettext(error.message)
    return words % error.params if error.params else words


def format_when(moment: datetime | None) -> str:
    """ "25 Nov 2026, 19:40 UTC" in the page's language — unambiguous in every locale."""
    if moment is None:
        return ""
    return i18n.format_moment(moment)


def local_time(moment: datetime | None) -> Markup:
    """``<time>`` with the exact UTC moment, its text "25 Nov 2026, 19:40 UTC" until app.js
    shows it in the browser's own time zone."""
    if moment is None:
        return Markup("")
    return time_tag(moment, format_when(moment))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


@dataclass
class Visit:
    """One request from a browser: who it is (session or pre-session) and how to answer it."""

    request: Request
    pages: Pages
    runtime: Runtime
    auth: Customer | None
    session_token: str | None
    pre: PreSession
    pre_is_new: bool
    flash: str | None
    _pre_dirty: bool = field(default=False, repr=False)
    _session: tuple[str, int | None] | None = field(default=None, repr=False)
    _signed_out: bool = field(default=False, repr=False)
    _device_token: str | None = field(default=None, repr=False)

    @property
    def services(self) -> Services:
        return self.runtime.services

    @property
    def settings(self) -> Settings:
        return self.pages.settings

    @property
    def ctx(self) -> RequestContext:
        return context_of(self.request)

    @property
    def keys(self) -> tuple[bytes, ...]:
        return self.pages.keys

    def now(self) -> datetime:
        return self.runtime.clock.now()

    # -- CSRF ------------------------------------------------------------------------------

    def csrf_pre(self) -> str:
        """The token of the anonymous forms; using it makes sure the browser has the cookie."""
        self._pre_dirty = self._pre_dirty or self.pre_is_new
        return csrf.token_for(self.keys[0], csrf.pre_binding(self.pre.nonce))

    def csrf_session(self) -> str:
        assert self.session_token is not None
        return csrf.token_for(self.keys[0], csrf.session_binding(self.session_token))

    def form_token(self) -> str:
        """The token for this visitor's forms: bound to the session once signed in."""
        return self.csrf_session() if self.auth is not None else self.csrf_pre()

    async def guard(self, *, session: bool = False) -> dict[str, str]:
        """Check origin and token of a POST (``CsrfRefused`` if wrong); return its fields."""
        csrf.check_origin(self.request, self.settings.base_url)
        fields = await read_form(self.request)
        bindings: list[str] = []
        if session and self.session_token is not None:
            bindings.append(csrf.session_binding(self.session_token))
        if not session and not self.pre_is_new:
            bindings.append(csrf.pre_binding(self.pre.nonce))
        csrf.check_token(fields.get(csrf.FIELD), self.keys, bindings)
        return fields

    # -- pre-session -----------------------------------------------------------------------

    def remember_challenge(self, challenge_id: str | None) -> None:
        self.pre = self.pre.with_challenge(challenge_id)
        self._pre_dirty = True

    # -- answers ---------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        values = {
            "brand": self.settings.brand,
            "signed_in": self.auth is not None,
            "csrf": self.csrf_pre,
            "form_token": self.form_token,
            "flash": self.flash,
            # The language picker's way back to this page.
            "here": self.request.url.path
            + (f"?{self.request.url.query}" if self.request.url.query else ""),
            "asset": self.pages.assets.get,
            "dev_inbox": self.settings.dev_inbox_enabled
            and is_loopback_peer(
                self.request.client.host if self.request.client else None, self.request.headers
            ),
            **context,
        }
        html = self.pages.env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status)
        response.headers["content-language"] = i18n.current_language()
        response.headers["vary"] = "Accept-Language, Cookie"
        return self.finish(response)

    def redirect(self, url: str, flash: str | None = None) -> Response:
        response = RedirectResponse(url, status_code=303)
        if flash is not None:
            assert flash in FLASHES
            self.pages.cookies.set(response, cookies.FLASH, flash, max_age=60)
        return self.finish(response, keep_flash=flash is not None)

    def finish(self, response: Response, *, keep_flash: bool = False) -> Response:
        """Write the cookie changes this visit decided on into ``response``."""
        jar = self.pages.cookies
        if self._session is not None:
            token, max_age = self._session
            jar.set(response, cookies.SESSION, token, max_age=max_age)
            jar.clear(response, cookies.PRE)
        elif self._signed_out:
            jar.clear(response, cookies.SESSION)
        elif self._pre_dirty:
            jar.set(response, cookies.PRE, cookies.seal(self.pre, self.keys[0]))
        if self._device_token is not None:
            jar.set(
                response,
                cookies.DEVICE,
                self._device_token,
                max_age=self.settings.device_trust_seconds,
                samesite="strict",
            )
        if self.flash is not None and not keep_flash:
            jar.clear(response, cookies.FLASH)
        return response

    # -- sessions --------------------------------------------------------------------------

    def start_session(self, token: str, expires_at: datetime | None) -> None:
        """Give the browser a fresh session and forget the pre-session (and its challenge)."""
        max_age = None
        if expires_at is not None:
            max_age = max(1, int((expires_at - self.now()).total_seconds()))
        self._session = (token, max_age)

    def end_session(self) -> None:
        self._signed_out = True

    def trust_device(self, device_token: str) -> None:
        self._device_token = device_token

    def device_token(self) -> str | None:
        return self.pages.cookies.get(self.request, cookies.DEVICE)


async def open_visit(request: Request) -> Visit:
    """Read the browser's cookies: a live session, the pre-session, a flash message."""
    pages = pages_of(request)
    runtime = runtime_of(request)
    jar = pages.cookies
    token = jar.get(request, cookies.SESSION)
    auth: Customer | None = None
    if token is not None:
        try:
            auth = await runtime.services.sessions.authenticate(token)
            note_account(auth.account.id)
        except NotAuthenticated:
            token = None
    pre = cookies.unseal(jar.get(request, cookies.PRE), pages.keys)
    flash_key = jar.get(request, cookies.FLASH)
    return Visit(
        request=request,
        pages=pages,
        runtime=runtime,
        auth=auth,
        session_token=token,
        pre=pre or PreSession.fresh(),
        pre_is_new=pre is None,
        flash=i18n.gettext(text) if (text := FLASHES.get(flash_key or "")) else None,
    )


class SignInFirst(Exception):
    """An account page or form reached without a live session (S19): off to sign-in."""


async def member(request: Request) -> tuple[Visit, Customer]:
    """The signed-in visitor of an account page, or ``SignInFirst``."""
    visit = await open_visit(request)
    if visit.auth is None:
        raise SignInFirst()
    return visit, visit.auth


async def member_form(request: Request) -> tuple[Visit, Customer, dict[str, str]]:
    """A signed-in visitor's POST, its origin and session-bound token checked; its fields.

    Without a session nothing is read or changed: a cross-site request is refused (403), any
    other goes to sign-in.
    """
    visit = await open_visit(request)
    if visit.auth is None:
        csrf.check_origin(request, visit.settings.base_url)
        raise SignInFirst()
    fields = await visit.guard(session=True)
    return visit, visit.auth, fields


async def sign_in_first_handler(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/signin", status_code=303)


async def read_form(request: Request) -> dict[str, str]:
    """The text fields of a urlencoded or multipart form (files are refused)."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    return {name: value for name, value in form.items() if isinstance(value, str)}
