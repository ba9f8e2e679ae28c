"""The HTTP API: ``create_app(settings)`` builds the FastAPI app; routers per domain; errors mapped in one place."""
