"""``netops init`` and the Nornir/Ansible exports against what users and disks do: a user's own file in the
folder ``init --force`` replaces, a target that is a file or a folder, a missing path, a read-only or full
file system (a tmpfs in a private mount namespace); inventory text Ansible would evaluate and host names it
reserves; a Nornir password found in neither the environment nor the secrets file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from netops.cli.export import app as export_app
from netops.inventory.models import Inventory
from tests.conftest import REPO

runner = CliRunner()
BIN = Path(sys.executable).parent
TEMPLATE = "{{ lookup('pipe', 'touch PWNED') }}{{ lookup('env','HOME') }}x"


def _netops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "netops"), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip


def test_init_force_moves_the_old_folders_aside_and_errors_are_one_line(tmp_path: Path) -> None:
    res = _netops("init", "ex", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    own = tmp_path / "ex" / "inventory" / "my-own-site.yaml"
    own.write_text("# mine\n", encoding="utf-8")
    res = _netops("init", "ex", cwd=tmp_path)
    assert res.returncode == 1 and "--force" in res.stderr and "Traceback" not in res.stderr
    res = _netops("init", "ex", "--force", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    moved = [Path(p) for p in json.loads(res.stdout)["moved_aside"]]
    assert sorted(p.name.split(".bak-")[0] for p in moved) == ["exporters", "inventory", "playbooks"]
    assert (tmp_path / moved[0] if not moved[0].is_absolute() else moved[0]).is_dir()
    backup = next(p for p in moved if p.name.startswith("inventory.bak-"))
    assert (tmp_path / backup / "my-own-site.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert not own.exists() and (tmp_path / "ex" / "inventory" / "region.yaml").is_file()
    assert not [p for p in (tmp_path / "ex").iterdir() if p.name.startswith(".")]  # no temporaries left

    (tmp_path / "afile").write_text("", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    cases = [
        (("init", "afile"), 2, "afile is a file, not a folder"),
        (("export", "nornir", "afile", "-i", "ex/inventory"), 2, "afile is a file, not a folder"),
        (("export", "ansible", "adir", "-i", "ex/inventory"), 2, "adir is a folder, not a file"),
        (("export", "ansible", "/proc/nope/x.yaml", "-i", "ex/inventory"), 1, "no such file or folder"),
    ]
    for args, code, message in cases:
        res = _netops(*args, cwd=tmp_path)
        assert (res.returncode, "Traceback" in res.stderr) == (code, False), (args, res.stderr)
        assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1, (args, res.stderr)


@pytest.mark.skipif(shutil.which("unshare") is None or shutil.which("mount") is None, reason="no unshare")
def test_full_and_read_only_file_systems_leave_nothing_half_written(tmp_path: Path) -> None:
    script = f"""
set -u
mkdir -p small ro && mount -t tmpfs -o size=300k tmpfs small && mount -t tmpfs -o ro tmpfs ro || exit 99
N={BIN / "netops"}
$N init small/x; echo "rc=$?"; ls -A small
$N init ro/x; echo "rc=$?"
$N export nornir ro/n -i {REPO / "inventory"}; echo "rc=$?"
"""
    res = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        check=False, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    if res.returncode == 99 or "Operation not permitted" in res.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    assert res.stdout.split() == ["rc=1", "rc=1", "rc=1"], res.stdout  # `ls -A small`: nothing left
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines == [
        "error: cannot write small/x: no space left on the device",
        "error: cannot write ro/x: read-only file system",
        "error: cannot write ro/n: read-only file system",
    ], res.stderr


@pytest.fixture(scope="module")
def odd_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The browser tests' region with devices named as Ansible's reserved hosts and a username that is a
    Jinja template."""
    text = (REPO / "tests" / "web" / "inventory" / "region.yaml").read_text(encoding="utf-8")
    text = text.replace("centre-core1", "all").replace("centre-core2", "localhost")
    text = text.replace("kashgar-ce1", "ungrouped")
    text = text.replace("{id: codec, username: admin,", '{id: codec, username: "' + TEMPLATE + '",')
    target = tmp_path_factory.mktemp("odd") / "inventory"
    target.mkdir()
    (target / "region.yaml").write_text(text, encoding="utf-8")
    return target


def codec_id(inv: Inventory) -> str:
    return next(d.id for d in inv.devices.values() if d.credential == "codec")


def test_ansible_export_renames_reserved_hosts_and_never_templates_inventory_text(
    odd_inventory: Path, tmp_path: Path
) -> None:
    from netops.inventory.loader import load_inventory

    inv = load_inventory(odd_inventory)
    out = tmp_path / "hosts.yaml"
    res = runner.invoke(export_app, ["ansible", str(out), "--inventory", str(odd_inventory)])
    assert res.exit_code == 0, res.output
    assert "!unsafe '" + TEMPLATE.replace("'", "''") + "'" in out.read_text(encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update({"HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "t"), "ANSIBLE_NOCOLOR": "1"})
    listed = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(out), "--list"],
        capture_output=True, text=True, env=env, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert listed.returncode == 0 and "WARNING" not in listed.stderr, listed.stderr
    hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
    # ansible-inventory shows an !unsafe value as {"__ansible_unsafe": text}: the text, literally
    assert hostvars[codec_id(inv)]["ansible_user"] == {"__ansible_unsafe": TEMPLATE}
    expected = {("netops_" + d if d in ("all", "localhost", "ungrouped") else d) for d in inv.devices}
    assert set(hostvars) == expected
    assert {hostvars[h]["netops_id"]["__ansible_unsafe"] for h in hostvars} == set(inv.devices)
    codec = codec_id(inv)
    # evaluated by a play (debug templates its argument): the text comes out literally, nothing runs
    debug = subprocess.run(
        [str(BIN / "ansible"), "-i", str(out), codec, "-m", "ansible.builtin.debug", "-a", "var=ansible_user"],
        capture_output=True, text=True, env=env, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert debug.returncode == 0, debug.stdout + debug.stderr
    assert TEMPLATE in debug.stdout and str(tmp_path) + "x" not in debug.stdout, debug.stdout
    assert not (tmp_path / "PWNED").exists()


def test_nornir_fill_passwords_reads_the_secrets_file_or_names_the_variable(
    odd_inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nornir.plugins.inventory.simple import SimpleInventory

    from netops.errors import SecretError
    from netops.interop.nornir import fill_passwords
    from netops.secrets import SecretStore

    out = tmp_path / "nornir"
    res = runner.invoke(export_app, ["nornir", str(out), "--inventory", str(odd_inventory)])
    assert res.exit_code == 0, res.output
    for var in ("NETOPS_SECRET_WEB_CLI_PASSWORD", "NETOPS_SECRET_WEB_CODEC_PASSWORD"):
        monkeypatch.delenv(var, raising=False)

    def load() -> object:
        return SimpleInventory(
            host_file=str(out / "hosts.yaml"), group_file=str(out / "groups.yaml"),
            defaults_file=str(out / "defaults.yaml"),
        ).load()  # fmt: skip

    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(yaml.safe_dump({"web-cli-password": "from-the-file"}), encoding="utf-8")
    secrets.chmod(0o600)
    loaded = load()
    with pytest.raises(SecretError, match="NETOPS_SECRET_WEB_CODEC_PASSWORD") as exc:
        fill_passwords(loaded, SecretStore(secrets))
    assert str(secrets) in str(exc.value) and "NETOPS_SECRET_WEB_CLI_PASSWORD" not in str(exc.value)

    monkeypatch.setenv("NETOPS_SECRET_WEB_CODEC_PASSWORD", "from-the-env")
    loaded = load()
    filled = fill_passwords(loaded, SecretStore(secrets))
    hosts = loaded.hosts  # type: ignore[attr-defined]
    assert sorted(filled) == sorted(h for h in hosts if hosts[h].data.get("password_env"))
    assert hosts["ungrouped"].password == "from-the-file"
    codec = next(h for h in hosts if hosts[h].data.get("password_secret") == "web-codec-password")
    assert hosts[codec].password == "from-the-env"


def test_demo_refuses_a_taken_port_before_printing_anything(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        res = _netops(
            "demo", "--port", str(port), "--inventory", str(REPO / "tests" / "web" / "inventory"),
            "--state-dir", str(tmp_path / "state"), cwd=tmp_path,
        )  # fmt: skip
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout == ""  # no banner, no board link to the other service
    assert f"port {port} on 127.0.0.1 is not free" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "state").exists()  # the lab was not started
