"""A customer's steps through the use cases on the fakes (no HTTP, no database, no Argon2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from otpgate.domain.accounts import Account, EventType, SecurityEvent
from otpgate.domain.challenges import Challenge
from otpgate.domain.clock import ManualClock
from otpgate.services.approvals import Verified, VerifyRequest
from otpgate.services.container import Services
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.registration import Registered
from otpgate.services.signin import CodeRequired, SignedIn
from tests.fakes.ports import Fakes, code_of
from tests.fakes.storage import MemoryStore

PASSWORD = "correct horse battery staple"
CTX = RequestContext(ip="203.0.113.7", user_agent="pytest")


def wrong(code: str) -> str:
    """A well-formed code that is not ``code``."""
    return "000000" if code != "000000" else "111111"


@dataclass
class World:
    services: Services
    fakes: Fakes
    phones_used: int = 0
    # The bearer token of every session ``customer`` authenticated, by session id.
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def clock(self) -> ManualClock:
        return self.fakes.clock

    @property
    def store(self) -> MemoryStore:
        return self.fakes.store

    def new_phone(self) -> str:
        """A distinct valid US number per call, as the API harness makes them."""
        self.phones_used += 1
        return f"+1415555{2600 + self.phones_used:04d}"

    # -- what a customer does --------------------------------------------------------------

    async def register(
        self,
        email: str = "ada@example.com",
        *,
        phone: str | None = None,
        name: str = "Ada Lovelace",
        password: str = PASSWORD,
    ) -> Registered:
        return await self.services.registration.register(
            name=name, email=email, password=password, phone=phone or self.new_phone(), ctx=CTX
        )

    async def verify(
        self,
        challenge: Challenge | str,
        code: str,
        *,
        remember: bool = False,
        session_id: str | None = None,
    ) -> Verified:
        challenge_id = challenge if isinstance(challenge, str) else challenge.id
        request = VerifyRequest(challenge_id, code, remember, CTX, session_id)
        return await self.services.verifier.verify(request)

    async def sign_in(
        self,
        email: str = "ada@example.com",
        password: str = PASSWORD,
        *,
        device_token: str | None = None,
        remember_device: bool = False,
    ) -> CodeRequired | SignedIn:
        return await self.services.signin.start(
            email=email,
            password=password,
            ctx=CTX,
            device_token=device_token,
            remember_device=remember_device,
        )

    async def signed_up(self, email: str = "ada@example.com") -> Customer:
        """Register, confirm the number: a customer with a live session."""
        registered = await self.register(email)
        verified = await self.verify(registered.challenge, self.code(registered.challenge))
        return await self.customer(verified)

    async def customer(self, verified: Verified) -> Customer:
        signed_in = verified.approval.signed_in
        assert signed_in is not None
        customer = await self.services.sessions.authenticate(signed_in.issued.token)
        self.tokens[customer.session.id] = signed_in.issued.token
        return customer

    # -- what the fakes saw ------------------------------------------------------------------

    def code(self, challenge: Challenge | str) -> str:
        """The code of the newest message of ``challenge``."""
        return code_of(self.code_message(challenge))

    def code_message(self, challenge: Challenge | str) -> str:
        """The body of the newest message of ``challenge``."""
        challenge_id = challenge if isinstance(challenge, str) else challenge.id
        sent = [m for m in self.fakes.dispatcher.submitted if m.challenge_id == challenge_id]
        assert sent, f"no message was submitted for {challenge_id}"
        return sent[-1].body

    def stored(self, challenge: Challenge | str) -> Challenge:
        """The committed challenge (without delivery status)."""
        challenge_id = challenge if isinstance(challenge, str) else challenge.id
        return self.store.tables.challenges[challenge_id]

    def account(self, account_id: str) -> Account:
        return self.store.tables.accounts[account_id]

    def events(self, kind: EventType) -> list[SecurityEvent]:
        return [e for e in self.store.tables.events if e.type is kind]
