"""H3C Comware 7: VRP-like views, immediate apply, ``configuration commit delay`` and ``save force``.

Part of ``netops.lab.cli``. Lines apply at once. ``configuration commit delay <minutes>`` (system view)
starts a timer: unless ``configuration commit`` is entered before it ends, the running configuration goes
back to what it was when the delay was started. A lab "minute" lasts ``CliSettings.minute_seconds``.
Errors read `` % Unrecognized command found at '^' position.``; ``save force`` saves without questions.
"""

from __future__ import annotations

from ipaddress import IPv4Interface

from netops.inventory.models import Inventory
from netops.lab.cli.config import ConfigNode
from netops.lab.cli.displays import arp, bgp_age, bgp_rows, lldp_neighbours, routes
from netops.lab.cli.engine import GENERIC, Command, Rule, Session
from netops.lab.cli.facts import InterfaceNames, identity, interface_rows, ospf_peers, uptime_text
from netops.lab.cli.huawei import HuaweiDialect
from netops.lab.state import DeviceState, mac_text

NAMES = InterfaceNames(
    full=(
        "GigabitEthernet",
        "Ten-GigabitEthernet",
        "LoopBack",
        "Vlan-interface",
        "Route-Aggregation",
        "M-GigabitEthernet",
        "NULL",
        "Tunnel",
    ),
    abbrev={
        "GE": "GigabitEthernet",
        "XGE": "Ten-GigabitEthernet",
        "Loop": "LoopBack",
        "Vlan-int": "Vlan-interface",
        "RAGG": "Route-Aggregation",
        "MGE": "M-GigabitEthernet",
    },
    short={
        "GigabitEthernet": "GE",
        "Ten-GigabitEthernet": "XGE",
        "LoopBack": "Loop",
        "Vlan-interface": "Vlan",
        "M-GigabitEthernet": "MGE",
    },
)
_ICMP_TYPES = (
    "Echo reply",
    "Unreachable",
    "Source quench",
    "Routing redirect",
    "Echo request",
    "Router advert",
    "Router solicit",
    "Time exceed",
    "IP header bad",
    "Timestamp request",
    "Timestamp reply",
    "Information request",
    "Information reply",
    "Netmask request",
    "Netmask reply",
    "Unknown type",
)
SAVED = "Validating file. Please wait...\nSaved the current configuration to mainboard device successfully.\n"


class Comware7Dialect(HuaweiDialect):
    name = "h3c_comware7"
    names = NAMES
    error_prefix = " % "
    rejected_text = " % The command was rejected by the system."
    system_view_text = "System View: return to User View with Ctrl+Z."

    def __init__(self) -> None:
        super().__init__()
        system = [r for r in self.grammar["system"] if r.keyword != "local-user"]
        system += [Rule("local-user", r".+", opens=GENERIC), Rule("line", r".+", opens=GENERIC)]
        self.grammar["system"] = system

    def build_commands(self) -> list[Command]:
        own = [
            Command(("save", "force"), self.cmd_save_force, "any"),
            Command(("configuration", "commit", "delay"), self.cmd_commit_delay, "config", r"\d+"),
            Command(("configuration", "commit"), self.cmd_commit, "config"),
            Command(("display", "memory"), self.cmd_memory, "any"),
            Command(("display", "device", "manuinfo"), self.cmd_manuinfo, "any"),
            Command(("display", "lldp", "neighbor-information"), self.cmd_lldp_list, "any", r"(list)?"),
        ]
        inherited = [c for c in super().build_commands() if c.words != ("display", "memory-usage")]
        return own + inherited

    def banner(self, s: Session) -> str:
        return (
            "*" * 78 + "\n"
            "* Copyright (c) 2004-2017 New H3C Technologies Co., Ltd. All rights reserved.*\n"
            "* Without the owner's prior written consent,                                 *\n"
            "* no decompiling or reverse-engineering shall be allowed.                    *\n"
            + "*" * 78
            + "\n"
        )

    def cmd_screen_length(self, s: Session, rest: str) -> str:
        return ""

    # transactions ------------------------------------------------------------------------------------
    def cmd_commit_delay(self, s: Session, rest: str) -> str:
        minutes = int(rest)
        if not 1 <= minutes <= 65535:
            return " % Wrong parameter found at '^' position.\n"
        s.store.arm("commit-delay", s.store.running, minutes * s.settings.minute_seconds)
        return ""

    def cmd_commit(self, s: Session, rest: str) -> str:
        s.store.confirm()
        return ""

    def cmd_save_force(self, s: Session, rest: str) -> str:
        s.store.save()
        return SAVED

    def cmd_save(self, s: Session, rest: str) -> str:
        def overwrite(text: str) -> str:
            if text.lower().startswith("y"):
                s.store.save()
                return SAVED
            return ""

        def filename(text: str) -> str:
            return s.ask("flash:/startup.cfg exists, overwrite? [Y/N]:", overwrite)

        def sure(text: str) -> str:
            if not text.lower().startswith("y"):
                return ""
            return s.ask(
                "Please input the file name(*.cfg)[flash:/startup.cfg]\n"
                "(To leave the existing filename unchanged, press the enter key):",
                filename,
            )

        return s.ask("The current configuration will be written to the device. Are you sure? [Y/N]:", sure)

    # texts -------------------------------------------------------------------------------------------
    def initial_config(self, state: DeviceState, inventory: Inventory) -> ConfigNode:
        root = super().initial_config(state, inventory)
        if any(n.line.startswith("ntp-service unicast-server") for n in root.children):
            root.children.append(ConfigNode("ntp-service enable"))
        return root

    def header(self, s: Session) -> list[str]:
        ident = identity(s.state)
        return ["#", f" version {ident.version}, {ident.release}"]

    def top_line(self, line: str) -> str:
        return " " + line

    def cmd_version(self, s: Session, rest: str) -> str:
        ident = identity(s.state)
        return (
            f"H3C Comware Software, Version {ident.version}, {ident.release}\n"
            "Copyright (c) 2004-2020 New H3C Technologies Co., Ltd. All rights reserved.\n"
            f"H3C {ident.model} uptime is {uptime_text(s.state, weeks=True)}\n"
            "Last reboot reason : Cold reboot\n"
        )

    def cmd_manuinfo(self, s: Session, rest: str) -> str:
        """``display device manuinfo`` (ntc-templates' Comware captures): the serial SNMP's ENTITY-MIB has."""
        ident = identity(s.state)
        return (
            "Slot 0 CPU 0:\n"
            f"DEVICE_NAME          : {ident.model}\n"
            f"DEVICE_SERIAL_NUMBER : {ident.serial}\n"
            f"MAC_ADDRESS          : {ident.mac.upper()}\n"
            "MANUFACTURING_DATE   : 2019-06-10\n"
            "VENDOR_NAME          : H3C\n"
        )

    def cmd_ip_interface_brief(self, s: Session, rest: str) -> str:
        """``display ip interface brief`` as Comware 7.1.064 Release 0821P16 prints it (MSR36 captures in
        public lab notes): ``IP address/Mask`` and ``VPN instance`` columns, short names, loopbacks ``up(s)``,
        ``--`` for what is not set (older releases lack the mask and VPN columns; ntc-templates has no template
        and its index sends this command to the ``display ip interface`` one, which cannot read a table)."""
        lines = [
            "*down: administratively down",
            "(s): spoofing  (l): loopback",
            f"{'Interface':<20}{'Physical':<9}{'Protocol':<9}{'IP address/Mask':<19}{'VPN instance':<13}"
            "Description",
        ]
        for r, d in zip(
            interface_rows(s.state, s.store.running, self.names), self._details(s, ""), strict=True
        ):
            phy = "up" if r.oper_up else ("*down" if not r.admin_up else "down")
            loop = r.name.lower().startswith(("loopback", "null"))
            proto = ("up(s)" if loop else "up") if r.oper_up else "down"
            ip = f"{r.ip}/{d.prefixlen}" if r.ip and d.prefixlen is not None else "--"
            desc = r.description or "--"
            desc = desc if len(desc) <= 12 else desc[:9] + "..."
            lines.append(f"{self.names.shorten(r.name):<20}{phy:<9}{proto:<9}{ip:<19}{'--':<13}{desc}")
        return "\n".join(lines) + "\n"

    def cmd_ip_interface(self, s: Session, rest: str) -> str:
        """``display ip interface [name]`` in Comware's layout (ntc-templates' ``hp_comware`` captures and
        template): ``current state: UP``, ``Internet Address is A/N Primary``, ``Broadcast address:``, the MTU,
        packet counters and the ICMP table; an interface without an address prints only its two states."""
        details = self._details(s, rest)
        if rest and not details:
            return f"{self.error_prefix}Wrong parameter found at '^' position.\n"
        out: list[str] = []
        for d in details:
            r = d.row
            loop = r.name.lower().startswith(("loopback", "null"))
            state_text = "UP" if r.oper_up else ("Administratively DOWN" if not r.admin_up else "DOWN")
            proto = ("UP(spoofing)" if loop else "UP") if r.oper_up else "DOWN"
            out += [f"{r.name} current state: {state_text}", f"Line protocol current state: {proto}"]
            if d.prefixlen is None or r.ip is None:
                out.append("")
                continue
            net = IPv4Interface(f"{r.ip}/{d.prefixlen}").network
            out += [
                f"Internet Address is {r.ip}/{d.prefixlen} Primary",
                f"Broadcast address: {net.broadcast_address}",
                "The Maximum Transmit Unit: 1500 bytes",
                f"input packets : {d.in_packets}, bytes : {d.in_octets}, multicasts : 0",
                f"output packets : {d.out_packets}, bytes : {d.out_octets}, multicasts : 0",
                f"{'TTL invalid packet number:':<26}{0:>10}",
                f"{'ICMP packet input number:':<26}{0:>10}",
            ]
            out += [f"  {k + ':':<24}{0:>10}" for k in _ICMP_TYPES]
            out.append("")
        return "\n".join(out) + "\n"

    def cmd_interface(self, s: Session, rest: str) -> str:
        """Comware 7's ``display interface [name]`` (ntc-templates' Comware captures), not VRP's layout."""
        details = self._details(s, rest)
        if rest and not details:
            return f"{self.error_prefix}Wrong parameter found at '^' position.\n"
        out: list[str] = []
        for d in details:
            r = d.row
            loop = r.name.lower().startswith(("loopback", "null"))
            state_text = "UP" if r.oper_up else ("Administratively DOWN" if not r.admin_up else "DOWN")
            proto = ("UP(spoofing)" if loop else "UP") if r.oper_up else "DOWN"
            speed = d.state.speed_mbps if d.state is not None else 1000
            out += [r.name, f"Current state: {state_text}", f"Line protocol state: {proto}"]
            if r.description:
                out.append(f"Description: {r.description}")
            out += [f"Bandwidth: {speed * 1000} kbps", "Maximum transmission unit: 1500"]
            if d.prefixlen is not None:
                out.append(f"Internet address: {r.ip}/{d.prefixlen} (Primary)")
            else:
                out.append("Internet protocol processing: Disabled")
            if not loop:
                mac = mac_text(d.mac)
                out += [
                    f"IP packet frame type: Ethernet II, hardware address: {mac}",
                    f"IPv6 packet frame type: Ethernet II, hardware address: {mac}",
                    "Loopback is not set",
                    "Media type is twisted pair, port hardware type is 1000_BASE_T",
                    f"{speed}Mbps-speed mode, full-duplex mode",
                    "Link speed type is autonegotiation, link duplex type is autonegotiation",
                    "Flow-control is not enabled",
                ]
            out += [
                "Last clearing of counters: Never",
                f"Last 300 seconds input rate: {d.rate_in_bps // 8} bytes/sec, {d.rate_in_bps} bits/sec, "
                f"{d.rate_in_bps // 5600} packets/sec",
                f"Last 300 seconds output rate: {d.rate_out_bps // 8} bytes/sec, {d.rate_out_bps} bits/sec, "
                f"{d.rate_out_bps // 5600} packets/sec",
                f"Input: {d.in_packets} packets, {d.in_octets} bytes, 0 drops",
                f"Output: {d.out_packets} packets, {d.out_octets} bytes, 0 drops",
                "",
            ]
        return "\n".join(out) + "\n"

    def cmd_lldp_list(self, s: Session, rest: str) -> str:
        """``display lldp neighbor-information list`` (ntc-templates' Comware capture)."""
        nbrs = lldp_neighbours(s.world, s.state) if s.world is not None else []
        lines = [
            "Chassis ID : * -- -- Nearest nontpmr bridge neighbor",
            "             # -- -- Nearest customer bridge neighbor",
            "             Default -- -- Nearest bridge neighbor",
            f"{'System Name':<21}{'Local Interface':<16}{'Chassis ID':<16}Port ID",
        ]
        for n in nbrs:
            local = self.names.shorten(self.names.canonical(n.local))
            lines.append(f"{n.system_name[:20]:<21}{local:<16}{n.chassis_mac:<16}{n.port}")
        return "\n".join(lines) + "\n"

    def cmd_lldp(self, s: Session, rest: str) -> str:
        return self.cmd_lldp_list(s, "list")

    def cmd_routing_table(self, s: Session, rest: str) -> str:
        """``display ip routing-table`` in Comware 7's layout (ntc-templates' capture)."""
        table = routes(s.world, s.state) if s.world is not None else []
        lines = [
            "",
            f"Destinations : {len(table):<9} Routes : {len(table)}",
            "",
            f"{'Destination/Mask':<20}{'Proto':<8}{'Pre':<5}{'Cost':<13}{'NextHop':<16}Interface",
        ]
        rows = interface_rows(s.state, s.store.running, self.names)
        for r in table:
            itf = self.names.shorten(self.names.canonical(r.interface))
            if r.protocol == "ospf":
                proto, pre, cost, hop = "O_INTRA", 10, r.cost, r.next_hop or ""
            else:
                own = next((x for x in rows if self.names.same(x.name, r.interface)), None)
                proto, pre, cost = "Direct", 0, 0
                hop = "127.0.0.1" if r.protocol == "local" or own is None or own.ip is None else own.ip
                itf = "InLoop0" if r.protocol == "local" else itf
            lines.append(f"{r.network!s:<20}{proto:<8}{pre:<5}{cost:<13}{hop:<16}{itf}")
        return "\n".join(lines) + "\n"

    def cmd_arp(self, s: Session, rest: str) -> str:
        """``display arp`` in Comware's layout (ntc-templates' capture): only learnt entries, no own ones."""
        entries = [e for e in (arp(s.world, s.state) if s.world is not None else []) if not e.own]
        lines = [
            "  Type: S-Static   D-Dynamic   O-Openflow   R-Rule   M-Multiport  I-Invalid",
            "IP address      MAC address    VLAN     Interface                Aging Type",
        ]
        for e in entries:
            itf = self.names.shorten(self.names.canonical(e.interface))
            lines.append(f"{e.ip:<16}{mac_text(e.mac):<15}{'N/A':<9}{itf:<25}{16:<6}D")
        return "\n".join(lines) + "\n"

    def cmd_interface_brief(self, s: Session, rest: str) -> str:
        lines = [
            "Brief information on interfaces in route mode:",
            "Link: ADM - administratively down; Stby - standby",
            "Protocol: (s) - spoofing",
            f"{'Interface':<21}{'Link':<5}{'Protocol':<9}{'Primary IP':<16}Description",
        ]
        for r in interface_rows(s.state, s.store.running, self.names):
            link = "UP" if r.oper_up else ("ADM" if not r.admin_up else "DOWN")
            proto = "DOWN"
            if r.oper_up:  # loopbacks and NULL0 are spoofing, as on a real device
                proto = "UP(s)" if r.name.lower().startswith(("loopback", "null", "inloopback")) else "UP"
            ip = r.ip or "--"
            lines.append(
                f"{self.names.shorten(r.name):<20} {link:<4} {proto:<8} {ip:<15} {r.description}".rstrip()
            )
        return "\n".join(lines) + "\n"

    def cmd_bgp_peer(self, s: Session, rest: str) -> str:
        """``display bgp peer ipv4`` in Comware 7's layout (ntc-templates' ``hp_comware`` captures)."""
        asn = s.state.config.bgp_asn if s.state.config is not None else None
        if asn is None:
            return ""
        rows = bgp_rows(s.world, s.state)
        lines = [
            "",
            f" BGP local router ID: {s.state.device.address}",
            f" Local AS number: {asn}",
            f" Total number of peers: {len(rows):<18}Peers in established state: {sum(r.peer.up for r in rows)}",
            "",
            "  * - Dynamically created peer",
            f"  {'Peer':<20}{'AS':>6}{'MsgRcvd':>9}{'MsgSent':>9} OutQ PrefRcv Up/Down  State",
            "",
        ]
        for r in rows:
            state = "Established" if r.peer.up else "Active"
            lines.append(
                f"  {r.peer.address:<15}{r.peer.remote_as:>11}{r.received:>9}{r.sent:>9}{0:>5}{r.prefixes:>8} "
                f"{bgp_age(r.age_s, 'comware')} {state}"
            )
        return "\n".join(lines) + "\n"

    def cmd_ospf_peer(self, s: Session, rest: str) -> str:
        lines = [
            "",
            f"         OSPF Process 1 with Router ID {s.state.device.address}",
            "               Neighbor Brief Information",
            "",
            " Area: 0.0.0.0",
            f" {'Router ID':<16}{'Address':<16}{'Pri':<4}{'Dead-Time':<11}{'State':<18}Interface",
        ]
        for p in ospf_peers(s.state, s.inventory, self.names):
            lines.append(
                f" {p.router_id:<16}{p.address:<16}{'1':<4}{'37':<11}{'Full/DR':<18}"
                f"{self.names.shorten(p.interface)}"
            )
        return "\n".join(lines) + "\n"

    def cmd_cpu(self, s: Session, rest: str) -> str:
        cpu = round(s.state.cpu_percent)
        return (
            "Slot 0 CPU 0 CPU usage:\n"
            f"      {cpu}% in last 5 seconds\n"
            f"      {cpu}% in last 1 minute\n"
            f"      {cpu}% in last 5 minutes\n"
        )

    def cmd_memory(self, s: Session, rest: str) -> str:
        total = 1003892
        used = int(total * s.state.memory_percent / 100)
        free = total - used
        return (
            "Memory statistics are measured in KB:\n"
            "Slot 0:\n"
            f"{'':<8}{'Total':>10}{'Used':>10}{'Free':>10}{'Shared':>10}{'Buffers':>10}{'Cached':>10}"
            f"{'FreeRatio':>12}\n"
            f"{'Mem:':<8}{total:>10}{used:>10}{free:>10}{0:>10}{1024:>10}{65536:>10}"
            f"{free / total * 100:>11.1f}%\n"
            f"{'Swap:':<8}{0:>10}{0:>10}{0:>10}\n"
        )
