"""Page tests: a browser-like httpx client (cookie jar, form tokens) against the ASGI app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
import pytest

from tests.harness import PASSWORD, Harness

ORIGIN = "https://shop.example"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ALERT = re.compile(r'role="alert"[^>]*>(.*?)</', re.S)


@dataclass
class Visitor:
    """One browser: its own cookies, at the site's own https origin, sending what browsers send."""

    h: Harness
    client: httpx.AsyncClient

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def token(self, path: str) -> str:
        """The CSRF token of the form on ``path`` (loading it, as a person would)."""
        page = await self.client.get(path)
        assert page.status_code == 200, page.text
        return token_in(page.text)

    async def post(
        self, path: str, data: dict[str, str], *, headers: dict[str, str | None] | None = None
    ) -> httpx.Response:
        """POST a form with a browser's headers; a header given as None is left out."""
        origin = str(self.client.base_url).rstrip("/")
        merged = {"origin": origin, "sec-fetch-site": "same-origin", **(headers or {})}
        sent = {name: value for name, value in merged.items() if value is not None}
        return await self.client.post(path, data=data, headers=sent)

    async def submit(self, form_page: str, action: str, **fields: str) -> httpx.Response:
        """Load ``form_page``, fill in ``fields`` and send the form to ``action``."""
        token = await self.token(form_page)
        return await self.post(action, {"csrf_token": token, **fields})

    async def register(
        self, email: str, phone: str, name: str = "Ada Lovelace", password: str = PASSWORD
    ) -> httpx.Response:
        return await self.submit(
            "/register", "/register", name=name, email=email, phone=phone, password=password
        )

    async def enter_code(self, code: str, **extra: str) -> httpx.Response:
        return await self.submit("/verify", "/verify", code=code, **extra)

    async def shown(self, response: httpx.Response) -> httpx.Response:
        """Follow a code form's answer back to the code page (post/redirect/get): what the
        browser shows after the POST."""
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/verify"), response.headers
        return await self.client.get(response.headers["location"])

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.submit("/signin", "/signin", email=email, password=password)

    async def sign_out(self) -> httpx.Response:
        """Press "Sign out" on the account page."""
        return await self.submit("/account", "/signout")

    async def signed_up(self, email: str, name: str = "Ada Lovelace") -> str:
        """Register and confirm the number; return the phone number used."""
        phone = self.h.new_phone()
        response = await self.register(email, phone, name=name)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/verify"
        done = await self.enter_code(await self.h.last_code(phone))
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/account"
        return phone

    def cookie(self, base: str) -> str | None:
        name = f"__Host-{base}" if self.h.settings.is_https else base
        return self.client.cookies.get(name)


SIGN_OUT_FORM = re.compile(r'<form method="post" action="/signout">.*?</form>', re.S)


def token_in(html: str) -> str:
    """The token of the page's own form: the header's Sign out form (every signed-in page)
    carries the session's token, which an anonymous form (a mailed link's page) refuses."""
    match = TOKEN.search(SIGN_OUT_FORM.sub("", html, count=1)) or TOKEN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def alerts(html: str) -> list[str]:
    return [unescape(" ".join(text.split())) for text in ALERT.findall(html)]


@pytest.fixture
async def make_visitor() -> AsyncIterator[Callable[..., Any]]:
    made: list[httpx.AsyncClient] = []

    def build(target: Harness, base_url: str = ORIGIN, peer: str = "203.0.113.9") -> Visitor:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=target.app, client=(peer, 50000)),
            base_url=base_url,
        )
        made.append(client)
        return Visitor(h=target, client=client)

    yield build
    for client in made:
        await client.aclose()


@pytest.fixture
def visitor(h: Harness, make_visitor: Callable[..., Visitor]) -> Visitor:
    return make_visitor(h)


@pytest.fixture
def developer(h: Harness, make_visitor: Callable[..., Visitor]) -> Visitor:
    """A browser on the machine itself (a loopback peer): the only one /dev/sms answers."""
    return make_visitor(h, peer="127.0.0.1")
