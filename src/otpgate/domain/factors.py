"""Factors: the ways a challenge can be answered.

Today every challenge is answered with a code texted to the account's number (``sms_code``).
Authenticator apps, passkeys, backup codes and voice calls are further members of this set;
each is one implementation of ``services.factors.Factor`` registered under its type.
"""

from __future__ import annotations

from enum import StrEnum


class FactorType(StrEnum):
    SMS_CODE = "sms_code"
