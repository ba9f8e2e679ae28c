"""The Huawei VRP family dialect (shared by VRP8 and VRP5, and the base of H3C Comware 7).

Part of ``netops.lab.cli``: grammar of configuration lines, prompts (``<name>``, ``[name]``,
``[name-GigabitEthernet0/0/1]``, ``[name-ospf-1-area-0.0.0.0]``), errors with the caret line, the display
commands and the first running configuration generated from the inventory. ``vrp8.py``/``vrp5.py`` add the
transaction commands; ``comware7.py`` changes wording and output formats.
"""

from __future__ import annotations

import time
from ipaddress import IPv4Interface

from netops.inventory.models import Inventory
from netops.lab.cli.config import ConfigNode
from netops.lab.cli.displays import (
    InterfaceDetail,
    arp,
    bgp_age,
    bgp_rows,
    interface_details,
    lldp_neighbours,
    routes,
)
from netops.lab.cli.engine import Command, Dialect, Frame, Session, caret
from netops.lab.cli.facts import (
    InterfaceNames,
    PeerRow,
    boot_facts,
    identity,
    interface_rows,
    ospf_peers,
    timestamp,
    uptime_text,
)
from netops.lab.cli.grammar import huawei_grammar
from netops.lab.snmp.platforms import product
from netops.lab.state import DeviceState, mac_text

NAMES = InterfaceNames(
    full=(
        "GigabitEthernet",
        "XGigabitEthernet",
        "Ethernet",
        "Eth-Trunk",
        "LoopBack",
        "Vlanif",
        "NULL",
        "Tunnel",
        "MEth",
    ),
    abbrev={
        "GE": "GigabitEthernet",
        "XGE": "XGigabitEthernet",
        "Eth": "Ethernet",
        "Loop": "LoopBack",
        "Lo": "LoopBack",
    },
    short={"GigabitEthernet": "GE", "XGigabitEthernet": "XGE", "LoopBack": "Loop"},
)


def uptime_clock(state: DeviceState) -> str:
    """``hh:mm:ss`` since the device started (VRP's ``Neighbor is up for``)."""
    hours, rest = divmod(int(state.uptime_s()), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


class HuaweiDialect(Dialect):
    """VRP: ``undo`` negates, ``system-view``/``quit``/``return`` move between views, ``#`` separates."""

    undo_word = "undo"
    names = NAMES
    key_patterns = (
        r"sysname(?= |$)",
        r"description(?= |$)",
        r"ip address(?=( \S+ \S+)?$)",
        r"mtu(?= |$)",
        r"ospf \d+(?= |$)",
        r"ospf (cost|network-type|timer hello|timer dead)(?= |$)",
        r"bgp \d+",
        r"area \S+",
        r"snmp-agent sys-info (location|contact)",
        r"router-id(?= |$)",
    )
    error_prefix = "Error: "
    unknown_text = "Unrecognized command found at '^' position."
    incomplete_text = "Incomplete command found at '^' position."
    rejected_text = "Error: The command is rejected by the system."
    system_view_text = "Enter system view, return user view with return command."
    software = "Huawei Versatile Routing Platform Software"
    vendor_model = "HUAWEI NE40E-X8A"

    def __init__(self) -> None:
        self.grammar = huawei_grammar(self.canon_interface)
        super().__init__()
        self.commands = self.build_commands()

    def canon_interface(self, body: str) -> str:
        return "interface " + self.names.canonical(body.split(None, 1)[1])

    # commands ----------------------------------------------------------------------------------------
    def build_commands(self) -> list[Command]:
        return [
            Command(("system-view",), self.cmd_system_view, "exec"),
            Command(("screen-length",), self.cmd_screen_length, "exec", r"\d+( temporary)?|disable"),
            Command(("screen-width",), self.cmd_ok, "exec", r"\d+.*"),
            Command(("quit",), self.cmd_quit, "any"),
            Command(("return",), self.cmd_return, "config"),
            Command(("save",), self.cmd_save, "any", r"(\S+)?"),
            Command(("display", "version"), self.cmd_version, "any"),
            Command(("display", "device"), self.cmd_device, "any"),
            Command(("display", "esn"), self.cmd_esn, "any"),
            Command(("display", "interface", "brief"), self.cmd_interface_brief, "any"),
            Command(("display", "interface"), self.cmd_interface, "any", r"(\S+( \S+)?)?"),
            Command(("display", "ip", "interface", "brief"), self.cmd_ip_interface_brief, "any"),
            Command(("display", "ip", "interface"), self.cmd_ip_interface, "any", r"(\S+)?"),
            Command(("display", "lldp", "neighbor"), self.cmd_lldp, "any", r"(brief)?"),
            Command(("display", "ip", "routing-table"), self.cmd_routing_table, "any"),
            Command(("display", "arp"), self.cmd_arp, "any", r"(all|brief)?"),
            Command(("display", "ospf", "peer"), self.cmd_ospf_peer, "any", r"(brief)?"),
            Command(("display", "bgp", "peer"), self.cmd_bgp_peer, "any", r"(ipv4( unicast)?)?"),
            Command(("display", "cpu-usage"), self.cmd_cpu, "any"),
            Command(("display", "memory-usage"), self.cmd_memory, "any"),
            Command(
                ("display", "current-configuration"),
                self.cmd_current,
                "any",
                r"((interface|configuration) \S+)?",
            ),
            Command(("display", "saved-configuration"), self.cmd_saved, "any"),
            Command(("display", "this"), self.cmd_this, "config"),
            Command(("display", "clock"), self.cmd_clock, "any"),
        ]

    def cmd_ok(self, s: Session, rest: str) -> str:
        return ""

    def cmd_screen_length(self, s: Session, rest: str) -> str:
        return "Info: The configuration takes effect on the current user terminal interface only.\n"

    def cmd_system_view(self, s: Session, rest: str) -> str:
        s.frames.append(Frame("system"))
        return self.system_view_text + "\n"

    def cmd_quit(self, s: Session, rest: str) -> str:
        s.pop()
        return ""

    def cmd_return(self, s: Session, rest: str) -> str:
        s.to_exec()
        return ""

    def cmd_save(self, s: Session, rest: str) -> str:
        def answer(text: str) -> str:
            if text.lower().startswith("y"):
                s.store.save()
                return self.save_done_text
            return "Info: The configuration was not saved.\n"

        return s.ask(self.save_question, answer)

    save_question = "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
    save_done_text = (
        "Now saving the current configuration to the slot 1 .\nInfo: Save the configuration successfully.\n"
    )

    # prompts and errors ------------------------------------------------------------------------------
    def view_label(self, s: Session) -> str:
        label = ""
        for f in s.frames[2:]:
            words = f.line.split()
            if f.view == "interface":
                label = words[1]
            elif f.view == "area":
                label = f"{label}-area-{words[1]}"
            elif f.view == "bgp":
                label = "bgp"
            else:
                label = "-".join(words[:2])
        return label

    def prompt(self, s: Session) -> str:
        if not s.in_config:
            return f"<{s.name}>"
        label = self.view_label(s)
        return f"[{self.config_marker(s)}{s.name}{'-' + label if label else ''}]"

    def config_marker(self, s: Session) -> str:
        return ""

    def banner(self, s: Session) -> str:
        return (
            "Info: The max number of VTY users is 21, the number of current VTY users online is 1.\n"
            f"      The current login time is {timestamp()}.\n"
        )

    def unrecognized(self, prompt: str, line: str, pos: int) -> str:
        return f"{caret(prompt, pos)}\n{self.error_prefix}{self.unknown_text}\n"

    def incomplete(self, prompt: str, line: str, pos: int) -> str:
        return f"{caret(prompt, pos)}\n{self.error_prefix}{self.incomplete_text}\n"

    def rejected(self, line: str) -> str:
        return self.rejected_text + "\n"

    def wrong_value(self, prompt: str, line: str, pos: int, bad_mask: tuple[str, int] | None) -> str:
        return f"{caret(prompt, pos)}\n{self.error_prefix}Wrong parameter found at '^' position.\n"

    # configuration text ------------------------------------------------------------------------------
    def initial_config(self, state: DeviceState, inventory: Inventory) -> ConfigNode:
        f = boot_facts(state, inventory, self.names)
        root = ConfigNode("")
        add = root.children.append
        add(ConfigNode(f"sysname {f.hostname}"))
        networks = []
        for name, desc, ip in f.interfaces:
            node = ConfigNode(f"interface {name}")
            if desc:
                node.children.append(ConfigNode(f"description {desc}"))
            if ip is not None:
                node.children.append(ConfigNode(f"ip address {ip[0]} {ip[1]}"))
                networks.append(ConfigNode(f"network {ip[2]} {ip[3]}"))
            add(node)
        if f.routed:
            add(ConfigNode(f"ospf 1 router-id {f.router_id}", [ConfigNode("area 0.0.0.0", networks)]))
        if f.bgp_asn is not None:
            peers = [ConfigNode(f"peer {a} as-number {asn}") for a, asn in f.bgp_peers]
            family = ConfigNode(
                "ipv4-family unicast", [ConfigNode(f"peer {a} enable") for a, _ in f.bgp_peers]
            )
            add(ConfigNode(f"bgp {f.bgp_asn}", [ConfigNode(f"router-id {f.router_id}"), *peers, family]))
        if f.snmp_version is not None:
            add(ConfigNode("snmp-agent"))
            add(ConfigNode(f"snmp-agent sys-info location {f.location}"))
            add(ConfigNode(f"snmp-agent sys-info version v{f.snmp_version}"))
            if f.snmp_user:
                add(ConfigNode("snmp-agent group v3 netops privacy"))
                add(ConfigNode(f"snmp-agent usm-user v3 {f.snmp_user} group netops"))
        if f.ntp_server:
            add(ConfigNode(f"ntp-service unicast-server {f.ntp_server}"))
        return root

    def header(self, s: Session) -> list[str]:
        last = s.store.commits[-1]
        return [
            f"!Software Version {identity(s.state).release}",
            f"!Last configuration was updated at {timestamp(last.time)} by {last.user}",
        ]

    def top_line(self, line: str) -> str:
        return line

    def render(self, tree: ConfigNode, s: Session) -> str:
        out = self.header(s)
        prev_word = None
        for node in tree.children:
            word = node.line.split()[0]
            if node.children or word != prev_word:
                out.append("#")
            out.append(self.top_line(node.line) if not node.children else node.line)
            out.extend(" " * self.indent * (d + 1) + n.line for d, n in node.walk())
            prev_word = None if node.children else word
        out += ["#", "return"]
        return "\n".join(out) + "\n"

    # displays ----------------------------------------------------------------------------------------
    def cmd_current(self, s: Session, rest: str) -> str:
        """The running configuration, or one part: ``interface GE0/0/1``, ``configuration ospf``."""
        tree = s.store.running
        if rest:
            kind, name = rest.split()
            if kind == "interface":
                want = "interface " + self.names.canonical(name)
                tree = ConfigNode("", [n for n in tree.children if n.line == want])
            else:
                tree = ConfigNode("", [n for n in tree.children if n.line.split()[0] == name])
        return self.render(tree, s)

    def cmd_saved(self, s: Session, rest: str) -> str:
        return self.render(s.store.saved, s)

    def cmd_this(self, s: Session, rest: str) -> str:
        node = s.current_block()
        lines = (
            [node.line, *(" " + ln for ln in node.text_lines(self.indent))]
            if len(s.frames) > 2
            else (node.text_lines(self.indent))
        )
        return "#\n" + "\n".join(lines) + "\n#\nreturn\n"

    def cmd_clock(self, s: Session, rest: str) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S+00:00\n%A\nTime Zone(UTC) : UTC\n", time.gmtime())

    copyright_text = "Copyright (C) 2012-2018 Huawei Technologies Co., Ltd."

    def model_line(self, model: str) -> str:
        return f"HUAWEI {model}"

    def cmd_version(self, s: Session, rest: str) -> str:
        """``display version`` as ntc-templates' VRP captures print it: version and product from the device's
        identity (SNMP sysDescr says the same), the model with the ``HUAWEI`` prefix."""
        ident = identity(s.state)
        return (
            f"{self.software}\n"
            f"VRP (R) software, Version {ident.version} ({product(ident)} {ident.release})\n"
            f"{self.copyright_text}\n"
            f"{self.model_line(ident.model)} uptime is {uptime_text(s.state)}\n"
        )

    def cmd_device(self, s: Session, rest: str) -> str:
        """``display device``: the layout of ntc-templates' VRP capture; the main board carries the model."""
        ident = identity(s.state)
        rule = "-" * 91
        rows = [
            ("1", "-", f"{ident.model.replace(' ', '-')}-MPU", "Master"),
            ("PWR1", "-", "PAC-350WA", "NA"),
            ("FAN1", "-", "FAN-40SB", "NA"),
        ]
        lines = [
            f"{ident.model}'s Device status:",
            rule,
            f"{'Slot':<6}{'Card':<7}{'Type':<25}{'Online':<9}{'Power':<6}{'Register':<13}{'Alarm':<10}Primary",
            rule,
        ]
        for slot, card, pid, primary in rows:
            lines.append(
                f"{slot:<6}{card:<7}{pid:<25}{'Present':<9}{'On':<6}{'Registered':<13}{'Normal':<10}{primary}"
            )
        lines.append(rule)
        return "\n".join(lines) + "\n"

    def cmd_esn(self, s: Session, rest: str) -> str:
        """``display esn``: the equipment serial number (ENTITY-MIB's entPhysicalSerialNum says the same)."""
        return f" ESN of device: {identity(s.state).serial}\n"

    def _details(self, s: Session, rest: str) -> list[InterfaceDetail]:
        rows = interface_rows(s.state, s.store.running, self.names)
        if rest:
            rows = [r for r in rows if self.names.same(r.name, rest.replace(" ", ""))]
        return interface_details(s.state, rows, self.names)

    def cmd_interface(self, s: Session, rest: str) -> str:
        """``display interface [name]`` in the layout of ntc-templates' VRP captures (routed ports)."""
        details = self._details(s, rest)
        if rest and not details:
            return f"{self.error_prefix}Wrong parameter found at '^' position.\n"
        now = timestamp()
        out: list[str] = []
        for d in details:
            r = d.row
            loop = r.name.lower().startswith(("loopback", "null"))
            state_text = "UP" if r.oper_up else ("Administratively DOWN" if not r.admin_up else "DOWN")
            proto = ("UP (spoofing)" if loop else "UP") if r.oper_up else "DOWN"
            out += [f"{r.name} current state : {state_text}", f"Line protocol current state : {proto}"]
            if r.oper_up:
                out.append(
                    f"Last line protocol up time : {timestamp(d.state.last_change if d.state else None)}"
                )
            out.append(f"Description:{r.description or 'HUAWEI, ' + r.name + ' Interface'}")
            out.append(f"Route Port,The Maximum Transmit Unit is {1500}")
            if d.prefixlen is not None:
                out.append(f"Internet Address is {r.ip}/{d.prefixlen}")
            else:
                out.append("Internet protocol processing : disabled")
            if not loop:
                out.append(
                    "IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is " + mac_text(d.mac)
                )
                change = timestamp(d.state.last_change) if d.state is not None else "-"
                out += [
                    f"Last physical up time   : {change if r.oper_up else '-'}",
                    f"Last physical down time : {change if not r.oper_up else '-'}",
                    f"Current system time: {now}",
                    "Port Mode: COMMON COPPER",
                    f"Speed : {d.state.speed_mbps if d.state else 1000},  Loopback: NONE",
                    "Duplex: FULL,  Negotiation: ENABLE",
                    "Mdi   : AUTO,  Clock   : -",
                    f"Last 300 seconds input rate {d.rate_in_bps} bits/sec, {d.rate_in_bps // 5600} packets/sec",
                    f"Last 300 seconds output rate {d.rate_out_bps} bits/sec, {d.rate_out_bps // 5600} packets/sec",
                    "Input peak rate 0 bits/sec,Record time: -",
                    "Output peak rate 0 bits/sec,Record time: -",
                    "",
                    f"Input:  {d.in_packets} packets, {d.in_octets} bytes",
                    f"  Unicast:{d.in_packets:>19},  Multicast:{0:>19}",
                    f"  Broadcast:{0:>17},  Jumbo:{0:>23}",
                    f"  Discard:{0:>19},  Total Error:{d.in_errors:>17}",
                    "",
                    f"Output:  {d.out_packets} packets, {d.out_octets} bytes",
                    f"  Unicast:{d.out_packets:>19},  Multicast:{0:>19}",
                    f"  Broadcast:{0:>17},  Jumbo:{0:>23}",
                    f"  Discard:{0:>19},  Total Error:{0:>17}",
                    "",
                    "    Input bandwidth utilization  :    0.01%",
                    "    Output bandwidth utilization :    0.01%",
                ]
            else:
                out.append(f"Current system time: {now}")
            out.append("")
        return "\n".join(out) + "\n"

    def cmd_ip_interface(self, s: Session, rest: str) -> str:
        """``display ip interface [name]``: state, MTU, counters and the primary address per interface."""
        out: list[str] = []
        for d in self._details(s, rest):
            r = d.row
            state_text = "UP" if r.oper_up else ("Administratively DOWN" if not r.admin_up else "DOWN")
            out += [
                f"{r.name} current state : {state_text}",
                f"Line protocol current state : {'UP' if r.oper_up else 'DOWN'}",
                "The Maximum Transmit Unit : 1500 bytes",
                f"input packets : {d.in_packets}, bytes : {d.in_octets}, multicasts : 0",
                f"output packets : {d.out_packets}, bytes : {d.out_octets}, multicasts : 0",
            ]
            if d.prefixlen is not None and r.ip is not None:
                net = IPv4Interface(f"{r.ip}/{d.prefixlen}").network
                out += [
                    f"Internet Address is {r.ip}/{d.prefixlen}",
                    f"Broadcast address : {net.broadcast_address}",
                ]
            else:
                out.append("Internet protocol processing : disabled")
            out.append("")
        return "\n".join(out) + "\n"

    def cmd_bgp_peer(self, s: Session, rest: str) -> str:
        """``display bgp peer`` (ntc-templates' VRP captures): the peers of the running configuration, each
        ``Established`` while the session is up, else ``Active``; nothing without a BGP process."""
        asn = s.state.config.bgp_asn if s.state.config is not None else None
        if asn is None:
            return ""
        rows = bgp_rows(s.world, s.state)
        lines = [
            f" {'BGP local router ID':<27}: {s.state.device.address}",
            f" {'Local AS number':<27}: {asn}",
            f" {'Total number of peers':<27}: {len(rows)}",
            f" {'Peers in established state':<27}: {sum(r.peer.up for r in rows)}",
            "",
            f"  {'Peer':<16}V{'AS':>12}{'MsgRcvd':>9}{'MsgSent':>9}{'OutQ':>6}  {'Up/Down':<9}{'State':>12}  PrefRcv",
        ]
        for r in rows:
            state = "Established" if r.peer.up else "Active"
            lines.append(
                f"  {r.peer.address:<15} 4{r.peer.remote_as:>12}{r.received:>9}{r.sent:>9}{0:>6}  "
                f"{bgp_age(r.age_s, 'vrp'):<9}{state:>12}{r.prefixes:>9}"
            )
        return "\n".join(lines) + "\n"

    def cmd_lldp(self, s: Session, rest: str) -> str:
        """``display lldp neighbor [brief]``: one block per local interface (ntc-templates' VRP capture)."""
        nbrs = lldp_neighbours(s.world, s.state) if s.world is not None else []
        if rest == "brief":
            lines = [f"{'Local Intf':<17}{'Neighbor Dev':<25}{'Neighbor Intf':<26}Exptime(s)"]
            for n in nbrs:
                lines.append(
                    f"{self.names.shorten(self.names.canonical(n.local)):<17}{n.system_name:<25}{n.port:<26}104"
                )
            return "\n".join(lines) + "\n"
        out: list[str] = []
        rows = interface_rows(s.state, s.store.running, self.names)
        for r in rows:
            if r.name.lower().startswith(("loopback", "null", "vlanif")):
                continue
            mine = [n for n in nbrs if self.names.same(n.local, r.name)]
            out += [
                f"{r.name} has {len(mine)} neighbors{':' if mine else ''}",
                "",
            ]
            for i, n in enumerate(mine, start=1):
                out += [
                    f"Neighbor index : {i}",
                    "Chassis type :macAddress",
                    f"Chassis ID :{n.chassis_mac}",
                    "Port ID type :interfaceName",
                    f"Port ID :{n.port}",
                    f"Port description :{n.port_description}",
                    f"System name :{n.system_name}",
                    f"System description :{n.system_description}",
                    "System capabilities supported :bridge router",
                    "System capabilities enabled :router",
                    "Management address type :ipV4",
                    f"Management address : {n.management_address}",
                    "Expired time :104s",
                    "",
                ]
        return "\n".join(out) + "\n"

    def cmd_routing_table(self, s: Session, rest: str) -> str:
        """``display ip routing-table``: direct routes (and /32 host routes) and OSPF routes over the adjacencies
        that are up, in VRP's table layout."""
        table = routes(s.world, s.state) if s.world is not None else []
        lines = [
            "Route Flags: R - relay, D - download to fib",
            "-" * 78,
            "Routing Tables: Public",
            f"         Destinations : {len(table)}        Routes : {len(table)}",
            "",
            "Destination/Mask    Proto   Pre  Cost      Flags NextHop         Interface",
            "",
        ]
        for r in table:
            if r.protocol == "ospf":
                proto, pre, cost, hop = "OSPF", 10, r.cost, r.next_hop or ""
            else:
                proto, pre, cost = "Direct", 0, 0
                own = next(
                    (
                        x
                        for x in interface_rows(s.state, s.store.running, self.names)
                        if self.names.same(x.name, r.interface)
                    ),
                    None,
                )
                hop = "127.0.0.1" if r.protocol == "local" or own is None or own.ip is None else own.ip
            flag = "RD" if r.protocol == "ospf" else "D"
            itf = self.names.canonical(r.interface)
            lines.append(f"{r.network!s:>20}  {proto:<7} {pre:<4} {cost:<10}{flag:<4}  {hop:<15} {itf}")
        return "\n".join(lines) + "\n"

    def cmd_arp(self, s: Session, rest: str) -> str:
        """``display arp [all]`` in VRP's layout (ntc-templates' capture): own addresses type ``I -``."""
        entries = arp(s.world, s.state) if s.world is not None else []
        rule = "-" * 78
        lines = [
            "IP ADDRESS      MAC ADDRESS     EXPIRE(M) TYPE        INTERFACE   VPN-INSTANCE",
            "                                    VLAN/CEVLAN(SIP/DIP)",
            rule,
        ]
        for e in entries:
            itf = self.names.shorten(self.names.canonical(e.interface))
            expire, kind = ("", "I -") if e.own else ("20", "D-0")
            lines.append(f"{e.ip:<16}{mac_text(e.mac):<16}{expire:<10}{kind:<12}{itf}")
        own = sum(1 for e in entries if e.own)
        lines += [
            rule,
            f"Total:{len(entries):<10}Dynamic:{len(entries) - own:<8}Static:0     Interface:{own}",
        ]
        return "\n".join(lines) + "\n"

    def cmd_interface_brief(self, s: Session, rest: str) -> str:
        """The layout of real VRP ``display interface brief`` (ntc-templates' and NAPALM's captures): legend,
        header, one row per interface; loopbacks and NULL0 show protocol ``up(s)`` (spoofing)."""
        lines = [
            "PHY: Physical",
            "*down: administratively down",
            "^down: standby",
            "(l): loopback",
            "(s): spoofing",
            "(b): BFD down",
            "(e): ETHOAM down",
            "(d): Dampening Suppressed",
            "InUti/OutUti: input utility/output utility",
            f"{'Interface':<28}{'PHY':<6}{'Protocol':<10}{'InUti':>5} {'OutUti':>6} {'inErrors':>10} {'outErrors':>10}",
        ]
        for r in interface_rows(s.state, s.store.running, self.names):
            phy = "up" if r.oper_up else ("*down" if not r.admin_up else "down")
            proto = "down"
            if r.oper_up:
                proto = "up(s)" if r.name.lower().startswith(("loopback", "null")) else "up"
            errs = 0
            itf = next((i for i in s.state.interfaces if self.names.same(i.name, r.name)), None)
            if itf is not None:
                errs = itf.counters()[2]
            lines.append(f"{r.name:<27} {phy:<5} {proto:<9}{'0.01%':>6} {'0.01%':>6} {errs:>10} {0:>10}")
        return "\n".join(lines) + "\n"

    def cmd_ip_interface_brief(self, s: Session, rest: str) -> str:
        lines = [
            "*down: administratively down",
            f"{'Interface':<32}{'IP Address/Mask':<20}{'Physical':<10}{'Protocol':<9}",
        ]
        for r in interface_rows(s.state, s.store.running, self.names):
            addr = "unassigned"
            if r.ip and r.mask:
                addr = f"{r.ip}/{sum(bin(int(o)).count('1') for o in r.mask.split('.'))}"
            phy = "up" if r.oper_up else ("*down" if not r.admin_up else "down")
            lines.append(f"{r.name:<32}{addr:<20}{phy:<10}{'up' if r.oper_up else 'down':<9}")
        return "\n".join(lines) + "\n"

    def cmd_ospf_peer(self, s: Session, rest: str) -> str:
        """``display ospf peer brief``: the table; plain ``display ospf peer``: one verbose block per
        neighbour, as Huawei's command reference shows them."""
        peers = ospf_peers(s.state, s.inventory, self.names)
        if rest.strip() == "brief":
            return self.ospf_brief(s, peers)
        return self.ospf_verbose(s, peers)

    def ospf_brief(self, s: Session, peers: list[PeerRow]) -> str:
        """VRP5 (AR) layout."""
        lines = [
            "",
            f"\t OSPF Process 1 with Router ID {s.state.device.address}",
            "\t\t  Peer Statistic Information",
            " " + "-" * 76,
            f" {'Area Id':<17}{'Interface':<33}{'Neighbor id':<17}{'State':<9}",
        ]
        for p in peers:
            lines.append(f" {'0.0.0.0':<17}{p.interface:<33}{p.router_id:<17}{'Full':<12}")
        lines.append(" " + "-" * 76)
        return "\n".join(lines) + "\n"

    def ospf_verbose(self, s: Session, peers: list[PeerRow]) -> str:
        rows = {r.name: r for r in interface_rows(s.state, s.store.running, self.names)}
        lines = [
            "",
            f"\t OSPF Process 1 with Router ID {s.state.device.address}",
            "\t\t Neighbors ",
            "",
        ]
        for p in peers:
            own = rows.get(p.interface)
            local = own.ip if own is not None and own.ip else "0.0.0.0"
            lines += [
                f" Area 0.0.0.0 interface {local}({p.interface})'s neighbors",
                f" Router ID: {p.router_id:<16} Address: {p.address:<16} GR State: Normal",
                "   State: Full  Mode:Nbr is  Master  Priority: 1",
                "   DR: None  BDR: None   MTU: 0    ",
                "   Dead timer due in 35  sec ",
                "   Retrans timer interval: 5 ",
                f"   Neighbor is up for {uptime_clock(s.state)}     ",
                "   Authentication Sequence: [ 0 ] ",
                "",
            ]
        return "\n".join(lines) + "\n"

    def cmd_cpu(self, s: Session, rest: str) -> str:
        cpu = round(s.state.cpu_percent)
        return (
            "CPU Usage Stat. Cycle: 60 (Second)\n"
            f"CPU Usage            : {cpu}% Max: {min(100, cpu + 20)}%\n"
            f"CPU Usage Stat. Time : {timestamp()}\n"
            f"CPU utilization for five seconds: {cpu}%: one minute: {cpu}%: five minutes: {cpu}%\n"
        )

    def cmd_memory(self, s: Session, rest: str) -> str:
        total = 2097152
        used = int(total * s.state.memory_percent / 100)
        return (
            f"Memory utilization statistics at {timestamp()}\n"
            f"System Total Memory Is: {total} Kbytes\n"
            f"Total Memory Used Is: {used} Kbytes\n"
            f"Memory Using Percentage Is: {round(s.state.memory_percent)}%\n"
        )
