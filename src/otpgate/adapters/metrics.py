"""Prometheus counters behind the ``Metrics`` port, one registry per app (tests build many)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "verifications": ("Code checks by purpose and outcome", ("purpose", "outcome")),
    "registrations": ("Accounts registered (before phone confirmation)", ()),
    "signin_password_failures": ("Sign-ins refused at the password step", ()),
    "sms_messages": ("SMS messages by provider and final status", ("provider", "status")),
    "sms_retries": ("SMS send attempts that failed temporarily", ("provider",)),
    "rate_limited": ("Requests refused by a limit, by error code", ("code",)),
    # Delivery and SMS pumping (see services/delivery.py and services/pumping.py).
    "sms_failovers": (
        "Sends moved to the next provider after one failed",
        ("from_provider", "to_provider"),
    ),
    "sms_receipts": ("Delivery receipts by provider and final status", ("provider", "status")),
    "sms_sent": (
        "SMS accepted by a provider, by destination country and prefix",
        ("country", "prefix"),
    ),
    "sms_verified": ("Codes confirmed, by destination country and prefix", ("country", "prefix")),
    "limit_trips": ("Requests refused by a rate limit, by rule", ("rule",)),
    "webhook_events": ("Event webhook attempts: delivered, retry or failed", ("status",)),
}

HISTOGRAMS: dict[str, tuple[str, tuple[str, ...], tuple[float, ...]]] = {
    "sms_queue_seconds": (
        "From queued to accepted by a provider",
        ("provider",),
        (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
    ),
    "sms_delivery_seconds": (
        "From accepted by a provider to delivered (receipt)",
        ("provider",),
        (1, 2, 5, 10, 20, 30, 60, 120, 300, 900),
    ),
}

GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sms_breaker_state": (
        "Circuit breaker per SMS provider: 0 closed, 1 half-open, 2 open",
        ("provider",),
    ),
}


class PrometheusMetrics:
    def __init__(self) -> None:
        # ``*_created`` samples double every counter and histogram series for a timestamp
        # nobody graphs (process-wide, so once is enough).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        # The process (CPU, memory, file descriptors) and the interpreter (version, GC).
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.counters = {
            name: Counter(f"otpgate_{name}", doc, labels, registry=self.registry)
            for name, (doc, labels) in COUNTERS.items()
        }
        self.histograms = {
            name: Histogram(f"otpgate_{name}", doc, labels, registry=self.registry, buckets=buckets)
            for name, (doc, labels, buckets) in HISTOGRAMS.items()
        }
        self.gauges = {
            name: Gauge(f"otpgate_{name}", doc, labels, registry=self.registry)
            for name, (doc, labels) in GAUGES.items()
        }
        self.request_seconds = Histogram(
            "otpgate_http_request_seconds",
            "HTTP request latency by route and status class",
            ("route", "method", "status"),
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    def incr(self, name: str, **labels: str) -> None:
        counter = self.counters[name]
        (counter.labels(**labels) if labels else counter).inc()

    def observe(self, name: str, value: float, **labels: str) -> None:
        histogram = self.histograms[name]
        (histogram.labels(**labels) if labels else histogram).observe(value)

    def gauge(self, name: str, value: float, **labels: str) -> None:
        gauge = self.gauges[name]
        (gauge.labels(**labels) if labels else gauge).set(value)

    def render(self) -> bytes:
        return generate_latest(self.registry)
