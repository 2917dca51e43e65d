"""Delivery of committed messages: the engine (``engine.py``) and the embedded dispatcher
(``dispatcher.py``); the durable queue is ``adapters/queue.py``."""

from otpgate.services.delivery.dispatcher import InProcessDispatcher, Sleep
from otpgate.services.delivery.engine import DeliveryEngine
from otpgate.services.delivery.ports import (
    DeliveryMetrics,
    DeliverySettings,
    Lookup,
    NoDeliveryMetrics,
)

__all__ = [
    "DeliveryEngine",
    "DeliveryMetrics",
    "DeliverySettings",
    "InProcessDispatcher",
    "Lookup",
    "NoDeliveryMetrics",
    "Sleep",
]
