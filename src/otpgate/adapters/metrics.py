"""Prometheus counters behind the ``Metrics`` port, one registry per app (tests build many)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "verifications": ("Code checks by purpose and outcome", ("purpose", "outcome")),
    "registrations": ("Accounts registered (before phone confirmation)", ()),
    "signin_password_failures": ("Sign-ins refused at the password step", ()),
    "sms_messages": ("SMS messages by provider and final status", ("provider", "status")),
    "sms_retries": ("SMS send attempts that failed temporarily", ("provider",)),
    "rate_limited": ("Requests refused by a limit, by error code", ("code",)),
}


class PrometheusMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.counters = {
            name: Counter(f"otpgate_{name}", doc, labels, registry=self.registry)
            for name, (doc, labels) in COUNTERS.items()
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

    def render(self) -> bytes:
        return generate_latest(self.registry)
