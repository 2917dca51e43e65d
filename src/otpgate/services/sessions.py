"""Sessions and trusted browsers: issue, authenticate, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from otpgate.domain.accounts import Device, EventType, Session
from otpgate.domain.errors import NotAuthenticated
from otpgate.domain.oidc import acr_for, amr_for
from otpgate.domain.tokens import new_id, new_token, token_hash
from otpgate.services.audit import audit
from otpgate.services.deps import Deps
from otpgate.services.oidc.storage import SignInFacts
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.storage import UnitOfWork

# Writing last_seen on every request would turn every read into a write; a minute of
# precision is plenty for an idle timeout measured in tens of minutes.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    session: Session


@dataclass(frozen=True, slots=True)
class SignedInSession:
    """What a completed sign-in hands the browser: a session, maybe a trusted-browser token."""

    issued: IssuedSession
    device_token: str | None = None


async def record_sign_in(
    uow: UnitOfWork, session_id: str, now: datetime, factor: str | None
) -> None:
    """Keep how ``session_id`` was proven (``factor`` None: a trusted browser stood in for
    the code): the ID tokens' ``auth_time``, ``acr`` and ``amr`` (DESIGN §5.3)."""
    facts = SignInFacts(auth_time=now, acr=acr_for(factor), amr=amr_for(factor))
    await uow.oauth.record_sign_in(session_id, facts)


class SessionService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def issue(
        self,
        uow: UnitOfWork,
        account_id: str,
        ctx: RequestContext,
        now: datetime,
        device_id: str | None = None,
    ) -> IssuedSession:
        """Create a fresh session (a new token at every sign-in: rotation, ASVS 7.2.4)."""
        config = self.deps.config
        token = new_token("ses")
        session = Session(
            id=new_id("se"),
            account_id=account_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=config.session_max_seconds),
            ip=ctx.ip,
            user_agent=ctx.user_agent[:300],
        )
        await uow.sessions.insert_session(session, token_hash(token), device_id)
        return IssuedSession(token=token, session=session)

    async def sign_in(
        self,
        uow: UnitOfWork,
        account_id: str,
        ctx: RequestContext,
        now: datetime,
        *,
        remember: bool,
        purpose: str,
        factor: str = "sms_code",
    ) -> SignedInSession:
        """A code was right: a new session, and this browser trusted when it asked to be.
        ``factor`` (which factor answered) is kept in the event for ``amr``."""
        device_token = device_id = None
        if remember and self.deps.config.remember_devices:
            device_token, device = await self.trust_device(uow, account_id, ctx, now)
            device_id = device.id
        issued = await self.issue(uow, account_id, ctx, now, device_id=device_id)
        await record_sign_in(uow, issued.session.id, now, factor)
        await audit(
            uow,
            EventType.SIGNIN_SUCCEEDED,
            "ok",
            at=now,
            ctx=ctx,
            account_id=account_id,
            session_id=issued.session.id,
            purpose=purpose,
            factor=factor,
            trusted_device=device_id is not None,
        )
        return SignedInSession(issued=issued, device_token=device_token)

    async def authenticate(self, token: str | None) -> Customer:
        """The live session and account behind ``token``, or ``NotAuthenticated``."""
        if not token or len(token) > 200:
            raise NotAuthenticated()
        deps = self.deps
        # One read per request (autocommit: no BEGIN/COMMIT round trips), and a write only
        # once a minute.
        async with deps.store.autocommit() as uow:
            now = deps.clock.now()
            found = await uow.sessions.customer_by_token_hash(token_hash(token))
            if found is None:
                raise NotAuthenticated()
            session, account = found
            if not session.is_active(now, deps.config.session_idle_seconds):
                raise NotAuthenticated()
            if account.disabled_at is not None:  # disabling revokes sessions; belt and braces
                raise NotAuthenticated()
            if now - session.last_seen_at >= TOUCH_EVERY:
                await uow.sessions.touch_session(session.id, now)
        return Customer(session=session, account=account)

    async def sign_out(self, customer: Customer, ctx: RequestContext) -> None:
        """Revoke the session server-side: its token is refused from now on (S21)."""
        async with self.deps.store.transaction() as uow:
            now = self.deps.clock.now()
            await uow.sessions.revoke_session(customer.session.id, now)
            await audit(
                uow,
                EventType.SESSION_SIGNED_OUT,
                "ok",
                at=now,
                ctx=ctx,
                account_id=customer.account.id,
                session_id=customer.session.id,
            )

    async def trust_device(
        self, uow: UnitOfWork, account_id: str, ctx: RequestContext, now: datetime
    ) -> tuple[str, Device]:
        """Remember this browser: its token may later stand in for the sign-in code (S22)."""
        token = new_token("dev")
        device = Device(
            id=new_id("dv"),
            account_id=account_id,
            created_at=now,
            expires_at=now + timedelta(seconds=self.deps.config.device_trust_seconds),
            user_agent=ctx.user_agent[:300],
        )
        await uow.sessions.insert_device(device, token_hash(token))
        return token, device

    async def trusted_device(
        self, uow: UnitOfWork, account_id: str, device_token: str | None, now: datetime
    ) -> Device | None:
        """The live trusted device behind ``device_token`` for this account, if any."""
        if not device_token or not self.deps.config.remember_devices or len(device_token) > 200:
            return None
        device = await uow.sessions.device_by_token_hash(token_hash(device_token))
        if (
            device is None
            or device.account_id != account_id
            or device.revoked_at is not None
            or now >= device.expires_at
        ):
            return None
        return device
