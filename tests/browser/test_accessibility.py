"""Issue 15: axe-core (from npm, pinned in package-lock.json) finds no violation on any page
state a customer can reach, in English, German and French.

One walk (tests/browser/tour.py, shared with the screenshots) takes an English-speaking
customer through 50-odd states: signed out, the code pages, the account pages with their
forms and errors, the sign-in methods, email links, the provider's pages, recovery and the
development outboxes; axe runs at each. Then a German browser (on a phone's screen) and a
French one (their locale sets Accept-Language, and the language cookie is set too) see the
signed-out pages and, with that customer's cookies, the account pages, their forms' errors
and a change's code pages: the templates one visit reaches without walking it all again
(three whole walks would take three times as long). The walk reads no words off the pages, so
it runs the same in any language. Last, the limit page in all three, once the per-address
code limit is tripped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.browser.conftest import DESKTOP, PHONE, new_context, unavailable, watched
from tests.browser.server import Server
from tests.browser.tour import Tour, client_args
from tests.examples.test_verify_payment import cli

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Playwright adds axe to every document of the walk's browser before the page's own scripts
# (context.add_init_script): once per browser context, not a script tag per state (that cost
# a fifth of a second each, a quarter of the walk), and outside the page's CSP as a DevTools
# script is, so the pages' own policy (script-src 'self', which refuses the inline script
# add_script_tag would add) stays in force and the walk still reports any breach of it.
# The WCAG 2.0, 2.1 and 2.2 A and AA rules and axe's best practices, named rather than left
# to axe's defaults: what is checked changes only with this list, not with an upgrade of
# axe, and it says plainly that the bar is WCAG 2.2 AA (wcag22aa adds target size).
# Experimental rules stay off, as in axe's defaults.
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],  # passes are not needed: axe does less work
}
# Browser locale, and the language the pages' language picker keeps in its cookie.
ENGLISH = ("en-GB", "en")
# German, the longest words, on the narrowest screen: wrapping and target sizes at their worst.
OTHER_LANGUAGES: tuple[tuple[str, str, ViewportSize], ...] = (
    ("de-DE", "de", PHONE),
    ("fr-FR", "fr", DESKTOP),
)
LANGUAGE_COOKIE = "otpgate_lang"
MIN_STATES = 50
MIN_STATES_AGAIN = 18
# Codes entered (and authenticator setups confirmed) per hour from one address: room for the
# walks (about 20 in all), and a limit the last test trips in a few dozen requests. An hour,
# not a minute: once tripped it stays so for the test, however long ago the walks' codes were
# (a minute's window would let one of them age out and the limit open again).
VERIFY_LIMIT = 40
# One customer signs in again and again, faster than anyone would (and a fast machine makes
# it faster still): the per-account password limit (5 in 30 s) is not what this test is for.
LIMITS = {
    "OTPGATE_LIMIT_VERIFY_IP": f"{VERIFY_LIMIT}/hour",
    "OTPGATE_LIMIT_PASSWORD_ACCOUNT": "100/minute",
}


@dataclass
class Axe:
    """Runs axe at each state of a walk and keeps what it found."""

    locale: str
    states: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, state: str, page: Page) -> None:
        assert state not in self.states, f"two states named {state}"
        self.states.append(state)
        if violations := axe_violations(page):
            self.failures.append(described(state, page.url, violations))

    def assert_clean(self, at_least: int) -> None:
        assert not self.failures, (
            f"axe, {self.locale}: violations in {len(self.failures)} of {len(self.states)} "
            "states\n" + "\n".join(self.failures)
        )
        assert len(self.states) >= at_least, self.states


@dataclass
class Walked:
    """The English walk: what axe found, and the customer it leaves signed in."""

    axe: Axe
    problems: list[str]
    cookies: list[Any]
    phone: str


@pytest.fixture(scope="module")
def server(browser: Browser) -> Iterator[Server]:
    # http://localhost: WebAuthn refuses an IP address as the relying party ID (passkeys).
    with Server(host="localhost", **LIMITS) as running:
        yield running


@pytest.fixture(scope="module")
def oidc_client(server: Server) -> str:
    """An app that asks the customer before its first sign-in (the consent page)."""
    return str(cli(server, *client_args(server))["client_id"])


@pytest.fixture(scope="module")
def english(browser: Browser, server: Server, oidc_client: str) -> Walked:
    locale, lang = ENGLISH
    context = axe_context(browser, server, locale, lang)
    axe = Axe(locale)
    try:
        page, problems = watched(context)
        tour = Tour(page, server, axe.check, tag=locale)
        tour.visitor()
        tour.account()
        tour.more(oidc_client)
        cookies = context.cookies()
    finally:
        context.close()
    return Walked(axe, problems, [c for c in cookies if c["name"] != LANGUAGE_COOKIE], tour.phone)


def axe_context(
    browser: Browser, server: Server, locale: str, lang: str, viewport: ViewportSize = DESKTOP
) -> BrowserContext:
    if not AXE.exists():
        unavailable(
            f"the accessibility tests need {AXE.relative_to(ROOT)} (make check runs npm ci)"
        )
    context = new_context(browser, locale=locale, viewport=viewport)
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": lang, "url": server.url}])
    context.add_init_script(path=AXE)
    return context


def axe_violations(page: Page) -> list[dict[str, Any]]:
    result: dict[str, Any] = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return list(result["violations"])


def described(state: str, url: str, violations: list[dict[str, Any]]) -> str:
    """What failed, readably: each rule's id, impact and help, then each failing node."""
    lines = [f"{state} ({url}):"]
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " > ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    - {target}: {summary}")
    return "\n".join(lines)


def test_axe_is_loaded_and_finds_what_is_wrong(browser: Browser, server: Server) -> None:
    """A bad page fails, so the walk's clean result means something: axe is in the page, the
    tags name its rules, and it reports what a page gets wrong."""
    context = axe_context(browser, server, *ENGLISH)
    try:
        page = context.new_page()
        page.set_content("<html><body><img src='x.png'><button></button></body></html>")
        rules = page.evaluate("tags => axe.getRules(tags).length", AXE_OPTIONS["runOnly"]["values"])
        found = {violation["id"] for violation in axe_violations(page)}
    finally:
        context.close()
    assert rules >= 80, rules  # axe 4.14.1 has 100 rules under these tags
    assert {"image-alt", "button-name", "html-has-lang", "landmark-one-main"} <= found, found


def test_every_state_of_the_walk_in_english(english: Walked) -> None:
    english.axe.assert_clean(MIN_STATES)
    assert not english.problems, english.problems


@pytest.mark.parametrize(
    ("locale", "lang", "viewport"), OTHER_LANGUAGES, ids=[other[0] for other in OTHER_LANGUAGES]
)
def test_the_pages_in_another_language(
    browser: Browser,
    server: Server,
    english: Walked,
    locale: str,
    lang: str,
    viewport: ViewportSize,
) -> None:
    context = axe_context(browser, server, locale, lang, viewport)
    axe = Axe(locale)
    try:
        page, problems = watched(context)
        tour = Tour(page, server, axe.check, tag=locale, phone=english.phone)
        tour.public_pages()
        tour.go("/signin", "signin")
        context.add_cookies(english.cookies)  # the English walk's customer, signed in
        tour.signed_in_pages()
        tour.form_errors()  # the edit forms are these forms again: seen in English only
        tour.change_codes()
        tour.outboxes()
        tour.provider_refusals()
    finally:
        context.close()
    axe.assert_clean(MIN_STATES_AGAIN)
    assert not problems, problems


def test_the_limit_page_in_every_language(
    browser: Browser, server: Server, english: Walked
) -> None:
    """Too many codes from one address: a limit no page catches (an authenticator app's
    setup) gets the limit page, in the account's layout."""
    context = axe_context(browser, server, *ENGLISH)
    axe = Axe("the limit page")
    try:
        page, problems = watched(context)
        context.add_cookies(english.cookies)
        tour = Tour(page, server, axe.check, tag="limit", phone=english.phone)
        tour.add_method("totp")
        setup = page.url
        token = page.locator("main form [name=csrf_token]").input_value()
        for _ in range(VERIFY_LIMIT + 1):
            answer = page.request.post(
                f"{server.url}/account/security/authenticator/fac_none",
                form={"csrf_token": token, "code": "000000"},
                max_redirects=0,
            )
            if answer.status == 429:
                break
        else:
            raise AssertionError(f"no limit after {VERIFY_LIMIT + 1} codes")
        for lang in (ENGLISH[1], *(language for _, language, _ in OTHER_LANGUAGES)):
            context.add_cookies([{"name": LANGUAGE_COOKIE, "value": lang, "url": server.url}])
            page.goto(setup)
            page.locator("#code").fill("000000")
            with page.expect_response(lambda response: response.request.method == "POST") as sent:
                tour.submit("main form")
            assert sent.value.status == 429, sent.value.status
            tour.at(f"limited-{lang}")
    finally:
        context.close()
    axe.assert_clean(3)
    assert not problems, problems
