"""Provider callbacks: Twilio's message status callbacks (delivery receipts).

Twilio signs each callback (``X-Twilio-Signature``: HMAC-SHA1 of the URL it posted to and the
sorted form fields, under the account's auth token). The SDK's ``RequestValidator`` checks it
against the URL we told Twilio to use; anything else is refused with 403 and changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from otpgate.config import TWILIO_STATUS_PATH
from otpgate.web import problems
from otpgate.web.deps import RuntimeDep

router = APIRouter(tags=["hooks"], include_in_schema=False)


@router.post(TWILIO_STATUS_PATH)
async def twilio_status(request: Request, runtime: RuntimeDep) -> Response:
    settings = runtime.settings
    url = settings.twilio_status_callback_url
    token = settings.twilio_auth_token
    if url is None or token is None:
        return _refused(404, "not_found", "Not found", "Status callbacks are not enabled.")
    form = await request.form()
    params = {key: value for key, value in form.items() if isinstance(value, str)}
    signature = request.headers.get("x-twilio-signature", "")
    from twilio.request_validator import RequestValidator  # the SDK only where callbacks are on

    validator = RequestValidator(token.get_secret_value())
    if not signature or not validator.validate(url, params, signature):
        return _refused(403, "forbidden", "Not allowed", "The callback signature is not valid.")
    if settings.twilio_account_sid and params.get("AccountSid") != settings.twilio_account_sid:
        return _refused(403, "forbidden", "Not allowed", "The callback is for another account.")
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    error_code = params.get("ErrorCode") or None
    if sid:
        await runtime.delivery.receipt("twilio", sid, status, error_code)
    # Twilio only needs a 2xx; an unknown sid or an interim status is not an error to retry.
    return Response(status_code=204)


def _refused(status: int, code: str, title: str, detail: str) -> JSONResponse:
    return problems.problem(status, code, title, detail)
