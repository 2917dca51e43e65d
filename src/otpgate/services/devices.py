"""Your devices: signed-in sessions and trusted browsers. Signing out needs no code:
taking access away is always safe, and it is what a customer does when something is wrong."""

from __future__ import annotations

from collections.abc import Sequence

from otpgate.domain.accounts import Device, EventType, Session
from otpgate.domain.errors import NotFound
from otpgate.domain.language import N_
from otpgate.services.audit import audit
from otpgate.services.deps import Deps
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.storage import UnitOfWork


class DeviceService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def sessions(self, customer: Customer) -> Sequence[Session]:
        async with self.deps.store.transaction() as uow:
            found = await uow.sessions.list_sessions(customer.account.id, self.deps.clock.now())
        idle = self.deps.config.session_idle_seconds
        now = self.deps.clock.now()
        return [s for s in found if s.is_active(now, idle)]

    async def sign_out_session(
        self, customer: Customer, ctx: RequestContext, session_id: str
    ) -> None:
        async with self.deps.store.transaction() as uow:
            now = self.deps.clock.now()
            if not await uow.sessions.revoke_account_session(customer.account.id, session_id, now):
                raise NotFound(N_("No such signed-in session in your account."))
            await self._event(uow, customer, ctx, EventType.SESSION_REVOKED, session_id=session_id)

    async def sign_out_others(self, customer: Customer, ctx: RequestContext) -> int:
        async with self.deps.store.transaction() as uow:
            now = self.deps.clock.now()
            count = await uow.sessions.revoke_sessions(
                customer.account.id, now, keep=customer.session.id
            )
            await self._event(uow, customer, ctx, EventType.SESSION_REVOKED, others=count)
        return count

    async def devices(self, customer: Customer) -> Sequence[Device]:
        async with self.deps.store.transaction() as uow:
            return await uow.sessions.list_devices(customer.account.id, self.deps.clock.now())

    async def forget_device(self, customer: Customer, ctx: RequestContext, device_id: str) -> None:
        async with self.deps.store.transaction() as uow:
            now = self.deps.clock.now()
            if not await uow.sessions.revoke_device(customer.account.id, device_id, now):
                raise NotFound(N_("No such trusted browser in your account."))
            await self._event(uow, customer, ctx, EventType.DEVICE_FORGOTTEN, device_id=device_id)

    async def _event(
        self,
        uow: UnitOfWork,
        customer: Customer,
        ctx: RequestContext,
        kind: EventType,
        **details: object,
    ) -> None:
        await audit(
            uow,
            kind,
            "ok",
            at=self.deps.clock.now(),
            ctx=ctx,
            account_id=customer.account.id,
            **details,
        )
