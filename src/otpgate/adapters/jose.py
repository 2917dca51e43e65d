"""ES256 keys and compact JWS with joserfc (implements ``services.signing.Jose``).

No hand-written JOSE: joserfc generates the P-256 keys, serialises them as JWK and signs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

ALG = "ES256"


class JoserfcEs256:
    alg = ALG

    def generate(self, kid: str) -> tuple[str, str]:
        key = ECKey.generate_key(
            "P-256", parameters={"kid": kid, "use": "sig", "alg": ALG}, private=True
        )
        return json.dumps(key.as_dict(private=True)), json.dumps(key.as_dict(private=False))

    def sign(self, private_jwk: str, claims: Mapping[str, Any]) -> str:
        key = ECKey.import_key(json.loads(private_jwk))
        header = {"alg": ALG, "typ": "JWT", "kid": key.kid}
        return jwt.encode(header, dict(claims), key, algorithms=[ALG])
