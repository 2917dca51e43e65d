"""What the OpenAPI document says beyond the schemas (issue 15 point 13), added to every
operation so none can be forgotten (``tests/api/test_openapi_docs.py`` walks the document):

- a description: what the operation does (its docstring or summary), who may call it (read from
  its security), and what it sends (a text, a call, nothing);
- request and response examples: the models' own where they have them, else one built from
  the schema;
- every error with the problem schema and, per status, the codes it can carry (from the errors
  page's catalogue) and an example of each;
- ``Retry-After`` on 429 and 503, ``RateLimit``/``RateLimit-Policy`` on every answer of an
  operation that a limit counts, ``X-Request-Id`` on every answer.
"""

from __future__ import annotations

from typing import Any

from otpgate.web.context import ERRORS_PATH

HEADER_DOCS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "This request's id; every problem repeats it as `request_id`. Send "
        "your own (1–64 of `A-Za-z0-9._:-`) to follow a request through both logs.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds until a retry may work",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit": {
        "description": 'The binding limit now (IETF httpapi draft): `"rule";r=<left>;t=<s>`',
        "schema": {"type": "string"},
        "example": '"send_number";r=4;t=900',
    },
    "RateLimit-Policy": {
        "description": 'Its quota: `"rule";q=<quota>;w=<window seconds>`',
        "schema": {"type": "string"},
        "example": '"send_number";q=5;w=900',
    },
}

# Operations that text or call, by (method, path); step-ups are recognised by their 202.
SENDS: dict[tuple[str, str], str] = {
    ("post", "/api/v1/accounts"): "Texts a code to the new mobile number (a decoy when the "
    "email is taken, so the answer never tells).",
    ("post", "/api/v1/sessions"): "Texts a sign-in code to the account's confirmed number "
    "(nothing on a trusted browser, nor after a wrong password).",
    ("post", "/api/v1/challenges/{challenge_id}/resend"): "Texts (or, with `channel: voice`, "
    "calls with) a new code; the previous code stops working.",
    ("post", "/api/v1/verifications"): "Texts a code that names the summary to `to` or to the "
    "account's confirmed number.",
    ("post", "/api/v1/verifications/{verification_id}/resend"): "Texts a new code; the "
    "previous one stops working.",
}
STEP_UP_SENDS = (
    "Needs a code: answers 202 with a challenge and texts a code that names the change to the "
    "account's confirmed number; the change applies when the code is verified."
)

NAMED: dict[str, Any] = {
    "email": "ada@example.com",
    "password": "correct horse battery staple",
    "current_password": "correct horse battery staple",
    "new_password": "a new and longer passphrase",
    "phone": "+14155552671",
    "to": "+14155552671",
    "name": "Ada Lovelace",
    "code": "123456",
    "token": "ses_Yx3...",
    "destination": "+1 ••• ••• ••71",
    "summary": "Pay €1,250.00 to ACME GmbH",
    "country": "US",
    "locale": "en",
    "number": "4242424242424242",
}


def example_of(schema: dict[str, Any], components: dict[str, Any], name: str = "") -> Any:
    """A value the schema accepts, readable for people (names guide strings)."""
    return _example(schema, components, name, 0)


def _example(schema: dict[str, Any], components: dict[str, Any], name: str, depth: int) -> Any:
    if depth > 6:
        return None
    if "$ref" in schema:
        target = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return _example(target, components, name, depth + 1)
    for key in ("example", "default", "const"):
        if schema.get(key) is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if options:
            return _example(options[0], components, name, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            prop: _example(sub, components, prop, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [_example(schema.get("items", {}), components, name, depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        return _string(schema, name)
    return None


def _string(schema: dict[str, Any], name: str) -> str:
    if name in NAMED:
        return str(NAMED[name])
    fmt = schema.get("format")
    if fmt == "date-time" or name.endswith("_at"):
        return "2026-11-25T19:35:30Z"
    if fmt == "email":
        return str(NAMED["email"])
    if fmt in ("uri", "url"):
        return "https://shop.example/"
    if name == "id" or name.endswith("_id"):
        return f"{name.removesuffix('_id') or 'obj'}_3kTv9qX2aLm0"
    return name.replace("_", " ") or "text"


def _who(operation: dict[str, Any]) -> str:
    schemes = {name for option in operation.get("security", []) for name in option}
    optional = {} in operation.get("security", [])
    if "apiKey" in schemes:
        return "One of the shop's applications, with its API key (`Bearer otk_...`)."
    if "bearerAuth" in schemes and optional:
        return "Anyone holding the challenge id; a signed-in customer's session is read when sent."
    if "bearerAuth" in schemes:
        return "A signed-in customer (`Authorization: Bearer ses_...`)."
    return "Anyone (no credentials)."


def _sends(method: str, path: str, operation: dict[str, Any]) -> str:
    if (method, path) in SENDS:
        return SENDS[(method, path)]
    accepted = operation.get("responses", {}).get("202", {})
    ref = str(accepted.get("content", {}).get("application/json", {}).get("schema", {}))
    if path.startswith("/api/v1/me") and "ChallengeEnvelope" in ref:
        return STEP_UP_SENDS
    return "Sends no message."


def enrich(document: dict[str, Any], codes_by_status: dict[int, list[str]]) -> None:
    """Add descriptions, examples, error codes and headers to every operation."""
    components = document.get("components", {}).get("schemas", {})
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            what = operation.get("description") or operation.get("summary") or ""
            operation["description"] = (
                f"{what.strip()}\n\n**Who may call it:** {_who(operation)}\n\n"
                f"**What it sends:** {_sends(method, path, operation)}"
            ).strip()
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                if "example" not in media and "examples" not in media:
                    media["example"] = example_of(media.get("schema", {}), components)
            responses = operation["responses"]
            limited = "429" in responses
            for status, response in responses.items():
                _response(status, response, components, codes_by_status, limited)


def _response(
    status: str,
    response: dict[str, Any],
    components: dict[str, Any],
    codes_by_status: dict[int, list[str]],
    limited: bool,
) -> None:
    headers = response.setdefault("headers", {})
    names = ["X-Request-Id"]
    if status in ("429", "503"):
        names.append("Retry-After")
    if limited and (status.startswith("2") or status == "429"):
        names += ["RateLimit", "RateLimit-Policy"]
    for name in names:
        headers.setdefault(name, HEADER_DOCS[name])
    if not status.isdigit() or int(status) < 400:
        for media in response.get("content", {}).values():
            if "example" not in media and "examples" not in media:
                media["example"] = example_of(media.get("schema", {}), components)
        return
    media = response.setdefault("content", {}).setdefault("application/problem+json", {})
    media.setdefault("schema", {"$ref": "#/components/schemas/Problem"})
    examples = media.setdefault("examples", {})
    codes = list(examples) or codes_by_status.get(int(status), [])
    for code in codes:
        examples.setdefault(code, {"value": _problem_example(int(status), code)})
    description = response.get("description", "")
    if codes and "Codes:" not in description:
        listed = ", ".join(f"[`{c}`]({ERRORS_PATH}#{c})" for c in codes)
        response["description"] = f"{description}. Codes: {listed}.".lstrip(". ")


def _problem_example(status: int, code: str) -> dict[str, Any]:
    example: dict[str, Any] = {
        "type": f"{ERRORS_PATH}#{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": "…",
        "code": code,
        "request_id": "9f2c4e1a7b3d5f60",
    }
    if status == 429:
        example["retry_after"] = 30
    return example
