"""``netops export nornir`` and ``netops export ansible`` of the shipped region, read back by the tools
themselves: nornir's SimpleInventory and ``ansible-inventory --list``. No secret value reaches either file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netops.cli.export import app
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from tests.conftest import REPO

INVENTORY = REPO / "inventory"
SENTINEL = "s3cret-value-that-must-not-leak"
runner = CliRunner()


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


@pytest.fixture(scope="module")
def secret_env(inv: Inventory) -> dict[str, str]:
    """Every secret the inventory names, set in the environment: an export that resolved one would show it."""
    from netops.secrets import env_name

    names = {c.password.name for c in inv.credentials.values()}
    names |= {c.enable.name for c in inv.credentials.values() if c.enable}
    for p in inv.snmp_profiles.values():
        names |= {r.name for r in (p.community, p.auth_key, p.priv_key) if r}
    return {env_name(n): f"{SENTINEL}-{n}" for n in names}


def _export(secret_env: dict[str, str], *args: str) -> None:
    res = runner.invoke(app, [*args, "--inventory", str(INVENTORY)], env=secret_env)
    assert res.exit_code == 0, res.output
    assert "passwords are not written" in res.output


def test_nornir_simple_inventory_loads_every_device(
    inv: Inventory, secret_env: dict[str, str], tmp_path: Path
) -> None:
    from nornir.plugins.inventory.simple import SimpleInventory

    from netops.interop.nornir import fill_passwords

    out = tmp_path / "nornir"
    _export(secret_env, "nornir", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["defaults.yaml", "groups.yaml", "hosts.yaml"]
    for f in out.iterdir():
        assert SENTINEL not in f.read_text(encoding="utf-8"), f.name

    loaded = SimpleInventory(
        host_file=str(out / "hosts.yaml"),
        group_file=str(out / "groups.yaml"),
        defaults_file=str(out / "defaults.yaml"),
    ).load()
    assert sorted(loaded.hosts) == sorted(inv.devices)
    for dev in inv.devices.values():
        host = loaded.hosts[dev.id]
        assert host.hostname == str(dev.address)
        assert host.port == dev.ssh_port
        # the platform comes from the platform group: netmiko's device type, none for codecs and the MCU
        assert host.platform == dev.platform.netmiko_device_type
        assert host["site"] == dev.site
        assert host["region"] == inv.centre.id  # from defaults.yaml
        assert host.password is None
    kashgar = {h for h in loaded.hosts if "prefecture_kashgar" in [g.name for g in loaded.hosts[h].groups]}
    assert kashgar == {d.id for d in inv.devices.values() if inv.sites[d.site].prefecture == "kashgar"}

    # the passwords come from the variables netops itself reads, at load time
    for name, value in secret_env.items():
        os.environ[name] = value
    try:
        assert fill_passwords(loaded)
    finally:
        for name in secret_env:
            os.environ.pop(name, None)
    ce = next(d for d in inv.devices.values() if d.credential and d.platform.has_cli)
    cred = inv.credentials[ce.credential or ""]
    assert loaded.hosts[ce.id].password == f"{SENTINEL}-{cred.password.name}"


def test_ansible_inventory_lists_every_device(
    inv: Inventory, secret_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "ansible" / "hosts.yaml"
    _export(secret_env, "ansible", str(out))
    assert SENTINEL not in out.read_text(encoding="utf-8")

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update({"HOME": str(home), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), **secret_env})
    res = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(out), "--list"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "WARNING" not in res.stderr, res.stderr
    listed = json.loads(res.stdout)
    # inventory text is !unsafe (never templated): ansible-inventory shows it as {"__ansible_unsafe": text}
    hostvars = {
        h: {
            k: x["__ansible_unsafe"] if isinstance(x, dict) and "__ansible_unsafe" in x else x
            for k, x in v.items()
        }
        for h, v in listed["_meta"]["hostvars"].items()
    }
    assert sorted(hostvars) == sorted(inv.devices)
    # --list does not evaluate the lookup: the password stays a reference to the variable
    assert SENTINEL not in res.stdout
    for dev in inv.devices.values():
        v = hostvars[dev.id]
        assert v["ansible_host"] == str(dev.address)
        assert v["ansible_port"] == dev.ssh_port
        assert v["netops_platform"] == str(dev.platform)
        if dev.credential:
            assert "lookup('env', 'NETOPS_SECRET_" in v["ansible_password"]
    ios = [d.id for d in inv.devices.values() if d.platform == "cisco_ios"]
    assert ios and all(hostvars[d]["ansible_network_os"] == "cisco.ios.ios" for d in ios)
    assert sorted(listed["prefecture_kashgar"]["hosts"]) == sorted(
        d.id for d in inv.devices.values() if inv.sites[d.site].prefecture == "kashgar"
    )
    assert sorted(listed["role_codec"]["hosts"]) == sorted(
        d.id for d in inv.devices.values() if d.role == "codec"
    )
