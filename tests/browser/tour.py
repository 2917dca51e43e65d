"""One customer's walk through every page state they can reach, shared by the accessibility
test (axe on each state, in every language) and the screenshots (pictures of some states).

The walk picks what it presses by ids, form actions, hrefs and data attributes, never by the
words on the page, so it walks the same in every language. At each state it calls
``seen(name, page)`` with the page showing that state; the callback decides what to do with it
(run axe, take a screenshot, nothing). The customer's codes are read from the server's SMS
outbox and the links from its mail outbox (/dev/mail), as in the other browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pyotp
from playwright.sync_api import Page

from tests.browser.journey import PASSWORD
from tests.browser.server import Server
from tests.texts import wrong_code

Seen = Callable[[str, Page], None]
# Long enough for a step that waits on Chromium's virtual authenticator.
NAVIGATION_MS = 15_000
CANCEL_LINK = re.compile(r"https?://\S+/recovery/cancel\?token=\S+")
# Signed-in pages a customer reaches by a link; the walk visits them by address.
ACCOUNT_PAGES = (
    ("security", "/account/security"),
    ("devices", "/account/devices"),
    ("activity", "/account/activity"),
)


class Tour:
    """``Tour(page, server, seen, tag="en")``, then its parts in order: ``visitor()`` (sign up,
    sign out, sign in), ``account()`` (addresses, cards, security, devices, activity) and the
    rest of the states (``more()``). ``tag`` keeps each walk's customer apart."""

    def __init__(
        self, page: Page, server: Server, seen: Seen, *, tag: str, phone: str | None = None
    ) -> None:
        self.page = page
        self.server = server
        self.seen = seen
        self.name = "Ada Lovelace"
        self.email = f"ada.{tag}@example.com"
        self.phone = phone or server.new_phone()

    # -- moving about ----------------------------------------------------------------------

    def at(self, state: str) -> None:
        self.seen(state, self.page)

    def go(self, path: str, state: str | None = None, *, status: int | None = None) -> None:
        """Open ``path``; with ``status``, the answer must have it (the state is the one
        meant, whatever language the page is in)."""
        answer = self.page.goto(f"{self.server.url}{path}")
        if status is not None:
            assert answer is not None and answer.status == status, (path, answer)
        if state is not None:
            self.at(state)

    @contextmanager
    def navigation(self) -> Iterator[None]:
        """Wait for the page that what happens inside the block loads (a form's answer,
        after its redirect)."""
        with self.page.expect_navigation(timeout=NAVIGATION_MS):
            yield

    def submit(self, form: str) -> None:
        """Press the (first) submit button of the form that ``form`` selects, and wait."""
        with self.navigation():
            self.page.locator(form).locator("[type=submit]").first.click()

    def post(self, action: str) -> None:
        self.submit(f'form[action="{action}"]')

    def fill(self, fields: dict[str, str]) -> None:
        for field_id, value in fields.items():
            self.page.locator(f"#{field_id}").fill(value)

    def codes_seen(self) -> int:
        return len(self.server.codes(self.phone))

    def enter_code(self, seen: int, *, remember: bool = False, phone: str | None = None) -> None:
        """On a code page: the first code texted after the ``seen`` ones, then Continue."""
        code = self.server.wait_for_new_code(phone or self.phone, seen)
        self.page.locator("#code").fill(code)
        if remember:
            self.page.locator("#remember").check()
        self.post("/verify")

    def sign_out(self) -> None:
        self.post("/signout")

    def mail_link(self, path: str) -> str:
        """The newest link to ``path`` in a mail to the customer, read in /dev/mail (the page
        is left there: the caller opens the link)."""
        self.go("/dev/mail")
        mail = self.page.locator("[data-mail]", has_text=self.email)
        href = mail.locator(f'a[data-link][href*="{path}?token="]').first.get_attribute("href")
        assert href, f"no mail to {self.email} links to {path}"
        return href

    # -- signed out: sign up, sign out, sign in --------------------------------------------

    def visitor(self) -> None:
        self.public_pages()
        self.go("/register")
        self.fill({"name": self.name, "email": self.email, "phone": self.phone})
        self.fill({"password": PASSWORD})
        self.page.locator("#password").blur()
        self.at("register")
        self.post("/register")
        self.at("code-confirm-number")
        code = self.server.wait_for_new_code(self.phone, 0)
        self.page.locator("#code").fill(wrong_code(code))
        self.post("/verify")
        self.at("code-wrong")
        self.enter_code(0)
        self.sign_out()

        self.fill({"email": self.email, "password": PASSWORD})
        self.at("signin")
        self.fill({"password": "not the password at all"})
        self.post("/signin")
        self.at("signin-wrong")
        seen = self.codes_seen()
        self.fill({"password": PASSWORD})
        self.post("/signin")
        self.at("code")
        self.enter_code(seen)
        self.at("account")

    def public_pages(self) -> None:
        """The signed-out pages reached by address, and a form sent empty."""
        self.go("/", "home")
        self.go("/register")
        self.post("/register")  # nothing filled in: every error at once
        self.at("register-errors")

    # -- signed in: the account pages ------------------------------------------------------

    def account(self) -> None:
        seen = self.codes_seen()
        self.go("/account/addresses/new")
        self.fill(
            {
                "full_name": self.name,
                "line1": "1 Main St",
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62701",
                "instructions": "Leave it with number 3",
            }
        )
        self.page.locator("#country").select_option("US")
        self.post("/account/addresses")
        self.at("code-change")
        self.enter_code(seen)
        self.at("addresses")

        self.go("/account/payments/new")
        self.fill({"name_on_card": "ADA LOVELACE"})
        self.at("card-form")
        self.fill({"number": "4242 4242 4242 4242"})
        self.page.locator("#exp_month").select_option("8")
        self.page.locator("#exp_year").select_option("2029")
        self.post("/account/payments")
        self.enter_code(seen + 1)
        self.at("payments")
        for state, path in ACCOUNT_PAGES:
            self.go(path, state)

    def signed_in_pages(self) -> None:
        """The account pages by address (for a customer who has walked ``account()``)."""
        self.go("/account", "account")
        self.go("/account/addresses", "addresses")
        self.go("/account/payments", "payments")
        for state, path in ACCOUNT_PAGES:
            self.go(path, state)

    # -- everything else a customer can come to --------------------------------------------

    def more(self, oidc_client: str) -> None:
        """The states after ``account()``. ``oidc_client``: the id of an app created with
        ``client_args(server)`` (it asks for consent; it is sent back to ``callback_url``)."""
        self.go("/account/addresses/new", "address-form")
        self.form_errors()
        self.edits()
        self.security_errors()
        self.change_codes()
        self.sign_in_methods()
        self.email_link()
        self.outboxes()
        self.openid(oidc_client)
        self.provider_refusals()
        self.other_ways()
        self.recovery()

    def form_errors(self) -> None:
        """The address, card and name-and-email forms sent empty or wrong, and a 404."""
        self.go("/account/addresses/new")
        self.post("/account/addresses")
        self.at("address-form-errors")
        self.go("/account/payments/new")
        self.post("/account/payments")
        self.at("card-form-errors")
        self.go("/account/security")
        self.fill({"name": "", "email": "not an email"})
        self.post("/account/security/profile")
        self.at("security-profile-errors")
        self.go("/no/such/page", "not-found", status=404)

    def edits(self) -> None:
        """The forms that edit the first address and the first card."""
        for kind in ("addresses", "payments"):
            self.go(f"/account/{kind}")
            with self.navigation():
                self.page.locator('main a[href$="/edit"]').first.click()
            self.at(f"{kind}-edit")

    def security_errors(self) -> None:
        """Login & security's other forms, wrong: a password, a mobile number."""
        self.go("/account/security")
        self.fill({"current_password": "not my password", "new_password": "short"})
        self.post("/account/security/password")
        self.at("security-password-errors")
        self.fill({"phone": "12"})
        self.post("/account/security/phone")
        self.at("security-phone-errors")

    def change_codes(self) -> None:
        """A change's code page: a wrong code, then the code running out (the server's clock
        moves past its life). The change stays undone."""
        self.go("/account/addresses/new")
        self.fill({"full_name": self.name, "line1": "2 Office Park", "city": "Springfield"})
        self.fill({"region": "IL", "postal_code": "62702"})
        self.page.locator("#country").select_option("US")
        seen = self.codes_seen()
        self.post("/account/addresses")
        code = self.server.wait_for_new_code(self.phone, seen)
        self.page.locator("#code").fill(wrong_code(code))
        self.post("/verify")
        self.at("code-change-wrong")
        self.server.advance(self.code_life())
        self.go("/verify", "code-change-expired", status=410)

    def add_method(self, kind: str, label: str | None = None, state: str | None = None) -> None:
        """Add a sign-in method on Login & security and approve it with the texted code
        (``state``: the name of that code page's state, if it is one to see)."""
        self.go("/account/security")
        seen = self.codes_seen()
        form = f'form.add-factor:has(input[name=kind][value="{kind}"])'
        if label is not None:
            self.page.locator(form).locator("input[name=label]").fill(label)
        self.submit(form)
        if state is not None:
            self.at(state)
        self.enter_code(seen)

    def sign_in_methods(self) -> None:
        virtual_authenticator(self.page)
        self.add_method("totp", "My phone", "code-add-app")
        self.at("app-setup")
        secret = self.page.locator("[data-secret]").inner_text().replace(" ", "")
        code = pyotp.TOTP(secret).at(int(self.server.now()))
        self.page.locator("#code").fill(wrong_code(code))
        self.submit("main form")
        self.at("app-setup-wrong-code")
        self.page.locator("#code").fill(code)
        self.submit("main form")

        self.add_method("passkey", "This laptop")
        self.at("passkey-setup")
        with self.navigation():
            self.page.locator("[data-passkey-create]").click()

        # Its code page offers the app and the passkey as other ways.
        self.add_method("backup_codes", state="code-add-backup-codes")
        self.at("backup-codes")
        with self.navigation():
            self.page.locator('main a.button[href="/account/security"]').click()
        self.at("security-every-method")

    def email_link(self) -> None:
        link = self.mail_link("/email/confirm")
        self.page.goto(link)
        self.at("email-link")
        self.post("/email/confirm")
        self.at("email-confirmed")
        self.page.goto(link)
        self.at("email-link-used")

    def outboxes(self) -> None:
        self.go("/dev/sms", "dev-sms")
        self.go("/dev/mail", "dev-mail")

    def openid(self, client_id: str) -> None:
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback_url(self.server),
            "scope": "openid profile email phone",
            "state": "tour-state",
            "nonce": "tour-nonce",
            # A fixed PKCE pair (RFC 7636 appendix B): the code is never redeemed here.
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
        self.go(f"/oauth/authorize?{urlencode(query)}", "oauth-consent")
        # "You're signed in" moves on to the app by itself; the app is not there, so the
        # browser's move is cancelled and the page stays to be looked at.
        page, app = self.page, query["redirect_uri"]
        page.route(f"{app}*", lambda route: route.abort("aborted"))
        with page.expect_event("requestfailed", lambda request: request.url.startswith(app)):
            self.submit('form[action="/oauth/consent"]:has(button[name=decision][value=allow])')
        self.at("oauth-continue")
        page.unroute(f"{app}*")

    def provider_refusals(self) -> None:
        """The provider's own pages without an app: a request it refuses, and an app's
        sign-out without a token naming the customer (asked first)."""
        self.go("/oauth/authorize?client_id=no-such-app", "oauth-error", status=400)
        self.go("/oauth/logout", "oauth-logout")

    def other_ways(self) -> None:
        """Signing in with the other methods on offer; then the text code, on a browser
        that is then trusted."""
        self.sign_out()
        seen = self.codes_seen()
        self.fill({"email": self.email, "password": PASSWORD})
        self.post("/signin")
        self.at("code-other-ways")
        self.go("/verify?with=totp", "code-app")
        self.go("/verify?with=passkey", "code-passkey")
        self.go("/verify?with=backup_code")
        self.page.locator("#code").fill("aaaaa-aaaaa")
        self.post("/verify")
        self.at("code-backup-wrong")
        # The code expires while the page is open: it says so and offers a new one.
        self.server.advance(self.code_life())
        self.go("/verify", "code-expired", status=410)
        self.post("/verify/new")
        self.enter_code(seen + 1, remember=True)
        self.go("/account/devices", "devices-trusted")

    def code_life(self) -> float:
        """Seconds that take a code past its life (the server's setting, else the default)."""
        return float(self.server.settings.get("OTPGATE_CODE_TTL_SECONDS", "300")) + 1

    def recovery(self) -> None:
        """The phone is lost: recovery by email, across the 24-hour wait (the server's clock
        moves), ending with a code to the new number."""
        # A trusted browser skips the code page, where "Recover your account" is: forget it.
        self.go("/account/devices")
        self.submit('form[action*="/account/devices/trusted/"]')
        self.sign_out()
        self.fill({"email": self.email, "password": PASSWORD})
        self.post("/signin")
        self.go("/recovery", "recovery")
        self.post("/recovery")
        self.at("recovery-requested")
        self.page.goto(self.mail_link("/recovery/start"))
        self.at("recovery-start")
        self.post("/recovery/start")
        self.at("recovery-started")
        notice = self.server.messages(self.phone)[-1]["body"]
        cancel = CANCEL_LINK.search(notice)
        assert cancel, f"the old number's notice has no cancel link: {notice!r}"
        self.page.goto(cancel.group(0))
        self.at("recovery-cancel")
        self.page.goto(self.mail_link("/recovery/finish"))  # "Not yet"
        self.server.advance(24 * 3600 + 5)
        self.page.reload()
        self.at("recovery-finish")
        self.post("/recovery/finish")
        self.at("recovery-finish-errors")
        new_phone = self.server.new_phone()
        self.fill({"password": PASSWORD, "phone": new_phone})
        self.post("/recovery/finish")
        self.at("code-recovery")
        self.enter_code(0, phone=new_phone)
        self.phone = new_phone
        self.page.goto(cancel.group(0))
        self.at("recovery-link-used")


def virtual_authenticator(page: Page) -> None:
    """Chromium's virtual authenticator (CTAP2, platform, resident keys, user verified) for
    the passkey steps; WebAuthn needs the server at http://localhost."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options: dict[str, Any] = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def callback_url(server: Server) -> str:
    """Where the tour's OIDC client is sent back to: a path the server does not serve."""
    return f"{server.url}/tour-app/callback"


def client_args(server: Server) -> list[str]:
    """``otpgate clients create`` arguments for the tour's OIDC client."""
    shop = ["--name", "Tour Shop", "--consent", "--redirect-uri", callback_url(server)]
    return ["clients", "create", *shop]
