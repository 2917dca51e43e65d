"""The OpenID Connect provider (DESIGN §5.3)."""
