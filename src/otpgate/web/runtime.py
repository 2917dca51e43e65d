"""Everything one app instance owns: adapters built from settings, and the services on them."""

from __future__ import annotations

from dataclasses import dataclass

from otpgate.adapters.metrics import PrometheusMetrics
from otpgate.adapters.passwords import Argon2Hasher
from otpgate.adapters.queue import QueueDispatcher, make_queue_app
from otpgate.adapters.ratelimit import LimitsRateLimiter
from otpgate.adapters.storage.engine import make_engine
from otpgate.adapters.storage.repositories import SqlStore
from otpgate.config import Settings
from otpgate.domain.clock import Clock, SystemClock
from otpgate.services import limits as rules
from otpgate.services.config import ServiceConfig
from otpgate.services.container import Services
from otpgate.services.delivery import DeliveryEngine, InProcessDispatcher
from otpgate.services.deps import Deps
from otpgate.services.ports import SmsProvider
from otpgate.services.pumping import WatchedLimiter
from otpgate.web.security import Network, parse_networks
from otpgate.worker import build_engine, sealer_for


def limit_rules(settings: Settings) -> dict[str, str]:
    return {
        rules.PASSWORD_ACCOUNT: settings.limit_password_account,
        rules.PASSWORD_IP: settings.limit_password_ip,
        rules.SEND_NUMBER: settings.limit_send_number,
        rules.SEND_IP: settings.limit_send_ip,
        rules.SEND_ACCOUNT: settings.limit_send_account,
        rules.SEND_PREFIX: settings.limit_send_prefix,
        rules.SEND_COUNTRY: settings.limit_send_country,
        rules.SEND_GLOBAL: settings.limit_send_global,
        # Unproven numbers get budgets of the same size, counted apart (see services/limits).
        rules.SEND_NUMBER_NEW: settings.limit_send_number,
        rules.SEND_PREFIX_NEW: settings.limit_send_prefix,
        rules.SEND_COUNTRY_NEW: settings.limit_send_country,
        rules.SEND_GLOBAL_NEW: settings.limit_send_global,
        rules.PASSWORD_CHANGE: settings.limit_password_change,
        rules.REGISTER_IP: settings.limit_register_ip,
        rules.VERIFY_IP: settings.limit_verify_ip,
    }


def service_config(settings: Settings) -> ServiceConfig:
    previous = (key.get_secret_value().encode() for key in settings.previous_secret_keys)
    keys = (settings.secret_key_bytes, *previous)
    return ServiceConfig(
        brand=settings.brand,
        host=settings.host,
        policy=settings.policy,
        code_keys=keys,
        session_idle_seconds=settings.session_idle_seconds,
        session_max_seconds=settings.session_max_seconds,
        remember_devices=settings.remember_devices,
        device_trust_seconds=settings.device_trust_seconds,
        allowed_countries=settings.sms_allowed_countries,
        default_region=settings.sms_default_region,
        strict_address_edits=settings.step_up_address_edits == "all",
    )


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    store: SqlStore
    hasher: Argon2Hasher
    limiter: LimitsRateLimiter
    providers: list[SmsProvider]
    dispatcher: InProcessDispatcher | QueueDispatcher
    delivery: DeliveryEngine
    metrics: PrometheusMetrics
    services: Services
    trusted_proxies: tuple[Network, ...]

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        providers: list[SmsProvider] | None = None,
        limiter_prefix: str = "otpgate",
    ) -> Runtime:
        clock = clock or SystemClock()
        engine = make_engine(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        store = SqlStore(engine)
        hasher = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        limiter = LimitsRateLimiter(limit_rules(settings), settings.redis_url, limiter_prefix)
        metrics = PrometheusMetrics()
        delivery = build_engine(settings, engine, clock, metrics, providers)
        dispatcher: InProcessDispatcher | QueueDispatcher
        if settings.delivery_mode == "queue":
            dispatcher = QueueDispatcher(
                make_queue_app(settings.queue_conninfo, sweep_seconds=settings.sms_sweep_seconds)
            )
        else:
            dispatcher = InProcessDispatcher(delivery)
        deps = Deps(
            store=store,
            hasher=hasher,
            limiter=WatchedLimiter(limiter, store, metrics, clock),
            dispatcher=dispatcher,
            clock=clock,
            config=service_config(settings),
            metrics=metrics,
            sealer=sealer_for(settings),
        )
        return cls(
            settings=settings,
            clock=clock,
            store=store,
            hasher=hasher,
            limiter=limiter,
            providers=list(delivery.providers.values()),
            dispatcher=dispatcher,
            delivery=delivery,
            metrics=metrics,
            services=Services(deps),
            trusted_proxies=parse_networks(settings.trusted_proxies),
        )

    def start(self) -> None:
        """Background work of a serving process (from its lifespan): in embedded mode, the
        sweep that resumes messages a previous process left behind."""
        if isinstance(self.dispatcher, InProcessDispatcher):
            self.dispatcher.start(self.settings.sms_sweep_seconds)

    async def aclose(self) -> None:
        await self.dispatcher.aclose()
        for provider in self.providers:
            await provider.aclose()
        await self.store.aclose()
        await self.limiter.aclose()
        self.hasher.close()
