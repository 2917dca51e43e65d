"""``/docs``: Swagger UI served by otpgate itself, from the pinned ``swagger-ui-bundle-v2``
package (Swagger UI 5, which reads OpenAPI 3.1), never from a CDN: the API reference works on a
machine with no way out, and loads nothing from anyone else."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """Mount the Swagger UI assets and the page that uses them (FastAPI's own ``/docs`` and
    ``/redoc`` are off: they load from a CDN)."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
