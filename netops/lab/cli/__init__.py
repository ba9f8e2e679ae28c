"""The lab's simulated SSH CLIs: Huawei VRP8/VRP5, H3C Comware 7 and Cisco IOS, good enough for netmiko.

``start_ssh(world, secrets)`` listens on every CLI device's 127.x address and SSH port and returns an
``SshLab`` (``close()``, ``logins``, ``minute_seconds``). Modules: ``server`` (listeners, login), ``shell``
(echo, lines, prompt), ``engine`` (modes, dispatch, configuration lines), ``grammar`` (accepted lines per
view), ``config`` (the configuration tree), ``store`` (running/saved configuration, commit points, revert
timers), ``facts`` (what devices report), one module per dialect (``huawei`` shared by ``vrp8``/``vrp5``/
``comware7``, and ``ios``). See docs/lab-cli.md.
"""

from netops.lab.cli.engine import CliSettings
from netops.lab.cli.server import SshLab, start_ssh
from netops.lab.cli.store import DeviceConfig

__all__ = ["CliSettings", "DeviceConfig", "SshLab", "start_ssh"]
