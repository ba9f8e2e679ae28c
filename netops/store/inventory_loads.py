"""Record and list the inventory versions the service has loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from netops.inventory.models import Inventory
from netops.store.db import Store
from netops.store.schema import InventoryLoad


@dataclass(frozen=True, slots=True)
class LoadRecord:
    id: int
    loaded_at: datetime
    digest: str
    directory: str
    sites: int
    devices: int
    links: int
    rooms: int


def record_load(store: Store, inventory: Inventory, when: datetime | None = None) -> LoadRecord:
    row = InventoryLoad(
        loaded_at=when or datetime.now(UTC),
        digest=inventory.digest,
        directory=inventory.directory,
        sites=len(inventory.sites),
        devices=len(inventory.devices),
        links=len(inventory.links),
        rooms=len(inventory.rooms),
    )
    with store.session() as session:
        session.add(row)
        session.flush()
        return _record(row)


def recent_loads(store: Store, limit: int = 20) -> list[LoadRecord]:
    with store.session() as session:
        rows = session.scalars(select(InventoryLoad).order_by(InventoryLoad.id.desc()).limit(limit)).all()
        return [_record(r) for r in rows]


def first_load(store: Store) -> datetime | None:
    """When the service first loaded an inventory into this store (when it began to watch), if ever."""
    with store.session() as session:
        first = session.scalars(
            select(InventoryLoad.loaded_at).order_by(InventoryLoad.loaded_at).limit(1)
        ).first()
    if first is None:
        return None
    return first if first.tzinfo else first.replace(tzinfo=UTC)


def _record(row: InventoryLoad) -> LoadRecord:
    loaded = row.loaded_at if row.loaded_at.tzinfo else row.loaded_at.replace(tzinfo=UTC)
    return LoadRecord(row.id, loaded, row.digest, row.directory, row.sites, row.devices, row.links, row.rooms)
