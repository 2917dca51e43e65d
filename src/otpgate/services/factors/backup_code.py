"""``backup_code``: one of the account's ten single-use backup codes (``domain.backup_codes``).

Spending a code is one conditional update on its keyed digest (``used_at IS NULL``): of two
requests with the same code, one wins (S54).
"""

from __future__ import annotations

from otpgate.domain import backup_codes
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import InvalidInput
from otpgate.domain.factors import FactorType
from otpgate.services.deps import Deps
from otpgate.services.factors.available import ensure_available
from otpgate.services.storage import UnitOfWork


class BackupCode:
    type = FactorType.BACKUP_CODE

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def parse(self, answer: str) -> str:
        code = backup_codes.normalize(answer)
        if code is None:
            raise InvalidInput(
                "code", "Enter one of your backup codes: 10 letters and digits, like 2bx7k-9mqpa."
            )
        return code

    async def check(self, uow: UnitOfWork, challenge: Challenge, answer: str) -> bool:
        await ensure_available(uow, self.deps.config, challenge, self.type)
        account_id = challenge.account_id
        assert account_id is not None  # available only to an account's challenge
        digests = backup_codes.digests(self.deps.config.code_keys, account_id, answer)
        return await uow.factors.use_backup_code(account_id, digests, self.deps.clock.now())
