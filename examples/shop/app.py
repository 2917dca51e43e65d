"""A tiny storefront that signs its customers in through otpgate (OpenID Connect).

It uses nothing of otpgate's code: Authlib's OIDC client reads otpgate's discovery document,
sends the customer to otpgate's sign-in pages (password, then the texted code), and checks the
ID token against otpgate's JWKS. "Place order over €500" asks otpgate for a fresh code
(``max_age=0`` and ``acr_values=urn:otpgate:acr:mfa``) and accepts the order only when the new
ID token's ``auth_time`` is later than the click.

    otpgate clients create --name storefront --redirect-uri http://127.0.0.1:8001/callback \\
        --post-logout-redirect-uri http://127.0.0.1:8001/
    python examples/shop/app.py --issuer http://127.0.0.1:8000 \\
        --client-id oc_... --client-secret ocs_...
"""

from __future__ import annotations

import argparse
import html
import secrets
import time
from urllib.parse import urlencode

import uvicorn
from authlib.integrations.starlette_client import OAuth
from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

MFA = "urn:otpgate:acr:mfa"


def build_app(issuer: str, client_id: str, client_secret: str) -> Starlette:
    oauth = OAuth()
    oauth.register(
        "otpgate",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile phone", "code_challenge_method": "S256"},
    )

    async def home(request: Request) -> Response:
        user = request.session.get("user")
        if user is None:
            body = '<a id="signin" href="/login">Sign in</a>'
        else:
            verified = "verified" if user.get("phone_number_verified") else "not verified"
            body = (
                f"<p id='who'>Hello, {html.escape(user['name'])}</p>"
                f"<p id='phone'>Phone {html.escape(user['phone_number'])} ({verified})</p>"
                f"<p id='auth-time'>{user['auth_time']}</p>"
                f"<p id='order'>{html.escape(request.session.get('order', 'No order yet'))}</p>"
                '<form method="post" action="/order"><button>Place order over €500</button></form>'
                '<a href="/logout">Sign out</a>'
            )
        return HTMLResponse(f"<!doctype html><title>Storefront</title><h1>Storefront</h1>{body}")

    async def login(request: Request) -> Response:
        redirect_uri = str(request.url_for("callback"))
        return await oauth.otpgate.authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]

    async def order(request: Request) -> Response:
        # A risky action: a fresh password and code, whatever the browser remembers.
        request.session["ordering"] = int(time.time())
        redirect_uri = str(request.url_for("callback"))
        return await oauth.otpgate.authorize_redirect(  # type: ignore[no-any-return]
            request, redirect_uri, max_age=0, acr_values=MFA
        )

    async def callback(request: Request) -> Response:
        token = await oauth.otpgate.authorize_access_token(request)  # checks the ID token
        claims = token["userinfo"]
        request.session["id_token"] = token["id_token"]
        request.session["user"] = {
            "name": claims["name"],
            "phone_number": claims["phone_number"],
            "phone_number_verified": claims["phone_number_verified"],
            "auth_time": claims["auth_time"],
        }
        asked = request.session.pop("ordering", None)
        if asked is not None:
            fresh = claims["acr"] == MFA and claims["auth_time"] >= asked
            request.session["order"] = "Order placed" if fresh else "Order refused: no fresh code"
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        hint = request.session.pop("id_token", "")
        request.session.clear()
        metadata = await oauth.otpgate.load_server_metadata()
        query = urlencode(
            {
                "id_token_hint": hint,
                "post_logout_redirect_uri": str(request.url_for("home")),
                "state": secrets.token_urlsafe(8),
            }
        )
        return RedirectResponse(f"{metadata['end_session_endpoint']}?{query}", status_code=303)

    app = Starlette(
        routes=[
            Route("/", home, name="home"),
            Route("/login", login),
            Route("/order", order, methods=["POST"]),
            Route("/callback", callback, name="callback"),
            Route("/logout", logout),
        ]
    )
    app.add_middleware(
        SessionMiddleware, secret_key=secrets.token_urlsafe(32), session_cookie="shop_session"
    )
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    app = build_app(args.issuer, args.client_id, args.client_secret)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
