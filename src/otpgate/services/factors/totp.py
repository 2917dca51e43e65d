"""``totp``: a code from the customer's authenticator app (RFC 6238; ``domain.totp``).

The secret is sealed at rest (AES-GCM, bound to its factor id); the step a code matched is
recorded with a conditional update, so each step is accepted once per account (S52) even when
two right codes arrive together.
"""

from __future__ import annotations

from otpgate.domain.challenges import Challenge
from otpgate.domain.codes import normalize_code_input
from otpgate.domain.errors import InvalidInput, Unavailable
from otpgate.domain.factors import FactorType
from otpgate.domain.language import N_
from otpgate.domain.totp import DIGITS, accepts, matching_step
from otpgate.services.deps import Deps
from otpgate.services.factors.available import ensure_available
from otpgate.services.ports import Sealer
from otpgate.services.storage import TotpSecret, UnitOfWork


def secret_context(factor_id: str) -> str:
    """What a sealed secret is bound to: a sealed secret copied to another row won't open."""
    return f"totp:{factor_id}"


def factor_sealer(deps: Deps) -> Sealer:
    if deps.factor_sealer is None:
        raise Unavailable(N_("Authenticator apps need a configured secret key."))
    return deps.factor_sealer


def parse_totp(answer: str) -> str:
    code = normalize_code_input(answer)
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        raise InvalidInput(
            "code", "Enter the %(length)d-digit code from your authenticator app.", length=DIGITS
        )
    return code


async def use_code(deps: Deps, uow: UnitOfWork, secret: TotpSecret, code: str) -> bool:
    """Whether ``code`` is right for ``secret`` now and its step was not used yet; if so the
    step is spent (in ``uow``)."""
    now = deps.clock.now()
    plain = factor_sealer(deps).open(secret.sealed, secret_context(secret.factor_id))
    step = matching_step(plain, code, now)
    if step is None or not accepts(step, secret.last_step):
        return False
    return await uow.factors.use_totp_step(secret.factor_id, step, now)


class Totp:
    type = FactorType.TOTP

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def parse(self, answer: str) -> str:
        return parse_totp(answer)

    async def check(self, uow: UnitOfWork, challenge: Challenge, answer: str) -> bool:
        await ensure_available(uow, self.deps.config, challenge, self.type)
        assert challenge.account_id is not None  # available only to an account's challenge
        secret = await uow.factors.totp_secret(challenge.account_id)
        if secret is None:
            return False
        return await use_code(self.deps, uow, secret, answer)
