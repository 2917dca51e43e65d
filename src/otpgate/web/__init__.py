"""The web layer: thin FastAPI routers for the JSON API and the pages."""
