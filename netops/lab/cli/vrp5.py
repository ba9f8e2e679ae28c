"""Huawei VRP5 (AR routers, S switches): configuration applies at once, ``save`` asks [Y/N].

Part of ``netops.lab.cli``. No candidate and no commit: every accepted line changes the running
configuration immediately; rollback is the operator's job (inverse ``undo`` lines or a re-applied snapshot).
``save`` asks ``Are you sure to continue?[Y/N]:`` exactly as netmiko's ``HuaweiSSH.save_config`` expects.
"""

from __future__ import annotations

from netops.lab.cli.engine import Session
from netops.lab.cli.facts import identity
from netops.lab.cli.huawei import HuaweiDialect


class Vrp5Dialect(HuaweiDialect):
    name = "huawei_vrp5"
    system_view_text = "Enter system view, return user view with Ctrl+Z."
    vendor_model = "Huawei AR2220 Router"
    save_question = (
        "Warning: The current configuration will be written to the device. Are you sure to continue?[Y/N]:"
    )
    save_done_text = (
        "It will take several minutes to save configuration file, please wait.......\n"
        "Configuration file had been saved successfully\n"
        "Note: The configuration file will take effect after being activated\n"
    )

    def header(self, s: Session) -> list[str]:
        return [f"!Software Version {identity(s.state).release}"]

    copyright_text = "Copyright (C) 2011-2018 HUAWEI TECH CO., LTD"

    def model_line(self, model: str) -> str:
        return f"Huawei {model} Router"  # as AR routers print it (ntc-templates' VRP5 captures)
