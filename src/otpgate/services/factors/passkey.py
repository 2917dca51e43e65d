"""``passkey``: a WebAuthn assertion from one of the account's passkeys (S53).

Asking for options stores the WebAuthn challenge (as its SHA-256) for this one challenge of
ours, for a few minutes; an answer takes it back out, once, whatever the outcome, so a
captured assertion can't be replayed (py_webauthn would pass it again with the old counter).
Then: the credential must be one of the account's, its user handle (when sent) the account's,
its counter must have moved on, and the library checks origin, RP ID, user presence and
verification, and the signature.

On a step-up a passkey approves whatever the page shows: the authenticator shows nothing of
the change, so only pages that name it (the code page does; an API client must show
``challenge.action.summary``) ask for one.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import Challenge, ensure_open
from otpgate.domain.errors import ChallengeNotFound, InvalidInput
from otpgate.domain.factors import FactorType
from otpgate.domain.passkeys import RelyingParty, b64url_decode, client_challenge
from otpgate.services.audit import audit
from otpgate.services.challenges import ensure_owner
from otpgate.services.deps import Deps
from otpgate.services.factors.available import ensure_available
from otpgate.services.factors.webauthn_rp import (
    CEREMONY_SECONDS,
    Refused,
    SignCountRegressed,
    ceremony_digest,
    request_options,
    verify_assertion,
)
from otpgate.services.limits import VERIFY_IP, ip_key
from otpgate.services.ports import RequestContext
from otpgate.services.storage import Ceremony, UnitOfWork

ASSERT = "assert"
MAX_CREDENTIAL_CHARS = 16_000


def parse_credential(answer: str, field: str = "credential") -> dict[str, Any]:
    """A credential as the browser's ``toJSON()`` makes it, or ``InvalidInput``."""
    try:
        data = json.loads(answer) if len(answer) <= MAX_CREDENTIAL_CHARS else None
    except json.JSONDecodeError:
        data = None
    response = data.get("response") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("id"), str)
        or not isinstance(response, dict)
        or not isinstance(response.get("clientDataJSON"), str)
    ):
        raise InvalidInput(field, "The passkey's answer can't be read. Try again.")
    return data


def relying_party(deps: Deps) -> RelyingParty:
    rp = deps.config.factors.passkeys
    if rp is None:
        raise InvalidInput("factor", "Passkeys are not available here.")
    return rp


class Passkey:
    type = FactorType.PASSKEY

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def parse(self, answer: str) -> str:
        return json.dumps(parse_credential(answer), separators=(",", ":"))

    async def check(self, uow: UnitOfWork, challenge: Challenge, answer: str) -> bool:
        deps = self.deps
        await ensure_available(uow, deps.config, challenge, self.type)
        account_id = challenge.account_id
        assert account_id is not None  # available only to an account's challenge
        rp = relying_party(deps)
        now = deps.clock.now()
        credential = parse_credential(answer)
        signed = client_challenge(credential["response"]["clientDataJSON"])
        raw = b64url_decode(signed) if signed is not None else None
        if raw is None:
            return False
        ceremony = await uow.passkeys.take_ceremony(ceremony_digest(raw), ASSERT, challenge.id, now)
        stored = await uow.passkeys.by_credential(credential["id"])
        if ceremony is None or stored is None or stored.account_id != account_id:
            return False
        handle = credential["response"].get("userHandle")
        if handle and handle != stored.user_handle:
            return False
        try:
            count = verify_assertion(rp, credential, raw, stored)
        except SignCountRegressed as exc:
            # Maybe a cloned authenticator: refused, and said in the customer's activity.
            await audit(
                uow,
                EventType.PASSKEY_REFUSED,
                "sign_count",
                at=now,
                account_id=account_id,
                challenge_id=challenge.id,
                factor_id=stored.factor_id,
                reason=exc.reason,
            )
            return False
        except Refused:
            return False
        return await uow.passkeys.count_used(stored.factor_id, stored.sign_count, count, now)

    async def options(
        self, challenge_id: str, session_id: str | None, ctx: RequestContext
    ) -> dict[str, Any]:
        """WebAuthn request options for answering ``challenge_id`` with a passkey."""
        deps = self.deps
        rp = relying_party(deps)
        # Each call writes a ceremony: counted like a verify, per client address.
        await deps.limiter.hit(VERIFY_IP, ip_key(ctx.ip))
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            challenge = await uow.challenges.get(challenge_id)
            if challenge is None:
                raise ChallengeNotFound()
            ensure_owner(challenge, session_id)
            ensure_open(challenge, now)
            await ensure_available(uow, deps.config, challenge, self.type)
            assert challenge.account_id is not None
            allowed = await uow.passkeys.of_account(challenge.account_id)
            raw, options = request_options(rp, allowed)
            await uow.passkeys.purge_ceremonies(now)
            await uow.passkeys.add_ceremony(
                Ceremony(
                    digest=ceremony_digest(raw),
                    account_id=challenge.account_id,
                    purpose=ASSERT,
                    target_id=challenge.id,
                    created_at=now,
                    expires_at=min(challenge.expires_at, now + timedelta(seconds=CEREMONY_SECONDS)),
                )
            )
        return options
