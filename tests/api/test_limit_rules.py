"""Every rate-limit rule a service hits has limits configured (a missing one would be a 503)."""

from __future__ import annotations

from typing import Any

from otpgate.adapters.ratelimit import parse_rules
from otpgate.bootstrap import limit_rules
from otpgate.services.limits import ALL_RULES, SEND_RULES


def test_every_rule_has_limits(make_settings: Any, backend: str) -> None:
    if backend != "sqlite":
        return
    configured = limit_rules(make_settings())
    assert set(configured) == set(ALL_RULES)
    assert set(SEND_RULES) <= set(ALL_RULES)
    assert all(parse_rules(configured).values())
