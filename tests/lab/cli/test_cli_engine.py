"""The CLI engine without SSH: configuration tree keys, views, errors, pipes (fast, no sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory.loader import load_inventory
from netops.lab.cli.config import ConfigNode, Edit, Keys
from netops.lab.cli.engine import CliSettings, Session
from netops.lab.cli.server import make_dialect
from netops.lab.cli.store import DeviceConfig
from netops.lab.state import LabWorld
from tests.lab.cli.cli_testlib import INVENTORY


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> LabWorld:
    inv: Path = tmp_path_factory.mktemp("engine-inventory")
    (inv / "region.yaml").write_text(INVENTORY.format(n=250), encoding="utf-8")
    return LabWorld(load_inventory(inv))


def session(world: LabWorld, device: str) -> Session:
    state = world.device(device)
    dialect = make_dialect(state.device.platform)
    store = DeviceConfig(device, dialect.initial_config(state, world.inventory), dialect.keys)
    return Session(dialect, state, store, CliSettings(), "netops", world.inventory)


def run(s: Session, *lines: str) -> str:
    return "".join(s.handle(line) for line in lines)


def test_keys_replace_enter_remove_and_order() -> None:
    keys = Keys((r"sysname(?= |$)", r"description(?= |$)", r"ip address(?=( \S+ \S+)?$)", r"ospf \d+(?= |$)"))
    root = ConfigNode(
        "", [ConfigNode("sysname a"), ConfigNode("ospf 1 router-id 1.1.1.1", [ConfigNode("x")])]
    )
    keys.apply(root, Edit((), "sysname b"))
    keys.apply(root, Edit((), "ospf 1"))  # entering an existing process keeps its line
    keys.apply(root, Edit(("ospf 1",), "y"))
    keys.apply(root, Edit(("interface GE1",), "ip address 10.0.0.1 255.255.255.0"))
    keys.apply(root, Edit(("interface GE1",), "ip address 10.0.0.2 255.255.255.0"))
    keys.apply(root, Edit(("interface GE1",), "ip address 10.0.1.2 255.255.255.0 sub"))
    keys.apply(root, Edit(("interface GE1",), "description first"))
    assert root.text_lines() == [
        "sysname b",
        "ospf 1 router-id 1.1.1.1",
        " x",
        " y",
        "interface GE1",
        " description first",
        " ip address 10.0.0.2 255.255.255.0",
        " ip address 10.0.1.2 255.255.255.0 sub",
    ]
    keys.apply(root, Edit(("interface GE1",), "ip address", remove=True))  # all addresses, as VRP does
    keys.apply(root, Edit((), "ospf 1", remove=True))
    assert root.text_lines() == ["sysname b", "interface GE1", " description first"]


def test_huawei_views_prompts_and_leaving_inner_views(world: LabWorld) -> None:
    s = session(world, "kashgar-shufu-ce1")
    assert s.prompt() == "<kashgar-shufu-ce1>"
    run(s, "system-view", "ospf 1", "area 0")
    assert s.prompt() == "[kashgar-shufu-ce1-ospf-1-area-0.0.0.0]"
    run(s, "interface GE0/0/0")  # valid only in system view: leaves ospf and area
    assert s.prompt() == "[kashgar-shufu-ce1-GigabitEthernet0/0/0]"
    out = run(s, "description a b", "display this")
    assert "interface GigabitEthernet0/0/0\n description a b\n" in out
    assert run(s, "quit", "quit") == ""
    assert s.prompt() == "<kashgar-shufu-ce1>"
    assert run(s, "dis cur | include ^sysname") == "sysname kashgar-shufu-ce1\n"  # abbreviations, pipes
    part = run(s, "display current-configuration interface GE0/0/0")
    assert "interface GigabitEthernet0/0/0\n description a b\n" in part and "sysname" not in part
    assert "  network 10.66.0.4 0.0.0.3" in run(s, "display current-configuration configuration ospf")
    run(s, "quit")
    assert s.closed


def test_error_texts_and_caret_positions(world: LabWorld) -> None:
    s = session(world, "kashgar-ce1")
    out = run(s, "display nothing")
    assert out == " " * len("<kashgar-ce1>display ") + "^\n % Unrecognized command found at '^' position.\n"
    run(s, "system-view")
    out = run(s, "ip address 1.1.1.1 255.0.0.0")  # interface-only line in system view
    assert out.splitlines()[0].index("^") == len("[kashgar-ce1]ip ")
    assert "Incomplete command" in run(s, "interface")

    ios = session(world, "kashgar-kashi-ce1")
    assert "% Invalid input detected at '^' marker." in run(ios, "configure terminal", "show version")
    assert "Cisco IOS Software" in run(ios, "do show version")
    assert run(ios, "interface") == "% Incomplete command.\n"
    run(ios, "interface Gi0/0/0", "exit")
    assert ios.prompt() == "kashgar-kashi-ce1(config)#"
    run(ios, "end")
    assert ios.prompt() == "kashgar-kashi-ce1#"


def test_vrp8_candidate_rollback_bounds(world: LabWorld) -> None:
    s = session(world, "centre-core1")
    run(s, "system-view", "interface GE0/0/1")
    assert s.prompt() == "[~centre-core1-GigabitEthernet0/0/1]"  # entering a block changes nothing
    run(s, "shutdown")
    assert s.prompt() == "[*centre-core1-GigabitEthernet0/0/1]"
    run(s, "commit", "return")
    assert len(s.store.commits) == 2
    assert "does not exist" in run(s, "rollback configuration last 2")
    assert "succeeded" in run(s, "rollback configuration last 1")
    assert "shutdown" not in run(s, "display current-configuration")
