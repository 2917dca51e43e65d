"""Channels: how a message travels. Each has its own providers, routes and limits, and every
message of every channel goes through the same transactional outbox and dispatcher."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    VOICE = "voice"
    # Links and notices only: email never carries a code that signs in (N4 3.1.3.1, S8).
    EMAIL = "email"
