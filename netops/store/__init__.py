"""The store: SQLAlchemy 2 over a SQLite file by default or any URL (PostgreSQL in production).

``db.py`` opens the engine and applies the Alembic migrations in ``migrations/`` at start; ``schema.py`` holds the
table models; query functions live next to the domain that owns them (``inventory_loads.py`` ...).
"""
