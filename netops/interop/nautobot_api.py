"""Nautobot's REST API, read-only: paged GETs with a token, the lists the importer maps, nested ids resolved.

    NautobotSource(url, token).fetch(check_first) ──▶ Snapshot(url, {"locations": [...], "devices": [...], ...})

``SourceError`` (exit 1): unreachable, an HTTP error, not the API expected; ``PermissionDeniedError``
(exit 1): the token is refused. The token lives in the client's headers only, never in an error or a file.
The mapping of the lists to the inventory is ``netops.interop.nautobot``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from netops.errors import NetopsError, PermissionDeniedError

PAGE = 1000


class SourceError(NetopsError):
    """The source of truth could not be read (unreachable, an HTTP error, not the API expected): exit 1."""


@dataclass
class Snapshot:
    """The raw objects read from the API, by endpoint."""

    url: str
    data: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def count(self, name: str) -> int:
        return len(self.data.get(name, []))


# name -> (path, query), read in this order: the config contexts first (checked at once). Depth 0
# (nested objects as ids) is several times cheaper for Nautobot to serialise than depth 1; the small lookup
# tables resolve the ids (``_resolve``). Reading in parallel gained nothing (measured: 16.2 s against 16.3 s;
# the server serialises in one process).
ENDPOINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "config_contexts": ("extras/config-contexts/", {}),
    "statuses": ("extras/statuses/", {}),
    "roles": ("extras/roles/", {}),
    "location_types": ("dcim/location-types/", {}),
    "platforms": ("dcim/platforms/", {}),
    "device_types": ("dcim/device-types/", {}),
    "providers": ("circuits/providers/", {}),
    "circuit_types": ("circuits/circuit-types/", {}),
    "locations": ("dcim/locations/", {}),
    "devices": ("dcim/devices/", {"include": "config_context"}),
    "interfaces": ("dcim/interfaces/", {}),
    "ip_addresses": ("ipam/ip-addresses/", {}),
    "ip_assignments": ("ipam/ip-address-to-interface/", {}),
    "cables": ("dcim/cables/", {}),
    "circuits": ("circuits/circuits/", {}),
    "terminations": ("circuits/circuit-terminations/", {}),
}
# object list -> {field: the lookup list its id is resolved from}
RESOLVE = {
    "locations": {"location_type": "location_types", "status": "statuses"},
    "devices": {
        "role": "roles",
        "status": "statuses",
        "platform": "platforms",
        "device_type": "device_types",
        "primary_ip4": "ip_addresses",
    },
    "circuits": {"provider": "providers", "circuit_type": "circuit_types", "status": "statuses"},
}


class NautobotSource:
    """A read-only client of Nautobot's REST API (``Authorization: Token ...``); the token is never stored."""

    def __init__(self, url: str, token: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.url}/api/",
            headers={"Authorization": f"Token {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str, params: dict[str, Any] | None) -> dict[str, Any]:
        try:
            response = self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot read {self.url}/api/{path}: {exc}") from exc
        if response.status_code in (401, 403):
            raise PermissionDeniedError(
                f"{self.url}/api/{path}: HTTP {response.status_code}: the token is refused or may not read this"
            )
        if response.status_code == 404:
            raise SourceError(f"{self.url}/api/{path}: HTTP 404 (is this Nautobot 2.0 or later?)")
        if response.status_code != 200:
            raise SourceError(f"{self.url}/api/{path}: HTTP {response.status_code}, expected 200")
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceError(f"{self.url}/api/{path}: the answer is not JSON (is this Nautobot?)") from exc
        if not isinstance(body, dict):
            raise SourceError(f"{self.url}/api/{path}: unexpected answer (is this Nautobot's API?)")
        return body

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            body = self._get(path, {**params, "limit": PAGE, "offset": offset})
            results = body.get("results")
            if not isinstance(results, list):
                raise SourceError(f"{self.url}/api/{path}: no 'results' list (is this Nautobot's API?)")
            yield from results
            offset += len(results)
            if not body.get("next") or not results:
                return

    def fetch(self, check_first: Callable[[Snapshot], object] | None = None) -> Snapshot:
        """Every list of ``ENDPOINTS``, nested ids resolved. ``check_first`` sees the snapshot once the config
        contexts (the first list) are read: its error stops the import before anything else is fetched."""
        snap = Snapshot(self.url)
        for name, (path, params) in ENDPOINTS.items():
            snap.data[name] = list(self.pages(path, params))
            if name == "config_contexts" and check_first is not None:
                check_first(snap)
        _resolve(snap)
        return snap


def _resolve(snap: Snapshot) -> None:
    """Replace the nested ``{"id": ...}`` of ``RESOLVE`` by the object of that id (left as is if unknown)."""
    for name, fields in RESOLVE.items():
        for field_name, lookup in fields.items():
            by_id = {str(o["id"]): o for o in snap.data.get(lookup, [])}
            for obj in snap.data.get(name, []):
                target = ref(obj.get(field_name))
                if target is not None and target in by_id:
                    obj[field_name] = by_id[target]


def ref(value: Any) -> str | None:
    """The id of a nested object (``{"id": ...}``) or None."""
    return str(value["id"]) if isinstance(value, dict) and value.get("id") is not None else None
