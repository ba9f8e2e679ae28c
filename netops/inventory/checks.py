"""Whole-inventory checks that need more than one object: the site hierarchy and the paths to the centre.

Called by the loader; each returns ``Problem``s instead of raising, so every problem is reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from netops.errors import Problem
from netops.inventory.models import Contact, Inventory, Lifecycle, Site, Source, Tier

if TYPE_CHECKING:
    from netops.inventory.resolve import Item
    from netops.inventory.specs import SiteSpec

# which tiers may hang under which
_ALLOWED_PARENTS = {
    Tier.PREFECTURE: (Tier.REGION,),
    Tier.COUNTY: (Tier.PREFECTURE, Tier.REGION),  # county-level cities under the region directly
    Tier.DEPARTMENT: (Tier.REGION, Tier.PREFECTURE),
}
_INFERRED_TIER = {Tier.REGION: Tier.PREFECTURE, Tier.PREFECTURE: Tier.COUNTY}


def resolve_hierarchy(
    items: Mapping[str, Item[SiteSpec]], broken: set[str], problems: list[Problem]
) -> dict[str, Site] | None:
    """Check parents, tiers and cycles; infer missing tiers; return the resolved sites (None: no region)."""
    regions = [it for it in items.values() if it.spec.tier is Tier.REGION]
    if not regions:
        where = next(iter(items.values()), None)
        problems.append(
            Problem(
                where.file if where else "(inventory)",
                where.line if where else None,
                "tier",
                "no site has tier: region; exactly one region centre is expected",
            )
        )
        return None
    for extra in regions[1:]:
        problems.append(
            Problem(
                extra.file,
                extra.line,
                "tier",
                f"a second region site; the region centre is already {regions[0].spec.id!r} "
                f"({regions[0].file}:{regions[0].line})",
            )
        )
    region = regions[0].spec.id

    tiers: dict[str, Tier] = {region: Tier.REGION}
    bad: set[str] = set()
    for ident, item in items.items():
        s = item.spec
        if ident == region:
            if s.parent is not None:
                problems.append(
                    Problem(
                        item.file, item.raw.line_of("parent"), "parent", "the region centre has no parent"
                    )
                )
            continue
        if s.tier is Tier.REGION:
            bad.add(ident)
            continue
        if s.parent is None:
            problems.append(Problem(item.file, item.line, "parent", f"site {ident!r} needs a parent site"))
            bad.add(ident)
        elif s.parent not in items:
            if s.parent not in broken:
                problems.append(
                    Problem(
                        item.file,
                        item.raw.line_of("parent"),
                        "parent",
                        f"site {ident!r} names unknown parent {s.parent!r}",
                    )
                )
            bad.add(ident)

    # cycles: walk up from every site; a walk that meets itself before the region is a cycle
    for ident in items:
        if ident in bad or ident == region:
            continue
        seen = [ident]
        node = items[ident].spec.parent
        while node is not None and node != region and node not in bad:
            if node in seen:
                cycle = [*seen[seen.index(node) :], node]
                item = items[ident]
                problems.append(
                    Problem(
                        item.file,
                        item.raw.line_of("parent"),
                        "parent",
                        f"the hierarchy has a cycle: {' -> '.join(cycle)}",
                    )
                )
                bad.update(cycle)
                break
            seen.append(node)
            node = items[node].spec.parent
        if node is not None and node in bad and node != ident:
            bad.add(ident)

    def tier_of(ident: str) -> Tier | None:
        if ident in tiers:
            return tiers[ident]
        if ident in bad:
            return None
        s = items[ident].spec
        parent_tier = tier_of(s.parent) if s.parent else None
        if parent_tier is None:
            return None
        tier = s.tier or _INFERRED_TIER.get(parent_tier)
        item = items[ident]
        if tier is None:
            problems.append(
                Problem(
                    item.file,
                    item.line,
                    "tier",
                    f"cannot infer the tier of {ident!r} under a {parent_tier} site; set tier:",
                )
            )
            bad.add(ident)
            return None
        if parent_tier not in _ALLOWED_PARENTS[tier]:
            allowed = " or ".join(str(t) for t in _ALLOWED_PARENTS[tier])
            problems.append(
                Problem(
                    item.file,
                    item.raw.line_of("parent"),
                    "parent",
                    f"a {tier} site must hang under a {allowed} site; {s.parent!r} is a {parent_tier}",
                )
            )
            bad.add(ident)
            return None
        tiers[ident] = tier
        return tier

    sites: dict[str, Site] = {}
    for ident, item in items.items():
        tier = tier_of(ident)
        if tier is None:
            continue
        s = item.spec
        prefecture: str | None = None
        if tier is Tier.PREFECTURE:
            prefecture = ident
        elif (
            tier in (Tier.COUNTY, Tier.DEPARTMENT)
            and s.parent is not None
            and tiers.get(s.parent) is Tier.PREFECTURE
        ):
            prefecture = s.parent
        vars_: dict[str, Any] = dict(s.vars)
        sites[ident] = Site(
            id=ident,
            name=s.name,
            tier=tier,
            parent=s.parent,
            prefecture=prefecture,
            status=s.status,
            target_date=s.target_date,
            name_en=s.name_en,
            contacts=tuple(
                Contact(name=c.name, phone=c.phone, role=c.role, email=c.email) for c in s.contacts
            ),
            vars=MappingProxyType(vars_),
            source=Source(item.file, item.line),
        )
    # a child of a site that failed its own checks is dropped silently (its parent's problem is reported)
    return sites


def check_paths_to_centre(inventory: Inventory) -> list[Problem]:
    """Every active site and device must reach the centre when nothing has failed."""
    from netops.inventory.topology import Topology

    topo = Topology(inventory)
    reached = topo.reachable()
    problems: list[Problem] = []
    lost_sites = set()
    for site_id in topo.unreachable_sites():
        site = inventory.sites[site_id]
        if site.status is not Lifecycle.ACTIVE:
            continue
        lost_sites.add(site_id)
        routers = topo.site_routers(site_id)
        if not routers:
            continue  # a site without devices has nothing to reach
        problems.append(
            Problem(
                site.source.file,
                site.source.line,
                "links",
                f"{site.tier} {site_id!r} has no path to the region centre: none of "
                f"{', '.join(routers)} is linked towards it",
            )
        )
    for dev in inventory.devices.values():
        if dev.id in reached or dev.site in lost_sites or dev.status is not Lifecycle.ACTIVE:
            continue
        if inventory.sites[dev.site].status is not Lifecycle.ACTIVE:
            continue
        problems.append(
            Problem(
                dev.source.file,
                dev.source.line,
                "attached_to",
                f"device {dev.id!r} has no path to the region centre (no link or attachment "
                "to a device that has one)",
            )
        )
    return problems


# zoneinfo loads these, browsers (Intl, ICU) do not: not a region's time zone
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


def timezone_problem(value: object) -> str | None:
    """Why ``value`` is not a time zone both Python's zoneinfo and browsers accept (a canonical IANA name
    such as ``Asia/Urumqi``), or None. Refuses ``localtime``, ``posix/...``, ``right/...``, offsets."""
    from zoneinfo import ZoneInfo, available_timezones

    hint = "expected an IANA time zone name such as Asia/Urumqi or Asia/Shanghai"
    if not isinstance(value, str) or not value.strip():
        return f"{hint}, found {value!r}"
    known = available_timezones() - _NOT_ZONES  # no posix/ or right/ names
    if value in _NOT_ZONES or value.startswith(("posix/", "right/")) or (known and value not in known):
        return f"{hint} (not localtime, posix/..., right/... or an offset such as UTC+8), found {value!r}"
    try:
        ZoneInfo(value)
    except (ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError; ValueError for odd paths
        return f"{hint}, found {value!r} ({exc.__class__.__name__})"
    except KeyError:
        return f"{hint}, found {value!r}"
    return None


def check_timezones(inventory: Inventory) -> list[Problem]:
    """A site's ``vars.timezone`` (the board shows times in the centre's) must be a zone browsers know too."""
    problems = []
    for site in inventory.sites.values():
        if "timezone" in site.vars and (why := timezone_problem(site.vars["timezone"])):
            problems.append(Problem(site.source.file, site.source.line, "vars.timezone", why))
    return problems
