"""Alembic migrations for the delight store (append-only)."""
