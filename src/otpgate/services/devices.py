"""Your devices: signed-in sessions and trusted browsers. Signing out needs no code:
taking access away is always safe, and it is what a customer does when something is wrong."""

from __future__ import annotations

from collections.abc import Sequence

from otpgate.domain.accounts import Device, EventType, SecurityEvent, Session
from otpgate.domain.errors import NotFound
from otpgate.services.deps import Deps
from otpgate.services.ports import RequestContext, Transaction
from otpgate.services.sessions import Authenticated


class DeviceService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def sessions(self, auth: Authenticated) -> Sequence[Session]:
        async with self.deps.store.transaction() as tx:
            found = await tx.list_sessions(auth.account.id, self.deps.clock.now())
        idle = self.deps.config.session_idle_seconds
        now = self.deps.clock.now()
        return [s for s in found if s.is_active(now, idle)]

    async def sign_out_session(
        self, auth: Authenticated, ctx: RequestContext, session_id: str
    ) -> None:
        async with self.deps.store.transaction() as tx:
            now = self.deps.clock.now()
            if not await tx.revoke_account_session(auth.account.id, session_id, now):
                raise NotFound("No such signed-in session in your account.")
            await self._event(tx, auth, ctx, EventType.SESSION_REVOKED, session_id=session_id)

    async def sign_out_others(self, auth: Authenticated, ctx: RequestContext) -> int:
        async with self.deps.store.transaction() as tx:
            now = self.deps.clock.now()
            count = await tx.revoke_sessions(auth.account.id, now, keep=auth.session.id)
            await self._event(tx, auth, ctx, EventType.SESSION_REVOKED, others=count)
        return count

    async def devices(self, auth: Authenticated) -> Sequence[Device]:
        async with self.deps.store.transaction() as tx:
            return await tx.list_devices(auth.account.id, self.deps.clock.now())

    async def forget_device(self, auth: Authenticated, ctx: RequestContext, device_id: str) -> None:
        async with self.deps.store.transaction() as tx:
            now = self.deps.clock.now()
            if not await tx.revoke_device(auth.account.id, device_id, now):
                raise NotFound("No such trusted browser in your account.")
            await self._event(tx, auth, ctx, EventType.DEVICE_FORGOTTEN, device_id=device_id)

    async def _event(
        self,
        tx: Transaction,
        auth: Authenticated,
        ctx: RequestContext,
        kind: EventType,
        **details: object,
    ) -> None:
        await tx.add_event(
            SecurityEvent(
                type=kind,
                outcome="ok",
                account_id=auth.account.id,
                ip=ctx.ip,
                user_agent=ctx.user_agent,
                details=dict(details),
                created_at=self.deps.clock.now(),
            )
        )
