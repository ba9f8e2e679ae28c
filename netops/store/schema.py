"""Table models of the store. Every schema change comes with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class InventoryLoad(Base):
    """Each time the service loaded the inventory: which version (digest), when, and how big it was."""

    __tablename__ = "inventory_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    directory: Mapped[str] = mapped_column(String(1024))
    sites: Mapped[int] = mapped_column(Integer)
    devices: Mapped[int] = mapped_column(Integer)
    links: Mapped[int] = mapped_column(Integer)
    rooms: Mapped[int] = mapped_column(Integer)
