"""Storage on SQLAlchemy 2 (async Core): SQLite embedded, PostgreSQL scaled."""
