"""Generate the lab region inventory (``inventory/*.yaml``) from Xinjiang's administrative divisions.

Where it sits: a maintainer's tool beside the netops package, never imported by it. The YAML it writes is
committed and is what netops reads; this script makes that data reproducible and keeps the address plan of
``inventory/README.md`` exact. Change the tables below (platforms, bandwidths, lifecycle) and re-run, or
hand-edit the YAML and keep this script in step: ``--check`` says when they differ.

    .venv/bin/python scripts/gen_lab_inventory.py            # (re)write inventory/
    .venv/bin/python scripts/gen_lab_inventory.py --check    # exit 1 if the committed YAML differs

The division names are embedded (copied from the project's ``xinjiang-divisions.yaml``) so the repository
regenerates on its own; ``--divisions FILE`` reads another copy of that file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

# -- facts: the administrative divisions (counties as "中文名 pinyin-slug", in the official order) ---------------

DIVISIONS = """
prefectures:
  - {name_zh: 乌鲁木齐市, en: Urumqi, kind: city, counties: [天山区 tianshan, 沙依巴克区 shayibake,
     新市区 xinshi, 水磨沟区 shuimogou, 头屯河区 toutunhe, 达坂城区 dabancheng, 米东区 midong,
     乌鲁木齐县 wulumuqi-xian]}
  - {name_zh: 克拉玛依市, en: Karamay, kind: city, counties: [独山子区 dushanzi, 克拉玛依区 kelamayi,
     白碱滩区 baijiantan, 乌尔禾区 wuerhe]}
  - {name_zh: 吐鲁番市, en: Turpan, kind: city, counties: [高昌区 gaochang, 鄯善县 shanshan, 托克逊县 tuokexun]}
  - {name_zh: 哈密市, en: Hami, kind: city, counties: [伊州区 yizhou, 巴里坤哈萨克自治县 balikun, 伊吾县 yiwu]}
  - {name_zh: 昌吉回族自治州, en: Changji, kind: autonomous-prefecture, counties: [昌吉市 changji,
     阜康市 fukang, 呼图壁县 hutubi, 玛纳斯县 manasi, 奇台县 qitai, 吉木萨尔县 jimusaer, 木垒哈萨克自治县 mulei]}
  - {name_zh: 博尔塔拉蒙古自治州, en: Bortala, kind: autonomous-prefecture, counties: [博乐市 bole,
     阿拉山口市 alashankou, 精河县 jinghe, 温泉县 wenquan]}
  - {name_zh: 巴音郭楞蒙古自治州, en: Bayingolin, kind: autonomous-prefecture, counties: [库尔勒市 kuerle,
     轮台县 luntai, 尉犁县 yuli, 若羌县 ruoqiang, 且末县 qiemo, 焉耆回族自治县 yanqi, 和静县 hejing,
     和硕县 heshuo, 博湖县 bohu]}
  - {name_zh: 阿克苏地区, en: Aksu, kind: prefecture, counties: [阿克苏市 akesu, 库车市 kuche, 温宿县 wensu,
     沙雅县 shaya, 新和县 xinhe, 拜城县 baicheng, 乌什县 wushi, 阿瓦提县 awati, 柯坪县 keping]}
  - {name_zh: 克孜勒苏柯尔克孜自治州, en: Kizilsu, kind: autonomous-prefecture, counties: [阿图什市 atushi,
     阿克陶县 aketao, 阿合奇县 aheqi, 乌恰县 wuqia]}
  - {name_zh: 喀什地区, en: Kashgar, kind: prefecture, counties: [喀什市 kashi, 疏附县 shufu, 疏勒县 shule,
     英吉沙县 yingjisha, 泽普县 zepu, 莎车县 shache, 叶城县 yecheng, 麦盖提县 maigaiti, 岳普湖县 yuepuhu,
     伽师县 jiashi, 巴楚县 bachu, 塔什库尔干塔吉克自治县 tashikuergan]}
  - {name_zh: 和田地区, en: Hotan, kind: prefecture, counties: [和田市 hetian-shi, 和田县 hetian-xian,
     墨玉县 moyu, 皮山县 pishan, 洛浦县 luopu, 策勒县 cele, 于田县 yutian, 民丰县 minfeng]}
  - {name_zh: 伊犁哈萨克自治州, en: Ili, kind: autonomous-prefecture, counties: [伊宁市 yining-shi,
     奎屯市 kuitun, 霍尔果斯市 huoerguosi, 伊宁县 yining-xian, 察布查尔锡伯自治县 chabuchaer, 霍城县 huocheng,
     巩留县 gongliu, 新源县 xinyuan, 昭苏县 zhaosu, 特克斯县 tekesi, 尼勒克县 nileke]}
  - {name_zh: 塔城地区, en: Tacheng, kind: prefecture, counties: [塔城市 tacheng-shi, 乌苏市 wusu,
     沙湾市 shawan, 额敏县 emin, 托里县 tuoli, 裕民县 yumin, 和布克赛尔蒙古自治县 hebukesaier]}
  - {name_zh: 阿勒泰地区, en: Altay, kind: prefecture, counties: [阿勒泰市 aletai, 布尔津县 buerjin,
     富蕴县 fuyun, 福海县 fuhai, 哈巴河县 habahe, 青河县 qinghe, 吉木乃县 jimunai]}
direct_cities: [石河子市 shihezi, 阿拉尔市 alaer, 五家渠市 wujiaqu, 图木舒克市 tumushuke]
departments: [卫生厅 health, 司法厅 justice, 环境保护局 environment, 畜牧厅 animal-husbandry,
  国土资源厅 land-resources, 审计厅 audit, 公安厅 public-security, 质量技术监督局 quality-supervision,
  工商行政管理局 industry-commerce]
"""

# -- the project's choices --------------------------------------------------------------------------------------

VRP8, VRP5, COMWARE, IOS = "huawei_vrp8", "huawei_vrp5", "h3c_comware7", "cisco_ios"
CARRIER = "中国电信新疆分公司"  # Xinjiang Telecom, the carrier of the private network

# Per prefecture: phone area code; Mbit/s of the prefecture's primary uplink (pref; backup: a fifth) and of
# each county's (cty; backup: 2); platform of the prefecture's own CE and switch (node) and of its county
# routers (set once in the prefecture's site defaults).
PREFECTURES = """
# slug      area  pref  cty  node          counties
urumqi      0991  100   20  huawei_vrp8   huawei_vrp8
karamay     0990   20   10  huawei_vrp8   huawei_vrp8
turpan      0995   20   10  huawei_vrp8   huawei_vrp8
hami        0902   20   10  huawei_vrp8   huawei_vrp8
changji     0994   50   10  huawei_vrp8   huawei_vrp8
bortala     0909   20   10  huawei_vrp8   h3c_comware7
bayingolin  0996   50   10  huawei_vrp8   huawei_vrp8
aksu        0997   50   10  huawei_vrp8   huawei_vrp8
kizilsu     0908   20   10  huawei_vrp8   huawei_vrp5
kashgar     0998   50   10  huawei_vrp8   huawei_vrp8
hotan       0903   20   10  huawei_vrp8   huawei_vrp5
ili         0999   50   10  h3c_comware7  h3c_comware7
tacheng     0901   20   10  h3c_comware7  h3c_comware7
altay       0906   20   10  huawei_vrp8   huawei_vrp5
"""
# Sites hanging off the centre cores: phone area code, CE platform, backup link, video room, English name.
CENTRE_NODES = """
# slug               area  CE platform  backup  room  English name
health               0991  huawei_vrp8  backup  -     Health Department
justice              0991  huawei_vrp8  backup  -     Justice Department
environment          0991  huawei_vrp8  -       -     Environmental Protection Bureau
animal-husbandry     0991  huawei_vrp8  -       -     Animal Husbandry Department
land-resources       0991  huawei_vrp8  backup  -     Land and Resources Department
audit                0991  huawei_vrp8  -       -     Audit Department
public-security      0991  cisco_ios    backup  -     Public Security Department
quality-supervision  0991  huawei_vrp5  -       -     Quality and Technical Supervision Bureau
industry-commerce    0991  cisco_ios    -       -     Administration for Industry and Commerce
shihezi              0993  huawei_vrp8  backup  room  Shihezi City
alaer                0997  huawei_vrp8  backup  room  Alaer City
wujiaqu              0994  huawei_vrp8  -       -     Wujiaqu City
tumushuke            0998  huawei_vrp8  -       -     Tumushuke City
"""
OLD_COUNTY_ROUTERS = {"aksu-keping-ce1": VRP5, "hami-yiwu-ce1": VRP5}  # not yet replaced: device override
LIFECYCLE = {  # site -> (status, target date); every other site is active. The lab's "today" is late 2026.
    "kashgar-tashikuergan": ("staging", date(2026, 12, 31)),
    "ili-huoerguosi": ("staging", date(2026, 9, 30)),  # late
    "altay-jimunai": ("planned", date(2026, 6, 30)),  # late
    "hotan-minfeng": ("planned", date(2027, 3, 31)),
    "bayingolin-ruoqiang": ("planned", date(2027, 6, 30)),
    "tacheng-hebukesaier": ("planned", date(2027, 3, 31)),
}
KIND_EN = {"city": "City", "prefecture": "Prefecture", "autonomous-prefecture": "Autonomous Prefecture"}
GENERATED = "Generated by scripts/gen_lab_inventory.py; the address plan is in inventory/README.md."


def county_has_room(n: int) -> bool:
    return n % 3 == 1  # the seat (county 1) and every third county after it: 37 of the 96


def county_has_backup(n: int) -> bool:
    return n % 4 == 1  # about a quarter of the counties


# -- YAML building blocks ---------------------------------------------------------------------------------------


class Flow(dict[str, Any]):
    """A mapping written on one line: ``{name: GigabitEthernet0/0/1, kind: uplink}``."""


class Comment(str):
    """A comment line inside a list."""


def ifname(platform: str, slot: int, port: int) -> str:
    """Interface names as each platform spells them (slot 0 = the main board)."""
    if platform == COMWARE:
        return f"GigabitEthernet{slot + 1}/0/{port}"
    if platform == IOS:
        return f"GigabitEthernet0/{port}" if slot == 0 else f"GigabitEthernet0/{slot}/{port}"
    return f"GigabitEthernet0/{slot}/{port}"  # Huawei VRP5 and VRP8


@dataclass(frozen=True)
class End:
    """One port of a device: the end of a link."""

    device: str
    platform: str
    slot: int
    port: int

    @property
    def name(self) -> str:
        return ifname(self.platform, self.slot, self.port)

    @property
    def ref(self) -> str:
        return f"{self.device}:{self.name}"


def itf(end: End, kind: str, description: str, address: str | None = None) -> Flow:
    out = Flow(name=end.name, kind=kind, description=description)
    if address is not None:
        out["address"] = address
    return out


def in_port_order(interfaces: list[Flow]) -> list[Flow]:
    return sorted(interfaces, key=lambda i: tuple(int(n) for n in re.findall(r"\d+", i["name"])))


def circuits(
    child: str,
    platform: str,
    parents: tuple[End, End | None],
    net: str,
    mbps: tuple[int, int],
    circuit: str,
    downlinks: dict[str, list[Flow]],
    linked: bool = True,
) -> tuple[list[Flow], list[Any]]:
    """A child CE's uplinks: primary (MPLS VPN) and optional backup (MSTP), /30 each from ``net``.

    Returns the child's uplink interfaces and the links; the parents' downlink interfaces are added to
    ``downlinks``. ``linked=False`` (a planned site): ports and addresses are reserved, no link yet.
    """
    ifs: list[Flow] = []
    links: list[Any] = []
    for n, (kind, parent) in enumerate(zip(("primary", "backup"), parents, strict=True)):
        if parent is None:
            continue
        mine = End(child, platform, 0, n + 1)
        note = kind if linked else "reserved while planned"
        downlinks.setdefault(parent.device, []).append(
            itf(parent, "downlink", f"to {child} ({note})", f"{net}.{4 * n + 1}/30")
        )
        ifs.append(itf(mine, "uplink", f"{kind} uplink to {parent.ref}", f"{net}.{4 * n + 2}/30"))
        if linked:
            medium = ("mpls-vpn", "mstp")[n]
            lk = {
                "a": mine.ref,
                "b": parent.ref,
                "kind": kind,
                "carrier": CARRIER,
                "medium": medium,
                "circuit": f"XJTEL-{medium[:4].upper()}-{circuit}",
                "bandwidth_mbps": mbps[n],
            }
            if kind == "primary":
                del lk["kind"]
            links.append(lk)
    return ifs, links


def codec(ident: str, address: str) -> Flow:
    return Flow(id=ident, role="codec", platform="codec", credential="lab-codec", address=address)


def duty(name: str, phone: str, role: str = "网络值班") -> Flow:
    return Flow(name=name, role=role, phone=phone)


def room(site: str, name: str, kbps: int, contact: Flow) -> dict[str, Any]:
    return {
        "id": f"{site}-vc",
        "name": f"{name}视频会议室",
        "codec": f"{site}-codec",
        "call_rate_kbps": kbps,
        "contact": contact,
    }


# -- the files ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    number: int  # 1.. in the official order: the third octet of its addresses
    slug: str
    name: str


@dataclass(frozen=True)
class Prefecture:
    number: int  # 1..14 in the official order: its addresses use 10 + number
    slug: str
    name: str
    name_en: str
    counties: tuple[County, ...]


def _named(entry: str) -> tuple[str, str]:
    name, slug = entry.split()
    return name, slug


def prefecture_file(p: Prefecture, downlinks: dict[str, list[Flow]]) -> dict[str, Any]:
    area, mbps_text, county_mbps, node_pf, county_pf = _row(PREFECTURES, p.slug)
    x, mbps, ce = 10 + p.number, int(mbps_text), f"{p.slug}-ce1"
    cores = (End("centre-core1", VRP8, 1, p.number), End("centre-core2", VRP8, 1, p.number))
    ce_ifs, links = circuits(ce, node_pf, cores, f"10.{x}.0", (mbps, mbps // 5), f"{x}-00", downlinks)
    links = [
        Comment("prefecture uplinks: primary on the carrier's MPLS VPN to core1, backup on MSTP to core2"),
        *links,
        Comment("county uplinks to the prefecture CE (planned counties have no circuit yet)"),
    ]
    counties: list[dict[str, Any]] = []
    for c in p.counties:
        sid, cce = f"{p.slug}-{c.slug}", f"{p.slug}-{c.slug}-ce1"
        platform = OLD_COUNTY_ROUTERS.get(cce, county_pf)
        status, target = LIFECYCLE.get(sid, ("active", None))
        up = (
            End(ce, node_pf, 1, c.number),
            End(ce, node_pf, 2, c.number) if county_has_backup(c.number) else None,
        )
        ifs, county_links = circuits(
            cce,
            platform,
            up,
            f"10.{x}.{c.number}",
            (int(county_mbps), 2),
            f"{x}-{c.number:02d}",
            downlinks,
            linked=status != "planned",
        )
        links += county_links
        ifs.append(itf(End(cce, platform, 0, 3), "lan", "county LAN", f"10.{100 + x}.{c.number}.1/24"))
        router: dict[str, Any] = {"id": cce, "role": "ce", "address": f"127.{x}.{c.number}.1"}
        if platform != county_pf:
            router["platform"] = platform
        site: dict[str, Any] = {"id": sid, "name": c.name, "parent": p.slug}
        if target is not None:
            site.update(status=status, target_date=target)
        site["devices"] = [{**router, "interfaces": ifs}]
        if county_has_room(c.number):
            site["devices"].append(codec(f"{sid}-codec", f"127.{x}.{c.number}.10"))
            phone = f"{area}-0000-{c.number:02d}02"
            site["rooms"] = [room(sid, c.name, 2048, duty(f"{c.name}视频会议值班员", phone, "视频会议值班"))]
        counties.append(site)
    own: dict[str, Any] = {"platform": node_pf} if node_pf != county_pf else {}
    defaults: dict[str, Any] = {
        "#": "for the counties (and the codec); the prefecture's CE and switch set their own"
    }
    if county_pf != VRP8:
        defaults["platform"] = county_pf
    defaults["snmp_profile"] = "lab-v2c"
    lan = End(ce, node_pf, 0, 3)
    ce_ifs = in_port_order(
        [
            *ce_ifs,
            itf(lan, "lan", f"prefecture LAN ({p.slug}-sw1)", f"10.{100 + x}.0.1/24"),
            *downlinks.pop(ce),
        ]
    )
    sw_ifs = [
        itf(End(f"{p.slug}-sw1", node_pf, 0, 1), "uplink", f"to {lan.ref}"),
        itf(End(f"{p.slug}-sw1", node_pf, 0, 2), "lan", f"{p.slug}-codec"),
    ]
    vc_duty = duty(f"{p.name}视频会议值班员", f"{area}-0000-0002", "视频会议值班")
    prefecture = {
        "id": p.slug,
        "name": p.name,
        "name_en": p.name_en,
        "parent": "centre",
        "contacts": [duty(f"{p.name}网络值班员", f"{area}-0000-0001"), vc_duty],
        "defaults": defaults,
        "devices": [
            {
                "id": ce,
                "role": "ce",
                "address": f"127.{x}.0.1",
                **own,
                "snmp_profile": "lab-v3",
                "ups": True,
                "interfaces": ce_ifs,
            },
            {
                "id": f"{p.slug}-sw1",
                "role": "switch",
                "address": f"127.{x}.0.3",
                **own,
                "snmp_profile": "lab-v3",
                "interfaces": sw_ifs,
            },
            codec(f"{p.slug}-codec", f"127.{x}.0.10"),
        ],
        "rooms": [room(p.slug, p.name, 4096, vc_duty)],
    }
    return {
        "#0": f"{p.name} ({p.name_en}): prefecture {p.number}, its {len(p.counties)} counties, their links.",
        "#1": f"Management 127.{x}.0.x (prefecture node) and 127.{x}.<county>.x; point-to-point "
        f"10.{x}.<county>.0/30 (+4: backup); LANs 10.{100 + x}.<county>.0/24.",
        "#2": GENERATED,
        "sites": [prefecture, *counties],
        "links": links,
    }


def centre_nodes_file(
    entries: list[tuple[str, str]], department: bool, slot: int, downlinks: dict[str, list[Flow]]
) -> dict[str, Any]:
    """Departments (tier department) or direct cities (tier county): one CE each, uplinked to the cores.

    ``slot`` is both the cores' line card for them and the second octet of their addresses (2 or 3).
    """
    sites: list[dict[str, Any]] = []
    links: list[Any] = []
    for n, (name, slug) in enumerate(entries, start=1):
        area, platform, backup, has_room, name_en = _row(CENTRE_NODES, slug)
        sid = f"dept-{slug}" if department else slug
        ce = f"{sid}-ce1"
        cores = (
            End("centre-core1", VRP8, slot, n),
            End("centre-core2", VRP8, slot, n) if backup != "-" else None,
        )
        ifs, own_links = circuits(
            ce, platform, cores, f"10.{slot}.{n}", (20, 4), f"{slot}-{n:02d}", downlinks
        )
        links += own_links
        ifs.append(itf(End(ce, platform, 0, 3), "lan", "site LAN", f"10.{100 + slot}.{n}.1/24"))
        router: dict[str, Any] = {"id": ce, "role": "ce", "address": f"127.{slot}.{n}.1"}
        if platform != VRP8:
            router["platform"] = platform
        site: dict[str, Any] = {
            "id": sid,
            "name": name,
            "name_en": name_en,
            "tier": "department" if department else "county",
            "parent": "centre",
            "contacts": [duty(f"{name}网络值班员", f"{area}-0000-9{slot}{n:02d}")],
        }
        if not department:
            site["defaults"] = Flow(snmp_profile="lab-v2c")
        site["devices"] = [{**router, "interfaces": ifs}]
        if has_room != "-":
            site["devices"].append(codec(f"{sid}-codec", f"127.{slot}.{n}.10"))
            contact = duty(f"{name}视频会议值班员", f"{area}-0000-9{slot + 5}{n:02d}", "视频会议值班")
            site["rooms"] = [room(sid, name, 2048, contact)]
        sites.append(site)
    what = (
        "Department nodes: tier department, one CE each on the centre cores (127.2.<n>.1)"
        if department
        else "County-level cities administered by the region: tier county, on the centre cores (127.3.<n>.x)"
    )
    return {"#0": what, "#1": GENERATED, "sites": sites, "links": links}


def region_file(downlinks: dict[str, list[Flow]]) -> dict[str, Any]:
    core_ifs: dict[str, list[Flow]] = {}
    for n, core in enumerate(("centre-core1", "centre-core2"), start=1):
        other = f"centre-core{3 - n}"
        core_ifs[core] = in_port_order(
            [
                itf(End(core, VRP8, 0, 1), "lan", f"core interconnect to {other}", f"10.1.0.{n}/30"),
                itf(End(core, VRP8, 0, 2), "lan", "centre LAN (centre-sw1)", f"10.101.0.{n + 1}/24"),
                itf(End(core, VRP8, 0, 3), "downlink", "to centre-inet", f"10.1.0.{4 * n + 1}/30"),
                *downlinks.pop(core),
            ]
        )
    sw = [
        itf(End("centre-sw1", VRP8, 0, 1), "uplink", "to centre-core1:GigabitEthernet0/0/2"),
        itf(End("centre-sw1", VRP8, 0, 2), "uplink", "to centre-core2:GigabitEthernet0/0/2"),
        itf(End("centre-sw1", VRP8, 0, 3), "lan", "centre-mcu"),
        itf(End("centre-sw1", VRP8, 0, 4), "lan", "centre-codec"),
    ]
    inet = [
        Flow(name="GigabitEthernet0/0", kind="uplink", description="internet access"),
        itf(End("centre-inet", IOS, 0, 1), "downlink", "to centre-core1:GigabitEthernet0/0/3", "10.1.0.6/30"),
        itf(
            End("centre-inet", IOS, 0, 2), "downlink", "to centre-core2:GigabitEthernet0/0/3", "10.1.0.10/30"
        ),
    ]
    office, vc_duty = (
        "自治区电子政务办公室",
        duty("自治区电子政务办公室视频会议值班员", "0991-0000-9002", "视频会议值班"),
    )
    centre = {
        "id": "centre",
        "name": "自治区人民政府办公厅",
        "tier": "region",
        "name_en": "General Office of the People's Government of Xinjiang Uygur Autonomous Region",
        "contacts": [duty(f"{office}网络值班员", "0991-0000-9001"), vc_duty],
        "devices": [
            {
                "id": "centre-core1",
                "role": "core",
                "address": "127.1.0.1",
                "model": "NetEngine 8000 M8",
                "ups": True,
                "interfaces": core_ifs["centre-core1"],
            },
            {
                "id": "centre-core2",
                "role": "core",
                "address": "127.1.0.2",
                "model": "NetEngine 8000 M8",
                "interfaces": core_ifs["centre-core2"],
            },
            {
                "id": "centre-sw1",
                "role": "switch",
                "address": "127.1.0.3",
                "model": "CloudEngine S6730",
                "interfaces": sw,
            },
            {
                "id": "centre-inet",
                "role": "internet-exit",
                "platform": IOS,
                "address": "127.1.0.4",
                "model": "ISR 4451",
                "interfaces": inet,
            },
            Flow(id="centre-mcu", role="mcu", platform="mcu", credential="lab-codec", address="127.1.0.10"),
            codec("centre-codec", "127.1.0.11"),
        ],
        "rooms": [
            {
                **room("centre", "自治区人民政府办公厅", 4096, vc_duty),
                "name": "自治区人民政府办公厅视频会议主会场",
            }
        ],
    }
    lan_links = [
        Flow(a="centre-core1:GigabitEthernet0/0/1", b="centre-core2:GigabitEthernet0/0/1"),
        Flow(a="centre-inet:GigabitEthernet0/1", b="centre-core1:GigabitEthernet0/0/3"),
        Flow(a="centre-inet:GigabitEthernet0/2", b="centre-core2:GigabitEthernet0/0/3", kind="backup"),
    ]
    for lk in lan_links:
        lk.update(medium="ethernet", bandwidth_mbps=1000)
    return {
        "#0": "Lab region: global defaults, SNMP profiles, credentials and the region centre.",
        "#1": GENERATED,
        "defaults": {
            "platform": VRP8,
            "snmp_profile": "lab-v3",
            "credential": "lab-cli",
            "#": "lab ports, so the lab runs without root (each device has its own 127.x address)",
            "ssh_port": 10022,
            "snmp_port": 10161,
            "http_port": 10080,
            "sip_port": 5060,
            "probe_port": 10862,
            "vars": {
                "#": "template variables (inventory/templates/): config text only, never contacted",
                "ntp_server": "127.1.0.1",
                "syslog_server": "127.1.0.6",  # config text only: the lab sends no syslog
                "ospf_process": 1,
            },
        },
        "snmp_profiles": [
            Flow(id="lab-v2c", version="2c", community=Flow(secret="lab-snmp-community")),
            {
                "id": "lab-v3",
                "version": "3",
                "user": "netops",
                "auth_protocol": "sha",
                "auth_key": Flow(secret="lab-snmp-v3-auth"),
                "priv_protocol": "aes",
                "priv_key": Flow(secret="lab-snmp-v3-priv"),
            },
        ],
        "credentials": [
            Flow(id="lab-cli", username="netops", password=Flow(secret="lab-cli-password")),
            Flow(id="lab-codec", username="admin", password=Flow(secret="lab-codec-password")),
        ],
        "sites": [centre],
        "links": [
            Comment("inside the centre (no carrier); the sites below link to the cores in their own files"),
            *lan_links,
        ],
    }


def _row(table: str, key: str) -> list[str]:
    for line in table.strip().splitlines():
        cells = line.split(maxsplit=5)
        if cells[0] == key:
            return cells[1:]
    raise KeyError(f"{key!r} is missing from a policy table")


# -- YAML writing: block style, one-line mappings for small items, comments from '#' keys ------------------------

_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#,\[\]{}]|:(?=\S))*")


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, date)):
        return value.isoformat() if isinstance(value, date) else str(value)
    text = str(value)
    plain = _PLAIN.fullmatch(text) and text == text.strip()
    if plain and yaml.safe_load(text) == text and yaml.safe_load(f"{{k: {text}}}") == {"k": text}:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def inline(value: Any) -> str:
    if isinstance(value, Flow):
        return "{" + ", ".join(f"{k}: {inline(v)}" for k, v in value.items()) + "}"
    return scalar(value)


def block(mapping: dict[str, Any], indent: int) -> list[str]:
    pad, lines = " " * indent, []
    for key, value in mapping.items():
        if key.startswith("#"):
            lines.append(f"{pad}# {value}")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}:")
            for item in value:
                if isinstance(item, Comment):
                    lines.append(f"{pad}  # {item}")
                elif isinstance(item, dict) and not isinstance(item, Flow):
                    sub = block(item, indent + 4)
                    lines += [f"{pad}  - {sub[0].lstrip()}", *sub[1:]]
                else:
                    lines.append(f"{pad}  - {inline(item)}")
        elif isinstance(value, dict) and not isinstance(value, Flow):
            lines += [f"{pad}{key}:", *block(value, indent + 2)]
        else:
            lines.append(f"{pad}{key}: {inline(value)}")
    return lines


def render(document: dict[str, Any]) -> str:
    lines: list[str] = []
    for key, value in document.items():
        if not key.startswith("#") and lines:
            lines.append("")  # a blank line between sections
        lines += block({key: value}, 0)
    return "\n".join(lines) + "\n"


def build(divisions_text: str) -> dict[str, str]:
    """Every file of the lab region, by path relative to the inventory directory."""
    data = yaml.safe_load(divisions_text)
    downlinks: dict[str, list[Flow]] = {}  # parent device -> downlink interfaces its children need
    files: dict[str, str] = {}
    for i, raw in enumerate(data["prefectures"], start=1):
        names = [_named(c) for c in raw["counties"]]
        counties = tuple(County(j, slug, name) for j, (name, slug) in enumerate(names, start=1))
        p = Prefecture(i, raw["en"].lower(), raw["name_zh"], f"{raw['en']} {KIND_EN[raw['kind']]}", counties)
        files[f"prefectures/{p.slug}.yaml"] = render(prefecture_file(p, downlinks))
    depts = [_named(d) for d in data["departments"]]
    cities = [_named(c) for c in data["direct_cities"]]
    files["departments.yaml"] = render(centre_nodes_file(depts, True, 2, downlinks))
    files["direct-cities.yaml"] = render(centre_nodes_file(cities, False, 3, downlinks))
    files["region.yaml"] = render(region_file(downlinks))
    return dict(sorted(files.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the lab region inventory (inventory/*.yaml).")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "inventory")
    parser.add_argument("--divisions", type=Path, help="a divisions YAML file (default: the embedded copy)")
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = parser.parse_args(argv)
    files = build(args.divisions.read_text(encoding="utf-8") if args.divisions else DIVISIONS)
    out: Path = args.out
    stale = sorted(
        rel
        for p in (out / "prefectures").glob("*.yaml")
        if (rel := p.relative_to(out).as_posix()) not in files
    )
    differ = [
        rel
        for rel, text in files.items()
        if not (out / rel).is_file() or (out / rel).read_text(encoding="utf-8") != text
    ]
    if args.check:
        for rel in differ:
            sys.stderr.write(f"{out / rel}: differs from the generator's output\n")
        for rel in stale:
            sys.stderr.write(f"{out / rel}: not produced by the generator\n")
        return 1 if differ or stale else 0
    for rel in differ:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(files[rel], encoding="utf-8")
    for rel in stale:
        sys.stderr.write(f"{out / rel}: not produced by the generator (left in place)\n")
    sys.stdout.write(f"{len(files)} files, {len(differ)} written to {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
