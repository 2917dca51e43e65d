"""Email tests reuse the page tests' browser-like visitor."""

from tests.pages.conftest import make_visitor, visitor  # noqa: F401
