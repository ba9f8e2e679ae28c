"""Which process polls which device when several ``netops serve --shard K/N`` share one store.

``K/N`` is 1-based: shard ``K`` of ``N`` polls the devices whose stable hash (sha256 of the device id, as an
integer, mod N) equals ``K - 1``. The hash depends only on the id, so every process agrees without talking to
the others, and adding a device moves no other device. Shard 1 is the coordinator: it alone runs the analysis
(root cause, statuses, incidents) over everything every shard stored, and the jobs that must run once (backups,
conference prechecks). See docs/scaling.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from netops.errors import NetopsError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")

T = TypeVar("T")


def device_bucket(device_id: str, count: int) -> int:
    """0-based bucket of a device among ``count`` shards."""
    return int.from_bytes(hashlib.sha256(device_id.encode()).digest()[:8], "big") % count


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise NetopsError(f"shard: expected K/N with 1 <= K <= N, found {self.index}/{self.count}")

    @classmethod
    def parse(cls, spec: str) -> Shard:
        """``"2/3"`` -> ``Shard(2, 3)``; raises ``NetopsError`` with the expected form otherwise."""
        match = _SPEC.match(spec)
        if match is None:
            raise NetopsError(f"shard: expected K/N (1-based, e.g. 1/2), found {spec!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def coordinator(self) -> bool:
        return self.index == 1

    def owns(self, device_id: str) -> bool:
        return device_bucket(device_id, self.count) == self.index - 1

    def pick(self, devices: Iterable[T], key: str = "id") -> list[T]:
        """The items (devices, or anything with an ``id``) this shard polls, in their order."""
        return [d for d in devices if self.owns(str(getattr(d, key)))]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
