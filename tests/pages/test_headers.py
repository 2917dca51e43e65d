"""S33 on the pages: security headers, no inline script or style, friendly error pages."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html import unescape

import httpx
import pytest
from fastapi import FastAPI

from tests.harness import Harness
from tests.pages.conftest import ORIGIN, Visitor
from tests.pages.steps import ACCOUNT_PAGES, ADDRESS
from tests.texts import text_of

PAGES = ("/", "/register", "/signin", "/account", "/verify", "/dev/sms", "/no-such-page")


async def signed_in_pages(h: Harness, visitor: Visitor, developer: Visitor) -> list[httpx.Response]:
    pages = [await visitor.get(path) for path in ("/", "/register", "/signin", "/no-such-page")]
    phone = h.new_phone()
    await visitor.register("ada@example.com", phone)
    pages.append(await visitor.get("/verify"))
    await visitor.enter_code(await h.last_code(phone))
    pages.append(await visitor.get("/account"))
    pages.append(await developer.get("/dev/sms"))
    for path in ACCOUNT_PAGES:
        page = await visitor.get(path)
        assert page.status_code == 200, path
        pages.append(page)
    await visitor.submit("/account/addresses/new", "/account/addresses", **ADDRESS)
    pages.append(await visitor.get("/verify"))  # the code page of a change
    assert 'ship to "Ada Lovelace, 1 Main St' in text_of(pages[-1].text)
    return pages


async def test_every_page_carries_the_security_headers(
    h: Harness, visitor: Visitor, developer: Visitor
) -> None:
    for page in await signed_in_pages(h, visitor, developer):
        headers = page.headers
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        assert page.headers["content-type"].startswith("text/html")


async def test_pages_have_no_inline_script_or_style(
    h: Harness, visitor: Visitor, developer: Visitor
) -> None:
    for page in await signed_in_pages(h, visitor, developer):
        html = page.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.url
        assert not re.search(r"\sstyle=", html), page.url
        assert "<style" not in html
        assert not re.search(r"\son[a-z]+=", html), page.url
        assert "javascript:" not in html


async def test_static_files_are_cacheable_and_versioned(visitor: Visitor) -> None:
    home = await visitor.get("/")
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', home.text)
    js = re.search(r'src="(/static/app\.js\?v=[0-9a-f]+)"', home.text)
    assert css and js
    for url, kind in ((css.group(1), "text/css"), (js.group(1), "javascript")):
        response = await visitor.get(url)
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert "no-store" not in response.headers.get("cache-control", "")


@pytest.mark.parametrize(
    ("method", "path", "status", "words"),
    [
        ("GET", "/no-such-page", 404, "Page not found"),
        ("GET", "/static/missing.css", 404, "Page not found"),
        ("PUT", "/signin", 405, "That doesn't work here"),
        ("DELETE", "/account", 405, "That doesn't work here"),
    ],
)
async def test_browsers_get_friendly_error_pages(
    visitor: Visitor, method: str, path: str, status: int, words: str
) -> None:
    response = await visitor.client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert words in unescape(response.text)
    assert "Traceback" not in response.text
    if status == 405:
        assert "allow" in response.headers


async def test_the_api_keeps_its_problem_details(visitor: Visitor) -> None:
    for method, path, status in (
        ("GET", "/api/v1/no-such-thing", 404),
        ("PUT", "/api/v1/sessions", 405),
        ("GET", "/api/v1/me", 401),
    ):
        response = await visitor.client.request(method, path)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_crash_is_a_friendly_500_without_a_traceback(h: Harness) -> None:
    app: FastAPI = h.app

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom, methods=["GET"])
    app.add_api_route("/api/v1/boom", boom, methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        page = await client.get("/boom")
        api = await client.get("/api/v1/boom")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in api.text


async def test_dev_sms_is_absent_with_a_real_provider(
    make_harness: Callable[..., Awaitable[Harness]], make_visitor: Callable[..., Visitor]
) -> None:
    h = await make_harness(
        sms_provider="webhook",
        webhook_url="https://hooks.example/sms",
        webhook_secret="webhook-secret-that-is-long-enough-0123",
    )
    visitor = make_visitor(h)
    response = await visitor.get("/dev/sms")
    assert response.status_code == 404
    assert "Page not found" in response.text
    home = await visitor.get("/")
    assert "/dev/sms" not in home.text


@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"dev_sms_page": None, "base_url": "https://shop.example"}, False),
        ({"dev_sms_page": None, "base_url": "http://127.0.0.1:8000"}, True),
        ({"dev_sms_page": None, "sms_providers": "webhook,outbox"}, False),
        ({"dev_sms_page": False, "base_url": "http://127.0.0.1:8000"}, False),
    ],
)
async def test_the_code_inbox_is_only_served_on_a_developers_machine(
    make_harness: Callable[..., Awaitable[Harness]],
    make_visitor: Callable[..., Visitor],
    overrides: dict[str, object],
    shown: bool,
) -> None:
    extra: dict[str, object] = {}
    if "webhook" in str(overrides.get("sms_providers", "")):
        extra = {
            "webhook_url": "https://hooks.example/sms",
            "webhook_secret": "webhook-secret-that-is-long-enough-0123",
        }
    h = await make_harness(**overrides, **extra)
    response = await make_visitor(h, peer="127.0.0.1").get("/dev/sms")
    assert response.status_code == (200 if shown else 404)


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        ("203.0.113.9", {}),
        ("203.0.113.9", {"x-forwarded-for": "127.0.0.1"}),
        ("203.0.113.9", {"host": "127.0.0.1:8000"}),
        ("10.0.0.5", {"forwarded": "for=127.0.0.1"}),
        # A proxy on this machine connects from loopback for everybody it forwards.
        ("127.0.0.1", {"x-forwarded-for": "198.51.100.4"}),
        ("127.0.0.1", {"x-real-ip": "198.51.100.4"}),
        ("::ffff:203.0.113.9", {}),
    ],
)
async def test_dev_sms_answers_only_callers_on_this_machine(
    make_harness: Callable[..., Awaitable[Harness]],
    make_visitor: Callable[..., Visitor],
    peer: str,
    headers: dict[str, str],
) -> None:
    """DESIGN §6: the inbox shows every code; whatever the configuration, a caller that is not
    a loopback socket peer (or came through a proxy) gets the 404 of a page that isn't there."""
    h = await make_harness(base_url="http://127.0.0.1:8000", dev_sms_page=None)
    phone = h.new_phone()
    await h.register(phone=phone)
    code = await h.last_code(phone)
    outsider = make_visitor(h, peer=peer)
    response = await outsider.client.get("/dev/sms", headers=headers)
    assert response.status_code == 404
    assert code not in response.text
    assert "/dev/sms" not in (await outsider.client.get("/", headers=headers)).text
    for local in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        inbox = await make_visitor(h, peer=local).get("/dev/sms")
        assert inbox.status_code == 200 and code in inbox.text
