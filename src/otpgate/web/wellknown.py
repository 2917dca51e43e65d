"""``/.well-known/``: the JSON Web Key Set that verifies every token otpgate signs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from otpgate.web.deps import RuntimeDep

router = APIRouter(tags=["verifications"])

# Verifiers may cache the set for a minute; a token signed by a key they have not seen yet
# (just rotated in) sends them back for a fresh copy, as every JOSE client does.
JWKS_CACHE = "public, max-age=60"


@router.get(
    "/.well-known/jwks.json",
    summary="Public keys of approval tokens (and ID tokens)",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "keys": [
                            {
                                "kty": "EC",
                                "crv": "P-256",
                                "x": "RhLprLLu7nYOld5eowbSfjmo6HE67ivAnT6iDZ70qyk",
                                "y": "_OW5dHGiNJnYxR1S_qeueOs6evpwuJanPTGBktCpdHY",
                                "kid": "sk_9Hq2F0n3kqk1y3Hn",
                                "use": "sig",
                                "alg": "ES256",
                            }
                        ]
                    }
                }
            }
        }
    },
)
async def jwks(runtime: RuntimeDep) -> JSONResponse:
    keys = await runtime.services.signer.jwks()
    return JSONResponse(keys, headers={"Cache-Control": JWKS_CACHE})
