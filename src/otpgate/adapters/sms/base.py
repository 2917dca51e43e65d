"""The SMS provider port (defined with the other ports) and our delivery errors.

A provider turns (to, body) into a provider message id, or raises our own ``DeliveryError``
(temporary: retry later, maybe elsewhere) or ``PermanentDeliveryError`` (this number will never
work). Vendor exceptions never escape a provider: each maps them at its edge.
"""

from __future__ import annotations

from otpgate.domain.errors import DeliveryError, PermanentDeliveryError
from otpgate.services.ports import Provider

__all__ = ["DeliveryError", "PermanentDeliveryError", "Provider"]
