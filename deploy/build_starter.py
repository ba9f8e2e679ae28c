"""Build hook: the wheel carries the starter material (``netops init``) from the repository's own folders.

``inventory/`` (the lab region and its templates), ``playbooks/`` and ``exporters/`` stay where they are, the
one copy in the repository; ``build_py`` copies them into ``netops/starter/`` of the build, so the wheel holds
them and ``netops init DIR`` can write them out wherever netops is installed. An editable install copies
nothing: there ``netops init`` reads the repository's folders directly (``netops.cli.init.starter_root``).

Wired in ``pyproject.toml``: ``[tool.setuptools.cmdclass] build_py = "deploy.build_starter.BuildPy"``;
``MANIFEST.in`` puts this file and the three folders into the sdist, so a wheel built from it (``python -m build``)
carries them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("inventory", "playbooks", "exporters")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "netops" / "starter"
        shutil.rmtree(target, ignore_errors=True)
        for name in FOLDERS:
            source = ROOT / name
            if not source.is_dir():
                raise FileNotFoundError(f"starter material: no folder {source}")
            shutil.copytree(source, target / name, ignore=SKIP)
