"""The lab's SNMP agents: v2c and v3 (USM authPriv) on every device's 127.x address, answering from the live
``LabWorld`` state with a hand-written BER codec (see ``docs/lab-snmp.md``).

Layers, bottom up: ``ber`` (BER primitives) -> ``message`` (PDUs, v2c/v3 messages) -> ``usm`` (keys, HMAC,
AES-CFB) -> ``platforms`` + ``device_view`` + ``mib`` (what a device serves) -> ``operations`` (GET, GETNEXT,
GETBULK) -> ``agent`` (one device's engine) -> ``server`` (UDP endpoints, ``start_snmp``).
"""

from netops.lab.snmp.agent import Agent
from netops.lab.snmp.server import SnmpLab, start_snmp

__all__ = ["Agent", "SnmpLab", "start_snmp"]
