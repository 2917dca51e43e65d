"""``/docs`` works offline (issue 15 point 12): Swagger UI's assets come from otpgate itself.
Chromium loads the page with every request beyond the server refused, and the whole API
renders."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.browser.server import Server

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.browser


def test_docs_render_with_the_outside_network_blocked(page: Page, server: Server) -> None:
    own = urlsplit(server.url).netloc
    refused: list[str] = []

    def only_our_server(route: Route) -> None:
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).netloc == own:
            route.continue_()
        else:
            refused.append(url)
            route.abort("internetdisconnected")

    page.route("**/*", only_our_server)
    loaded: list[str] = []
    page.on("requestfinished", lambda request: loaded.append(request.url))

    page.goto(f"{server.url}/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="otpgate").wait_for()
    page.locator(".opblock").first.wait_for()

    assert refused == []
    assert page.locator(".opblock").count() > 30  # every operation, nothing failed to load
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in loaded)
    assert any(url.endswith("/openapi.json") for url in loaded)
    # The error page the problems link to is there too.
    page.goto(f"{server.url}/docs/errors#invalid_code")
    assert page.locator("#invalid_code").is_visible()
