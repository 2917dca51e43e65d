"""The composition root: adapters and services built from ``Settings``, for the web app, the
worker and the CLI alike. Nothing else decides which adapter stands behind a port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from otpgate.adapters.clock import FileOffsetClock
from otpgate.adapters.jose import JoserfcEs256
from otpgate.adapters.metrics import PrometheusMetrics
from otpgate.adapters.passwords import Argon2Hasher
from otpgate.adapters.ratelimit import LimitsRateLimiter
from otpgate.adapters.sealing import FACTOR_LABEL, LABEL, AesGcmSealer
from otpgate.adapters.sms.registry import build_providers
from otpgate.adapters.storage.delivery import SqlDeliveryLedger
from otpgate.adapters.storage.engine import make_engine
from otpgate.adapters.storage.unit_of_work import SqlStore
from otpgate.adapters.storage.webhook_outbox import SqlWebhookOutbox
from otpgate.adapters.voice.registry import build_voice_providers
from otpgate.config import Settings
from otpgate.domain.channels import Channel
from otpgate.domain.clock import Clock, SystemClock
from otpgate.domain.delivery import Breakers, RetryPolicy, Routes, system_random
from otpgate.domain.passkeys import relying_party
from otpgate.services import limits as rules
from otpgate.services.config import FactorConfig, ServiceConfig
from otpgate.services.container import Services, build_services
from otpgate.services.delivery import DeliveryEngine, DeliverySettings, InProcessDispatcher, Sleep
from otpgate.services.delivery.engine import Jitter
from otpgate.services.deps import Deps
from otpgate.services.ports import Provider
from otpgate.services.pumping import WatchedLimiter

if TYPE_CHECKING:
    # procrastinate and psycopg load only in queue mode (~27 MB a process otherwise).
    from otpgate.adapters.queue import QueueDispatcher
from otpgate.services.webhooks import EventRelay, RelaySettings

Providers = Sequence[Provider] | Mapping[str, Provider]


def limit_rules(settings: Settings) -> dict[str, str]:
    """Every rate-limit rule the services hit, with its limits from settings; a rule left out
    would answer every request that hits it with 503, so start-up refuses it."""
    configured = {
        rules.PASSWORD_ACCOUNT: settings.limit_password_account,
        rules.PASSWORD_IP: settings.limit_password_ip,
        rules.SEND_NUMBER: settings.limit_send_number,
        rules.SEND_IP: settings.limit_send_ip,
        rules.SEND_ACCOUNT: settings.limit_send_account,
        rules.SEND_PREFIX: settings.limit_send_prefix,
        rules.SEND_COUNTRY: settings.limit_send_country,
        rules.SEND_GLOBAL: settings.limit_send_global,
        # Unproven numbers get budgets counted apart (see services/limits); per number, a
        # smaller one: anyone can type a victim's number into a sign-up form.
        rules.SEND_NUMBER_NEW: settings.limit_send_number_new,
        rules.SEND_PREFIX_NEW: settings.limit_send_prefix,
        rules.SEND_COUNTRY_NEW: settings.limit_send_country,
        rules.SEND_GLOBAL_NEW: settings.limit_send_global,
        rules.PASSWORD_CHANGE: settings.limit_password_change,
        rules.REGISTER_IP: settings.limit_register_ip,
        rules.VERIFY_IP: settings.limit_verify_ip,
        rules.VERIFY_KEY: settings.limit_verify_key,
        rules.VERIFY_KEY_CHECK: settings.limit_verify_key_check,
        rules.VOICE_NUMBER: settings.limit_voice_number,
        rules.VOICE_ACCOUNT: settings.limit_voice_account,
        rules.VOICE_IP: settings.limit_voice_ip,
        rules.VOICE_GLOBAL: settings.limit_voice_global,
        rules.RESEND_CLAIM: rules.RESEND_CLAIM_LIMITS,
    }
    missing = sorted(set(rules.ALL_RULES) - set(configured))
    if missing:
        raise ValueError(f"no limits configured for {', '.join(missing)}")
    return configured


def service_config(settings: Settings) -> ServiceConfig:
    return ServiceConfig(
        brand=settings.brand,
        host=settings.host,
        policy=settings.policy,
        code_keys=settings.secret_keys,
        session_idle_seconds=settings.session_idle_seconds,
        session_max_seconds=settings.session_max_seconds,
        remember_devices=settings.remember_devices,
        device_trust_seconds=settings.device_trust_seconds,
        allowed_countries=settings.sms_allowed_countries,
        default_region=settings.sms_default_region,
        strict_address_edits=settings.step_up_address_edits == "all",
        base_url=settings.base_url,
        signing_key_retention_seconds=settings.signing_key_retention_seconds,
        factors=factor_config(settings),
    )


def factor_config(settings: Settings) -> FactorConfig:
    return FactorConfig(
        totp=settings.totp,
        backup_codes=settings.backup_codes,
        passkeys=(
            relying_party(settings.base_url, settings.brand) if settings.passkeys_enabled else None
        ),
        voice=bool(settings.voice_provider_order),
    )


def sealer_for(settings: Settings, label: bytes = LABEL) -> AesGcmSealer:
    keys = settings.secret_keys
    return AesGcmSealer(keys[0], keys[1:], label=label)


def delivery_settings(settings: Settings) -> DeliverySettings:
    return DeliverySettings(
        retry=RetryPolicy(
            max_rounds=settings.sms_max_rounds,
            base_seconds=settings.sms_retry_base_seconds,
            max_seconds=settings.sms_retry_max_seconds,
        ),
        timeout_seconds=settings.sms_send_timeout_seconds,
        reclaim_after_seconds=settings.sms_reclaim_after_seconds,
        sweep_grace_seconds=settings.sms_sweep_seconds,
    )


def build_engine(
    settings: Settings,
    db: AsyncEngine,
    clock: Clock,
    metrics: PrometheusMetrics,
    providers: Providers | None = None,
    jitter: Jitter = system_random,
) -> DeliveryEngine:
    """The delivery engine on ``db``. ``providers`` (tests) replaces the configured ones; a
    list also replaces the configured order."""
    if providers is None:
        by_name: dict[str, Provider] = dict(build_providers(settings))
        sms_routes = settings.sms_route_table
    elif isinstance(providers, Mapping):
        by_name = dict(providers)
        sms_routes = settings.sms_route_table
    else:
        by_name = {provider.name: provider for provider in providers}
        sms_routes = Routes.parse(settings.sms_routes, [provider.name for provider in providers])
    # Voice providers come from settings unless a test hands in one of the same name.
    voice = {name: p for name, p in build_voice_providers(settings).items() if name not in by_name}
    by_name.update(voice)
    routes = {Channel.SMS: sms_routes, Channel.VOICE: Routes(settings.voice_provider_order)}
    return DeliveryEngine(
        SqlDeliveryLedger(db, webhooks=settings.events_webhook_url is not None),
        by_name,
        routes,
        clock,
        sealer=sealer_for(settings),
        metrics=metrics,
        settings=delivery_settings(settings),
        breakers=Breakers(
            threshold=settings.sms_breaker_failures,
            cooloff=timedelta(seconds=settings.sms_breaker_cooloff_seconds),
        ),
        jitter=jitter,
    )


def build_relay(
    settings: Settings,
    db: AsyncEngine,
    clock: Clock,
    metrics: PrometheusMetrics,
    jitter: Jitter = system_random,
) -> EventRelay | None:
    """The event webhooks' relay, when ``OTPGATE_EVENTS_WEBHOOK_URL`` is set."""
    if settings.events_webhook_url is None or settings.events_webhook_secret is None:
        return None
    from otpgate.adapters.events_webhook import StandardWebhookSender  # only when configured

    sender = StandardWebhookSender(
        settings.events_webhook_url,
        settings.events_webhook_secret.get_secret_value(),
        timeout_seconds=settings.events_webhook_timeout_seconds,
    )
    return EventRelay(
        SqlWebhookOutbox(db),
        sender,
        clock,
        settings=RelaySettings(
            retry_base_seconds=settings.events_webhook_retry_base_seconds,
            retry_max_seconds=settings.events_webhook_retry_max_seconds,
            give_up_after_seconds=settings.events_webhook_give_up_seconds,
            lease_seconds=max(60.0, settings.events_webhook_timeout_seconds * 3),
        ),
        metrics=metrics,
        jitter=jitter,
    )


@dataclass
class Runtime:
    """Everything one serving process owns: its adapters, and the services on them."""

    settings: Settings
    clock: Clock
    store: SqlStore
    hasher: Argon2Hasher
    limiter: LimitsRateLimiter
    providers: list[Provider]
    dispatcher: InProcessDispatcher | QueueDispatcher
    delivery: DeliveryEngine
    metrics: PrometheusMetrics
    services: Services
    # Event webhooks (None unless configured): drained here in embedded mode, by
    # ``otpgate worker`` in scaled mode.
    events: EventRelay | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        providers: Providers | None = None,
        limiter_prefix: str = "otpgate",
        sleep: Sleep = asyncio.sleep,
        jitter: Jitter = system_random,
    ) -> Runtime:
        """The runtime for ``settings``. Tests inject a ``clock`` they move, ``providers``
        pointed at fakes, and a ``sleep``/``jitter`` for delivery backoff that never waits."""
        if clock is None:
            clock = (
                FileOffsetClock(settings.test_clock_file)
                if settings.test_clock_file
                else SystemClock()
            )
        engine = make_engine(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        store = SqlStore(engine, webhooks=settings.events_webhook_url is not None)
        hasher = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        limiter = LimitsRateLimiter(limit_rules(settings), settings.redis_url, limiter_prefix)
        metrics = PrometheusMetrics()
        delivery = build_engine(settings, engine, clock, metrics, providers, jitter)
        dispatcher: InProcessDispatcher | QueueDispatcher
        if settings.delivery_mode == "queue":
            from otpgate.adapters.queue import QueueDispatcher, make_queue_app

            dispatcher = QueueDispatcher(
                make_queue_app(settings.queue_conninfo, sweep_seconds=settings.sms_sweep_seconds),
                conninfo=settings.queue_conninfo,
            )
        else:
            dispatcher = InProcessDispatcher(delivery, sleep=sleep)
        deps = Deps(
            store=store,
            hasher=hasher,
            limiter=WatchedLimiter(limiter, store, metrics, clock),
            dispatcher=dispatcher,
            clock=clock,
            config=service_config(settings),
            metrics=metrics,
            sealer=sealer_for(settings),
            jose=JoserfcEs256(),
            factor_sealer=sealer_for(settings, FACTOR_LABEL),
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
            services=build_services(deps),
            events=build_relay(settings, engine, clock, metrics, jitter),
        )

    def start(self) -> None:
        """Background work of a serving process (from its lifespan): in embedded mode, the
        sweep that resumes messages a previous process left behind."""
        if isinstance(self.dispatcher, InProcessDispatcher):
            self.dispatcher.start(self.settings.sms_sweep_seconds)
            if self.events is not None:
                self.events.start(self.settings.events_webhook_poll_seconds)

    async def aclose(self) -> None:
        if self.events is not None:
            await self.events.aclose()
        await self.dispatcher.aclose()
        for provider in self.providers:
            await provider.aclose()
        await self.store.aclose()
        await self.limiter.aclose()
        self.hasher.close()
