"""The wheel as a user installs it: built from the repository, installed into a fresh venv outside it, then
``netops --version``, ``netops init``, ``netops inventory validate`` and ``netops runbook list`` in the init'ed
folder, and the systemd units verified against the installed ``netops`` (``systemd-analyze verify``).

The build runs offline with the test venv's setuptools (``--no-build-isolation``): the tests run in a network
namespace of their own, where an isolated build would wait on the package index.

One build and one install (a module-scoped fixture; the checks are one test so that two xdist workers never
build the wheel twice). The venv borrows the test venv's site-packages for
netops' dependencies (a ``.pth`` line: ``--no-deps``, offline and fast); netops itself comes from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import netops
from tests.conftest import REPO

# what the build reads: the package, its build hook and the starter folders it copies
SOURCES = ("pyproject.toml", "README.md", "netops", "deploy", "inventory", "playbooks", "exporters")
UNITS = ("netops.service", "netops-lab.service")
INSTALLED = "/opt/netops/venv/bin/netops"  # where the units expect netops (docs/deploy.md)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    netops: Path
    home: Path  # a folder outside the repository to run commands in

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
        env.update({"COLUMNS": "200", "NO_COLOR": "1", "HOME": str(self.home)})
        return subprocess.run(
            [str(self.netops), *args], capture_output=True, text=True, cwd=cwd or self.home, env=env,
            timeout=120, check=False,
        )  # fmt: skip


def _copy_sources(target: Path) -> None:
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".*")
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=skip)
        else:
            shutil.copy2(src, target / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    src, dist, venv, home = root / "src", root / "dist", root / "venv", root / "home"
    src.mkdir()
    _copy_sources(src)
    home.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(src)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("netops-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    target_python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(target_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    # netops' dependencies from the test venv (after the new venv's own site-packages on sys.path)
    Path(purelib, "deps-from-test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [*pip, "--python", str(target_python), "install", "--no-deps", "--no-compile", "-q", str(wheel)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    return Installed(wheel, venv, venv / "bin" / "netops", home)


def _carries_the_starter_material(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for folder in ("inventory", "playbooks", "exporters"):
        shipped = {
            str(p.relative_to(REPO))
            for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert shipped, folder
        assert {f"netops/starter/{name}" for name in shipped} <= names, folder


def _runs_the_wheel_not_the_repository(installed: Installed) -> None:
    where = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import netops; print(netops.__file__)"],
        capture_output=True, text=True, check=True, timeout=60, cwd=installed.home,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(installed.venv), where
    version = installed.run("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"netops {netops.__version__}"
    module = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-m", "netops", "--version"],
        capture_output=True, text=True, timeout=60, cwd=installed.home, check=False,
    )  # fmt: skip
    assert module.stdout.strip() == f"netops {netops.__version__}", module.stderr


def _init_validate_and_list_runbooks(installed: Installed) -> None:
    site = installed.home / "noc"
    init = installed.run("init", str(site))
    assert init.returncode == 0, init.stderr
    for folder in ("inventory", "playbooks", "exporters"):
        assert (site / folder).is_dir(), folder
    assert (site / "inventory" / "templates").is_dir()
    assert (site / "exporters" / "prometheus" / "rules" / "netops-alerts.yml").is_file()

    validate = installed.run("inventory", "validate", "--json", cwd=site)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    shipped = subprocess.run(
        [sys.executable, "-m", "netops", "inventory", "validate", "--json", str(REPO / "inventory")],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    import json

    got, want = json.loads(validate.stdout), json.loads(shipped.stdout)
    for key in ("sites", "devices", "links", "rooms", "devices_by_platform"):
        assert got[key] == want[key], key

    runbooks = installed.run("runbook", "list", "--json", cwd=site)
    assert runbooks.returncode == 0, runbooks.stderr
    ids = {row["id"] for row in json.loads(runbooks.stdout)}
    assert ids == {p.stem for p in (REPO / "playbooks").glob("*.yaml")}

    again = installed.run("init", str(site))
    assert again.returncode == 1 and "already exist" in again.stderr
    assert installed.run("init", str(site), "--force").returncode == 0


def _systemd_units_verify(installed: Installed, tmp_path: Path) -> None:
    """``systemd-analyze verify`` exits 0 even on a unit it cannot parse: any message at all is a failure.
    The units name /opt/netops/venv/bin/netops; here it is this venv's (verify checks the executable)."""
    for name in UNITS:
        text = (REPO / "deploy" / name).read_text(encoding="utf-8")
        assert INSTALLED in text, name
        (tmp_path / name).write_text(text.replace(INSTALLED, str(installed.netops)), encoding="utf-8")
    units = [str(tmp_path / name) for name in UNITS]
    res = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0 and not res.stdout.strip() and not res.stderr.strip(), res.stdout + res.stderr
    # the check sees a mistake: a misspelt setting is reported
    broken = tmp_path / "broken.service"
    broken.write_text((tmp_path / UNITS[0]).read_text().replace("Type=exec", "Type=exek"), encoding="utf-8")
    res = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "exek" in res.stdout + res.stderr


def test_wheel_installs_and_works_outside_the_repository(installed: Installed, tmp_path: Path) -> None:
    _carries_the_starter_material(installed)
    _runs_the_wheel_not_the_repository(installed)
    _init_validate_and_list_runbooks(installed)
    assert shutil.which("systemd-analyze"), (
        "systemd-analyze missing: scripts/install-system-deps.sh installs systemd"
    )
    _systemd_units_verify(installed, tmp_path)
