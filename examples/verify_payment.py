"""A shop confirms a payment with otpgate's verification API (docs/verify-api.md).

    python examples/verify_payment.py --base-url http://127.0.0.1:8000 \\
        --key-id key_... --api-key otk_... --to +14155552671

1. ask otpgate to text the customer a code bound to this payment (summary and details);
2. take the code the customer typed (here: asked on the terminal, or read from the
   development outbox with ``--outbox``);
3. check it, presenting the same details again;
4. verify the approval token yourself: signature (ES256) against otpgate's JWKS, issuer,
   audience (your key id), expiry, and that ``details_sha256`` is the hash of *this* payment.
   Only then pay.

Needs httpx and joserfc. Exit status 0 when the payment is approved.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


def canonical(details: dict[str, Any]) -> str:
    """The spelling otpgate hashes: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def code_from_outbox(outbox: Path, to: str, after: int, timeout: float = 10.0) -> str:
    """The newest code texted to ``to`` (development outbox only; a customer types it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox.exists():
            lines = outbox.read_text(encoding="utf-8").splitlines()[after:]
            for line in reversed(lines):
                message = json.loads(line)
                if message["to"] == to:
                    return str(message["body"].rsplit("#", 1)[1])
        time.sleep(0.05)
    raise SystemExit(f"no code for {to} in {outbox}")


def approve_payment(args: argparse.Namespace) -> dict[str, Any]:
    payment = {"amount": args.amount, "currency": "EUR", "payee": args.payee}
    summary = f"Pay €{args.amount} to {args.payee}"
    headers = {"Authorization": f"Bearer {args.api_key}"}
    outbox = Path(args.outbox) if args.outbox else None
    seen = len(outbox.read_text(encoding="utf-8").splitlines()) if outbox and outbox.exists() else 0
    with httpx.Client(base_url=args.base_url, headers=headers, timeout=10) as api:
        # An Idempotency-Key per payment: retrying after a timeout never texts twice.
        created = api.post(
            "/api/v1/verifications",
            json={"to": args.to, "summary": summary, "details": payment},
            headers={"Idempotency-Key": f"payment-{uuid.uuid4()}"},
        )
        created.raise_for_status()
        verification = created.json()["verification"]
        print(f"texted {verification['destination']}: {verification['summary']}")

        code = code_from_outbox(outbox, args.to, seen) if outbox else input("code: ").strip()
        checked = api.post(
            f"/api/v1/verifications/{verification['id']}/check",
            json={"code": code, "details": payment},
        )
        if checked.status_code != 200:
            problem = checked.json()
            raise SystemExit(f"refused: {problem['code']}: {problem['detail']}")
        token = checked.json()["approval_token"]

        # Verify the token as if the JSON above could lie: only the signature counts.
        keys = KeySet.import_key_set(httpx.get(f"{args.base_url}/.well-known/jwks.json").json())
    try:
        decoded = jwt.decode(token, keys, algorithms=["ES256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": args.base_url},
            aud={"essential": True, "value": args.key_id},
            exp={"essential": True},
            verification_id={"essential": True, "value": verification["id"]},
            details_sha256={
                "essential": True,
                "value": hashlib.sha256(canonical(payment).encode("utf-8")).hexdigest(),
            },
        ).validate(decoded.claims)
    except JoseError as exc:
        raise SystemExit(f"the approval token does not verify: {exc}") from None
    return dict(decoded.claims)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--key-id", required=True, help="key_... (the token's audience)")
    parser.add_argument("--api-key", required=True, help="otk_...")
    parser.add_argument("--to", required=True, help="the customer's mobile number, E.164")
    parser.add_argument("--amount", default="1250.00")
    parser.add_argument("--payee", default="ACME GmbH")
    parser.add_argument("--outbox", help="read the code from otpgate's development SMS outbox")
    claims = approve_payment(parser.parse_args())
    print(f"approved: {claims['summary']} (token {claims['jti']}, for {claims['sub'][:12]}…)")


if __name__ == "__main__":
    sys.exit(main())
