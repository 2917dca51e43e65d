"""Registration: validate, hash, store an unconfirmed account and send a code to its number."""

from __future__ import annotations

from dataclasses import dataclass

from otpgate.domain.accounts import Account, EventType, SecurityEvent
from otpgate.domain.actions import canonical_json
from otpgate.domain.addresses import BIDI_CONTROLS
from otpgate.domain.challenges import Challenge, Purpose
from otpgate.domain.emails import normalize_email
from otpgate.domain.errors import InvalidInput
from otpgate.domain.passwords import check_password
from otpgate.domain.phones import parse_mobile
from otpgate.domain.tokens import new_id
from otpgate.services.challenges import ChallengeService
from otpgate.services.deps import Deps
from otpgate.services.limits import REGISTER_IP, hit_send_limits, ip_key
from otpgate.services.ports import RequestContext

MAX_NAME_LENGTH = 100
# The action a verify_phone challenge carries when it re-registers an unconfirmed account.
REPLACE_UNCONFIRMED = "replace_unconfirmed"


@dataclass(frozen=True, slots=True)
class Registered:
    account_id: str
    challenge: Challenge


def clean_name(raw: str, field: str = "name") -> str:
    """A display name: trimmed, 1..100 characters, no control characters."""
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput(field, "Enter your name.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(field, f"Use at most {MAX_NAME_LENGTH} characters.")
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch in BIDI_CONTROLS for ch in name):
        raise InvalidInput(field, "Your name has characters we can't store.")
    return name


class RegistrationService:
    def __init__(self, deps: Deps, challenges: ChallengeService) -> None:
        self.deps = deps
        self.challenges = challenges

    async def register(
        self, *, name: str, email: str, password: str, phone: str, ctx: RequestContext
    ) -> Registered:
        """Create an unconfirmed account and send a ``verify_phone`` code.

        When the email already belongs to an account the answer looks the same (S37/S17): a
        challenge is opened and a code sent to the number typed, but it is bound to no
        account, and confirming it says the address can't be used. Probing for accounts
        therefore costs a phone that receives SMS and a code per try, under the send limits.
        """
        deps = self.deps
        config = deps.config
        clean = clean_name(name)
        address = normalize_email(email)
        number = parse_mobile(
            phone, default_region=config.default_region, allowed_countries=config.allowed_countries
        )
        context = [config.brand, address.split("@")[0], *clean.split()]
        normalized_password = check_password(password, context=context)
        await deps.limiter.hit(REGISTER_IP, ip_key(ctx.ip))
        password_hash = await deps.hasher.hash(normalized_password)
        await hit_send_limits(deps.limiter, number, ctx, None, proven=False)
        async with deps.store.transaction() as tx:
            now = deps.clock.now()
            existing = await tx.get_account_by_email(address)
            if existing is None:
                account_id = new_id("acc")
                await tx.insert_account(
                    Account(
                        id=account_id,
                        name=clean,
                        email=address,
                        phone=number,
                        password_hash=password_hash,
                        phone_verified=False,
                        created_at=now,
                    )
                )
                await tx.add_event(
                    SecurityEvent(
                        type=EventType.ACCOUNT_REGISTERED,
                        outcome="ok",
                        account_id=account_id,
                        ip=ctx.ip,
                        user_agent=ctx.user_agent,
                        created_at=now,
                    )
                )
                owner: str | None = account_id
            else:
                account_id = new_id("acc")  # looks like a real id, points at nothing
                owner = None
            action_type = action_payload = None
            if existing is not None and not existing.phone_verified:
                # Never confirmed, so it can't be used: whoever proves a phone now may take the
                # address over (a mistyped number is fixed by registering again). The email was
                # never proven either, so this gives nobody more than registering first would.
                action_type = REPLACE_UNCONFIRMED
                action_payload = canonical_json(
                    {
                        "account_id": existing.id,
                        "name": clean,
                        "phone": number,
                        "password_hash": password_hash,
                    }
                )
            challenge, message = await self.challenges.open(
                tx,
                account_id=owner,
                purpose=Purpose.VERIFY_PHONE,
                destination=number,
                ctx=ctx,
                action_type=action_type,
                action_payload=action_payload,
            )
        deps.dispatcher.submit(message)
        deps.metrics.incr("registrations")
        return Registered(account_id=account_id, challenge=challenge)
