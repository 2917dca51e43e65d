"""Where a browser goes back after signing in, kept server-side (issue 15 point 7, S48).

A signed-out deep link (``/account/payments``) or an authorization request that needs a
sign-in is stored here; the browser holds only a random handle (a cookie), never the
destination, so there is no open ``next=`` parameter to abuse. A path is stored only when it
is a local account path (``domain.oidc.local_path``), and checked again when it is used.
"""

from __future__ import annotations

from datetime import timedelta

from otpgate.domain.clock import Clock
from otpgate.domain.tokens import new_token, token_hash
from otpgate.services.oidc.storage import ReturnKind, SignInReturn
from otpgate.services.storage import Store


class SignInReturns:
    def __init__(self, store: Store, clock: Clock, lifetime: timedelta) -> None:
        self.store = store
        self.clock = clock
        self.lifetime = lifetime

    async def remember(self, kind: ReturnKind, target: str, *, require_code: bool = False) -> str:
        """Store a destination; the handle for the browser's cookie."""
        handle = new_token("ret")
        now = self.clock.now()
        async with self.store.transaction() as uow:
            await uow.oauth.insert_return(
                SignInReturn(
                    handle_hash=token_hash(handle),
                    kind=kind,
                    target=target,
                    require_code=require_code,
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return handle

    async def peek(self, handle: str | None) -> SignInReturn | None:
        """The live, unused destination behind ``handle``, if any."""
        if not handle or len(handle) > 100:
            return None
        async with self.store.autocommit() as uow:
            back = await uow.oauth.sign_in_return(token_hash(handle))
        if back is None or back.used_at is not None or self.clock.now() >= back.expires_at:
            return None
        return back

    async def take(self, handle: str | None) -> SignInReturn | None:
        """Spend the destination behind ``handle`` (once)."""
        back = await self.peek(handle)
        if back is None:
            return None
        async with self.store.transaction() as uow:
            if not await uow.oauth.use_return(back.handle_hash, self.clock.now()):
                return None
        return back
