"""Write a synthetic inventory of N devices (default 10,000) for the load and scale benchmarks.

Where it sits: beside the benchmarks, never imported by netops. The output has the same format and shape
as the lab region in ``inventory/`` (global defaults and lab ports, SNMP v3 at the centre and prefectures,
v2c at counties, a centre with two cores and an MCU, one file per prefecture with its counties and links),
scaled up: ``--counties`` counties per prefecture, each with a CE router, a switch and a codec with a room,
a quarter of them with a backup link, one in fifty planned (devices, no link). Exactly N devices are written;
the last county may be partial. Addresses follow the lab plan (prefecture P: 127.(10+P).<county>.x), so
N is at most about 44,000 with 60 counties per prefecture.

    .venv/bin/python bench/gen_inventory.py /tmp/inv10k                 # 10,000 devices
    .venv/bin/python bench/gen_inventory.py /tmp/inv2k --devices 2000
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

PLATFORMS = ("huawei_vrp8", "huawei_vrp8", "h3c_comware7", "huawei_vrp5")  # counties' platform, by prefecture
CENTRE_DEVICES = 4  # core1, core2, sw1, mcu
MAX_PREFECTURES = 245  # 127.(10 + P) must stay a valid octet
CARRIER = "中国电信新疆分公司"


@dataclass(frozen=True)
class Written:
    directory: Path
    devices: int
    prefectures: int
    files: int


def ifname(platform: str, slot: int, port: int) -> str:
    if platform == "h3c_comware7":
        return f"GigabitEthernet{slot + 1}/0/{port}"
    return f"GigabitEthernet0/{slot}/{port}"


def _itf(platform: str, slot: int, port: int, kind: str, address: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": ifname(platform, slot, port), "kind": kind}
    if address is not None:
        out["address"] = address
    return out


def _link(a: str, b: str, backup: bool, mbps: int, circuit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"a": a, "b": b}
    if backup:
        out["kind"] = "backup"
    out.update(carrier=CARRIER, medium="mstp" if backup else "mpls-vpn", circuit=circuit, bandwidth_mbps=mbps)
    return out


class _Budget:
    """Counts devices down to zero; ``take()`` says whether one more device may be written."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _prefecture(
    p: int, counties: int, budget: _Budget, core_ifs: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    x, pf = 10 + p, PLATFORMS[p % len(PLATFORMS)]
    slug, ce = f"p{p:03d}", f"p{p:03d}-ce1"
    ce_ifs = [
        _itf("huawei_vrp8", 0, 1, "uplink", f"10.{x}.0.2/30"),
        _itf("huawei_vrp8", 0, 2, "uplink", f"10.{x}.0.6/30"),
        _itf("huawei_vrp8", 0, 3, "lan", f"10.{100 + x}.0.1/24"),
    ]
    core_ifs["centre-core1"].append(_itf("huawei_vrp8", 1, p, "downlink", f"10.{x}.0.1/30"))
    core_ifs["centre-core2"].append(_itf("huawei_vrp8", 1, p, "downlink", f"10.{x}.0.5/30"))
    links = [
        _link(
            f"{ce}:{ifname('huawei_vrp8', 0, 1)}",
            f"centre-core1:{ifname('huawei_vrp8', 1, p)}",
            False,
            50,
            f"BENCH-MPLS-{x}-00",
        ),
        _link(
            f"{ce}:{ifname('huawei_vrp8', 0, 2)}",
            f"centre-core2:{ifname('huawei_vrp8', 1, p)}",
            True,
            10,
            f"BENCH-MSTP-{x}-00",
        ),
    ]
    budget.take()  # the CE: the caller checked there is room for it
    node: list[dict[str, Any]] = [
        {
            "id": ce,
            "role": "ce",
            "address": f"127.{x}.0.1",
            "platform": "huawei_vrp8",
            "snmp_profile": "lab-v3",
            "ups": True,
            "interfaces": ce_ifs,
        }
    ]
    if budget.take():
        node.append(
            {
                "id": f"{slug}-sw1",
                "role": "switch",
                "address": f"127.{x}.0.3",
                "platform": "huawei_vrp8",
                "snmp_profile": "lab-v3",
            }
        )
    rooms: list[dict[str, Any]] = []
    if budget.take():
        node.append(
            {
                "id": f"{slug}-codec",
                "role": "codec",
                "platform": "codec",
                "credential": "lab-codec",
                "address": f"127.{x}.0.10",
            }
        )
        rooms.append({"id": f"{slug}-vc", "name": f"第{p}地区视频会议室", "codec": f"{slug}-codec"})
    sites: list[dict[str, Any]] = [
        {
            "id": slug,
            "name": f"第{p}地区",
            "name_en": f"Synthetic prefecture {p}",
            "parent": "centre",
            "contacts": [{"name": f"第{p}地区网络值班员", "phone": f"0900-0000-{p:04d}"}],
            "defaults": {"platform": pf, "snmp_profile": "lab-v2c"},
            "devices": node,
            "rooms": rooms,
        }
    ]
    for c in range(1, counties + 1):
        if not budget.take():
            break
        sid, cce = f"{slug}-c{c:02d}", f"{slug}-c{c:02d}-ce1"
        planned, backup = c % 50 == 0, c % 4 == 1
        ifs = [_itf(pf, 0, 1, "uplink", f"10.{x}.{c}.2/30"), _itf(pf, 0, 3, "lan", f"10.{100 + x}.{c}.1/24")]
        ce_ifs.append(_itf("huawei_vrp8", 1, c, "downlink", f"10.{x}.{c}.1/30"))
        if not planned:
            links.append(
                _link(
                    f"{cce}:{ifname(pf, 0, 1)}",
                    f"{ce}:{ifname('huawei_vrp8', 1, c)}",
                    False,
                    10,
                    f"BENCH-MPLS-{x}-{c:02d}",
                )
            )
        if backup and not planned:
            ifs.insert(1, _itf(pf, 0, 2, "uplink", f"10.{x}.{c}.6/30"))
            ce_ifs.append(_itf("huawei_vrp8", 2, c, "downlink", f"10.{x}.{c}.5/30"))
            links.append(
                _link(
                    f"{cce}:{ifname(pf, 0, 2)}",
                    f"{ce}:{ifname('huawei_vrp8', 2, c)}",
                    True,
                    2,
                    f"BENCH-MSTP-{x}-{c:02d}",
                )
            )
        site: dict[str, Any] = {"id": sid, "name": f"第{p}地区第{c}县", "parent": slug}
        if planned:
            site.update(status="planned", target_date=date(2027, 3, 31))
        site["devices"] = [{"id": cce, "role": "ce", "address": f"127.{x}.{c}.1", "interfaces": ifs}]
        if budget.take():
            site["devices"].append({"id": f"{sid}-sw1", "role": "switch", "address": f"127.{x}.{c}.3"})
        if budget.take():
            site["devices"].append(
                {
                    "id": f"{sid}-codec",
                    "role": "codec",
                    "platform": "codec",
                    "credential": "lab-codec",
                    "address": f"127.{x}.{c}.10",
                }
            )
            site["rooms"] = [
                {
                    "id": f"{sid}-vc",
                    "name": f"第{p}地区第{c}县视频会议室",
                    "codec": f"{sid}-codec",
                    "call_rate_kbps": 2048,
                }
            ]
        sites.append(site)
    return {"sites": sites, "links": links}


def _region(core_ifs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "defaults": {
            "platform": "huawei_vrp8",
            "snmp_profile": "lab-v3",
            "credential": "lab-cli",
            "ssh_port": 10022,
            "snmp_port": 10161,
            "http_port": 10080,
            "sip_port": 5060,
            "probe_port": 10862,
        },
        "snmp_profiles": [
            {"id": "lab-v2c", "version": "2c", "community": {"secret": "lab-snmp-community"}},
            {
                "id": "lab-v3",
                "version": "3",
                "user": "netops",
                "auth_protocol": "sha",
                "auth_key": {"secret": "lab-snmp-v3-auth"},
                "priv_protocol": "aes",
                "priv_key": {"secret": "lab-snmp-v3-priv"},
            },
        ],
        "credentials": [
            {"id": "lab-cli", "username": "netops", "password": {"secret": "lab-cli-password"}},
            {"id": "lab-codec", "username": "admin", "password": {"secret": "lab-codec-password"}},
        ],
        "sites": [
            {
                "id": "centre",
                "name": "自治区人民政府办公厅",
                "tier": "region",
                "devices": [
                    {
                        "id": "centre-core1",
                        "role": "core",
                        "address": "127.1.0.1",
                        "ups": True,
                        "interfaces": core_ifs["centre-core1"],
                    },
                    {
                        "id": "centre-core2",
                        "role": "core",
                        "address": "127.1.0.2",
                        "interfaces": core_ifs["centre-core2"],
                    },
                    {"id": "centre-sw1", "role": "switch", "address": "127.1.0.3"},
                    {
                        "id": "centre-mcu",
                        "role": "mcu",
                        "platform": "mcu",
                        "credential": "lab-codec",
                        "address": "127.1.0.10",
                    },
                ],
            }
        ],
        "links": [
            {
                "a": "centre-core1:GigabitEthernet0/0/1",
                "b": "centre-core2:GigabitEthernet0/0/1",
                "medium": "ethernet",
                "bandwidth_mbps": 1000,
            }
        ],
    }


def _dump(data: dict[str, Any], path: Path) -> None:
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(
        data, Dumper=dumper, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200
    )
    path.write_text(text, encoding="utf-8")


def write_inventory(
    directory: Path, devices: int = 10_000, counties: int = 60, force: bool = False
) -> Written:
    """Write ``region.yaml`` and ``prefectures/pNNN.yaml`` with exactly ``devices`` devices into ``directory``.

    Refuses a directory that already holds YAML unless ``force``; then only the files this tool writes
    (``region.yaml``, ``prefectures/p*.yaml``) are removed first.
    """
    if devices <= CENTRE_DEVICES:
        raise ValueError(f"devices: expected more than {CENTRE_DEVICES} (the centre), found {devices}")
    if not 1 <= counties <= 254:
        raise ValueError(f"counties per prefecture: expected 1..254, found {counties}")
    needed = -(-(devices - CENTRE_DEVICES) // (3 + 3 * counties))  # a prefecture holds 3 + 3 per county
    if needed > MAX_PREFECTURES:
        raise ValueError(
            f"{devices} devices need {needed} prefectures, more than {MAX_PREFECTURES}; raise --counties"
        )
    existing = (
        [*directory.glob("*.yaml"), *directory.glob("prefectures/*.yaml")] if directory.exists() else []
    )
    if existing and not force:
        raise FileExistsError(
            f"{directory}: already holds {len(existing)} YAML files; pass --force to replace them"
        )
    for old in [directory / "region.yaml", *directory.glob("prefectures/p*.yaml")]:
        old.unlink(missing_ok=True)
    (directory / "prefectures").mkdir(parents=True, exist_ok=True)
    budget = _Budget(devices - CENTRE_DEVICES)
    core_ifs: dict[str, list[dict[str, Any]]] = {
        core: [_itf("huawei_vrp8", 0, 1, "downlink", f"10.1.0.{n}/30")]
        for n, core in enumerate(("centre-core1", "centre-core2"), start=1)
    }
    p = 0
    while budget.left > 0:
        p += 1
        _dump(_prefecture(p, counties, budget, core_ifs), directory / "prefectures" / f"p{p:03d}.yaml")
    _dump(_region(core_ifs), directory / "region.yaml")
    return Written(directory, devices, p, p + 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic N-device inventory for benchmarks.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--devices", type=int, default=10_000, help="devices in total (default 10,000)")
    parser.add_argument("--counties", type=int, default=60, help="counties per prefecture (default 60)")
    parser.add_argument("--force", action="store_true", help="replace the YAML files a previous run wrote")
    args = parser.parse_args(argv)
    try:
        out = write_inventory(args.directory, args.devices, args.counties, args.force)
    except (ValueError, FileExistsError) as exc:
        sys.stderr.write(f"gen_inventory: {exc}\n")
        return 2
    sys.stdout.write(
        f"{out.devices} devices in {out.prefectures} prefectures, {out.files} files in {out.directory}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
