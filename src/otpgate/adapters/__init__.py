"""Adapters: the only code that touches a database, Redis, an SMS provider or a queue."""
