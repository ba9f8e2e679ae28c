"""Cisco IOS: ``name>``/``name#``/``name(config)#`` modes, ``no`` negation, revert timer, ``write memory``.

Part of ``netops.lab.cli``. Lines apply at once. ``configure terminal revert timer <minutes>`` enters
configuration mode and starts a timer: unless ``configure confirm`` is entered before it ends, the running
configuration goes back to what it was (a lab "minute" lasts ``CliSettings.minute_seconds``; the real device
also needs an ``archive`` path, the lab does not). ``configure revert now`` goes back at once.
A credential with an ``enable`` secret logs in at ``name>`` and ``enable`` asks for it; otherwise the
session starts privileged at ``name#`` (an automation account with privilege 15).
"""

from __future__ import annotations

import hmac
import time

from netops.inventory.models import Inventory
from netops.lab.cli.config import ConfigNode
from netops.lab.cli.displays import (
    InterfaceDetail,
    LldpNeighbour,
    Route,
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
    boot_facts,
    identity,
    interface_rows,
    ospf_peers,
    uptime_clock,
    uptime_text,
)
from netops.lab.cli.grammar import ios_grammar
from netops.lab.snmp.platforms import if_name
from netops.lab.state import DeviceState, mac_text


def if_short(name: str) -> str:
    """IOS's short interface name (``Gi0/0/0``), as LLDP and CDP tables print the local port."""
    return if_name("cisco", name)


NAMES = InterfaceNames(
    full=(
        "GigabitEthernet",
        "TenGigabitEthernet",
        "FastEthernet",
        "Ethernet",
        "Loopback",
        "Vlan",
        "Tunnel",
        "Port-channel",
        "Serial",
        "Null",
    ),
    abbrev={
        "GE": "GigabitEthernet",
        "Gi": "GigabitEthernet",
        "Te": "TenGigabitEthernet",
        "Fa": "FastEthernet",
        "Lo": "Loopback",
        "Po": "Port-channel",
        "Se": "Serial",
    },
    short={},
)
_LABELS = {
    "interface": "config-if",
    "router": "config-router",
    "router-bgp": "config-router",
    "af": "config-router-af",
}
_GENERIC_LABELS = {
    "line": "config-line",
    "ip": "config-ext-nacl",
    "archive": "config-archive",
    "vlan": "config-vlan",
    "control-plane": "config-cp",
}


class IosDialect(Dialect):
    name = "cisco_ios"
    undo_word = "no"
    hostname_word = "hostname"
    ctrl_z_line = "end"
    names = NAMES
    key_patterns = (
        r"hostname(?= |$)",
        r"description(?= |$)",
        r"ip address(?=( \S+ \S+)?$)",
        r"router ospf \d+",
        r"router bgp \d+",
        r"router-id(?= |$)",
        r"mtu(?= |$)",
        r"snmp-server (location|contact)",
        r"version(?= |$)",
    )

    def __init__(self, enable_secret: str | None = None) -> None:
        self.enable_secret = enable_secret
        self.grammar = ios_grammar(self.canon_interface)
        super().__init__()
        self.commands = self.build_commands()

    def canon_interface(self, body: str) -> str:
        return "interface " + self.names.canonical(body.split(None, 1)[1])

    def initial_frames(self, session: Session) -> list[Frame]:
        session.privileged = self.enable_secret is None
        return [Frame("exec")]

    def build_commands(self) -> list[Command]:
        return [
            Command(("enable",), self.cmd_enable, "exec"),
            Command(("disable",), self.cmd_disable, "priv"),
            Command(("terminal", "length"), self.cmd_ok, "exec", r"\d+"),
            Command(("terminal", "width"), self.cmd_ok, "exec", r"\d+"),
            Command(("terminal", "no", "monitor"), self.cmd_ok, "exec"),
            Command(("configure", "terminal"), self.cmd_configure, "priv", r"(revert timer \d+)?"),
            Command(("configure", "confirm"), self.cmd_confirm, "priv"),
            Command(("configure", "revert"), self.cmd_revert, "priv", r"now"),
            Command(("write", "memory"), self.cmd_write, "priv"),
            Command(("write",), self.cmd_write, "priv"),
            Command(("copy", "running-config", "startup-config"), self.cmd_copy, "priv"),
            Command(("show", "version"), self.cmd_version, "exec"),
            Command(("show", "inventory"), self.cmd_inventory, "exec"),
            Command(("show", "hosts"), self.cmd_hosts, "exec"),
            Command(("show", "ip", "interface", "brief"), self.cmd_ip_brief, "exec"),
            Command(("show", "ip", "interface"), self.cmd_ip_interface, "exec", r"(\S+)?"),
            Command(("show", "ipv6", "interface"), self.cmd_ok, "exec", r"(brief)?"),
            Command(("show", "interfaces"), self.cmd_interfaces, "exec", r"(\S+)?"),
            Command(("show", "lldp", "neighbors"), self.cmd_lldp, "exec", r"(detail)?"),
            Command(("show", "cdp", "neighbors"), self.cmd_cdp, "exec", r"(detail)?"),
            Command(("show", "ip", "route"), self.cmd_route, "exec"),
            Command(("show", "ip", "bgp", "summary"), self.cmd_bgp_summary, "exec"),
            Command(("show", "bgp", "ipv4", "unicast", "summary"), self.cmd_bgp_summary, "exec"),
            Command(("show", "ip", "arp"), self.cmd_arp, "exec"),
            Command(("show", "arp"), self.cmd_arp, "exec"),
            Command(("show", "running-config"), self.cmd_running, "priv"),
            Command(("show", "startup-config"), self.cmd_startup, "priv"),
            Command(("show", "ip", "ospf", "neighbor"), self.cmd_ospf, "exec"),
            Command(("show", "processes", "cpu"), self.cmd_cpu, "exec", r"(sorted|history)?"),
            Command(("show", "memory", "statistics"), self.cmd_memory, "exec"),
            Command(("show", "clock"), self.cmd_clock, "exec"),
            Command(("exit",), self.cmd_exit, "any"),
            Command(("logout",), self.cmd_exit, "exec"),
            Command(("end",), self.cmd_end, "config"),
            Command(("exit-address-family",), self.cmd_exit, "config"),
            Command(("do",), self.cmd_do, "config", r".+"),
        ]

    # navigation --------------------------------------------------------------------------------------
    def cmd_ok(self, s: Session, rest: str) -> str:
        return ""

    def cmd_enable(self, s: Session, rest: str) -> str:
        if s.privileged:
            return ""
        secret = self.enable_secret or ""

        def answer(text: str) -> str:
            if hmac.compare_digest(text.encode(), secret.encode()):
                s.privileged = True
                return ""
            return "% Bad secrets\n"

        return s.ask("Password: ", answer, echo=False)

    def cmd_disable(self, s: Session, rest: str) -> str:
        s.privileged = self.enable_secret is None
        return ""

    def cmd_exit(self, s: Session, rest: str) -> str:
        s.pop()
        return ""

    def cmd_end(self, s: Session, rest: str) -> str:
        s.to_exec()
        return ""

    def cmd_do(self, s: Session, rest: str) -> str:
        saved = s.frames
        s.frames = saved[:1]
        try:
            return s.dispatch(rest, self.prompt(s))
        finally:
            s.frames = saved

    # transactions ------------------------------------------------------------------------------------
    def cmd_configure(self, s: Session, rest: str) -> str:
        if rest:
            minutes = int(rest.split()[-1])
            s.store.arm("revert-timer", s.store.running, minutes * s.settings.minute_seconds)
        s.frames.append(Frame("system"))
        return "Enter configuration commands, one per line.  End with CNTL/Z.\n"

    def cmd_confirm(self, s: Session, rest: str) -> str:
        if not s.store.confirm():
            return "% No Rollback Confirmed Change pending\n"
        return ""

    def cmd_revert(self, s: Session, rest: str) -> str:
        if not s.store.revert_now(s.user):
            return "% No Rollback Confirmed Change pending\n"
        return "Rollback Done\n"

    def cmd_write(self, s: Session, rest: str) -> str:
        s.store.save()
        return "Building configuration...\n[OK]\n"

    def cmd_copy(self, s: Session, rest: str) -> str:
        return s.ask("Destination filename [startup-config]? ", lambda text: self.cmd_write(s, ""))

    # prompts and errors ------------------------------------------------------------------------------
    def prompt(self, s: Session) -> str:
        if not s.in_config:
            return f"{s.name}{'#' if s.privileged else '>'}"
        label = "config"
        if len(s.frames) > 2:
            f = s.frames[-1]
            label = _LABELS.get(f.view) or _GENERIC_LABELS.get(
                f.line.split()[0], "config-" + f.line.split()[0]
            )
        return f"{s.name}({label})#"

    def unrecognized(self, prompt: str, line: str, pos: int) -> str:
        return f"{caret(prompt, pos)}\n% Invalid input detected at '^' marker.\n"

    def incomplete(self, prompt: str, line: str, pos: int) -> str:
        return "% Incomplete command.\n"

    def rejected(self, line: str) -> str:
        return "% Command rejected by the device.\n"

    def wrong_value(self, prompt: str, line: str, pos: int, bad_mask: tuple[str, int] | None) -> str:
        if bad_mask is not None:  # a valid dotted quad that is no mask
            return f"Bad mask 0x{bad_mask[1]:X} for address {bad_mask[0]}\n"
        return self.unrecognized(prompt, line, pos)

    # configuration text ------------------------------------------------------------------------------
    def initial_config(self, state: DeviceState, inventory: Inventory) -> ConfigNode:
        f = boot_facts(state, inventory, self.names)
        root = ConfigNode("")
        add = root.children.append
        add(ConfigNode("version 15.7"))
        add(ConfigNode("service timestamps log datetime msec"))
        add(ConfigNode(f"hostname {f.hostname}"))
        networks = []
        for name, desc, ip in f.interfaces:
            node = ConfigNode(f"interface {name}")
            if desc:
                node.children.append(ConfigNode(f"description {desc}"))
            if ip is not None:
                node.children.append(ConfigNode(f"ip address {ip[0]} {ip[1]}"))
                networks.append(ConfigNode(f"network {ip[2]} {ip[3]} area 0"))
            add(node)
        if f.routed:
            add(ConfigNode("router ospf 1", [ConfigNode(f"router-id {f.router_id}"), *networks]))
        if f.bgp_asn is not None:
            neighbours = [ConfigNode(f"neighbor {a} remote-as {asn}") for a, asn in f.bgp_peers]
            add(
                ConfigNode(
                    f"router bgp {f.bgp_asn}", [ConfigNode(f"bgp router-id {f.router_id}"), *neighbours]
                )
            )
        if f.snmp_version is not None:
            add(ConfigNode(f"snmp-server location {f.location}"))
            if f.snmp_user:
                add(ConfigNode("snmp-server group netops v3 priv"))
        if f.ntp_server:
            add(ConfigNode(f"ntp server {f.ntp_server}"))
        add(ConfigNode("line vty 0 4", [ConfigNode("transport input ssh")]))
        return root

    def render(self, tree: ConfigNode, s: Session) -> str:
        body = ["!"]
        for node in tree.children:
            if node.children and body[-1] != "!":
                body.append("!")
            body.append(node.line)
            body.extend(" " * (d + 1) + n.line for d, n in node.walk())
            if node.children:
                body.append("!")
        body.append("end")
        text = "\n".join(body) + "\n"
        last = time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime(s.store.commits[-1].time))
        return (
            f"Building configuration...\n\nCurrent configuration : {len(text)} bytes\n"
            f"!\n! Last configuration change at {last} by {s.store.commits[-1].user}\n{text}"
        )

    def cmd_running(self, s: Session, rest: str) -> str:
        return self.render(s.store.running, s)

    def cmd_startup(self, s: Session, rest: str) -> str:
        return self.render(s.store.saved, s).replace("Building configuration...\n\nCurrent", "Using", 1)

    # displays ----------------------------------------------------------------------------------------
    def cmd_version(self, s: Session, rest: str) -> str:
        """IOS XE ``show version`` (the layout of ntc-templates' and NAPALM's ISR captures); version, model
        and serial are the device's identity, as SNMP sysDescr and ENTITY-MIB say."""
        ident = identity(s.state)
        return (
            "Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
            f"Version {ident.version}, RELEASE SOFTWARE ({ident.release})\n"
            "Technical Support: http://www.cisco.com/techsupport\n"
            "Copyright (c) 1986-2020 by Cisco Systems, Inc.\n"
            "Compiled Thu 30-Jan-20 02:09 by mcpre\n\n"
            "ROM: IOS-XE ROMMON\n"
            f"{s.name} uptime is {uptime_text(s.state, weeks=True)}\n"
            "Uptime for this control processor is "
            f"{uptime_text(s.state, weeks=True)}\n"
            "System returned to ROM by reload\n"
            'System image file is "bootflash:isr4300-universalk9.16.09.05.SPA.bin"\n'
            "Last reload reason: reload\n\n"
            f"cisco {ident.model} (1RU) processor with 1795999K/6147K bytes of memory.\n"
            f"Processor board ID {ident.serial}\n"
            f"{sum(1 for i in s.state.interfaces if not i.name.lower().startswith('lo'))} "
            "Gigabit Ethernet interfaces\n"
            "32768K bytes of non-volatile configuration memory.\n"
            "4194304K bytes of physical memory.\n"
            "3223551K bytes of flash memory at bootflash:.\n\n"
            "Configuration register is 0x2102\n"
        )

    def cmd_inventory(self, s: Session, rest: str) -> str:
        """``show inventory``: the chassis with the device's serial (ENTITY-MIB's entPhysicalSerialNum)."""
        ident = identity(s.state)
        return (
            f'NAME: "Chassis", DESCR: "Cisco {ident.model} Chassis"\n'
            f"PID: {ident.model:<22}, VID: V04  , SN: {ident.serial}\n\n"
            'NAME: "Power Supply Module 0", DESCR: "250W AC Power Supply for Cisco ISR 4330"\n'
            f"PID: PWR-4330-AC       , VID: V02  , SN: PST{ident.serial[3:]}\n\n"
            'NAME: "Fan Tray", DESCR: "Cisco ISR 4330 Fan Assembly"\n'
            "PID: ACS-4330-FANASSY  , VID:      , SN:            \n\n"
            'NAME: "module R0", DESCR: "Cisco ISR4331 Route Processor"\n'
            f"PID: {ident.model:<22}, VID: V04  , SN: FLM{ident.serial[3:]}\n\n"
        )

    def cmd_hosts(self, s: Session, rest: str) -> str:
        return (
            "Name lookup view: Global\n"
            "Default domain is not set\n"
            "Name/address lookup uses static mappings\n\n"
            "Codes: UN - unknown, EX - expired, OK - OK, ?? - revalidate\n"
            "       temp - temporary, perm - permanent\n"
            "       NA - Not Applicable None - Not defined\n\n"
            "Host                      Port  Flags      Age Type   Address(es)\n"
        )

    def _details(self, s: Session, rest: str) -> list[InterfaceDetail]:
        rows = interface_rows(s.state, s.store.running, self.names)
        if rest:
            rows = [r for r in rows if self.names.same(r.name, rest)]
        return interface_details(s.state, rows, self.names)

    def cmd_interfaces(self, s: Session, rest: str) -> str:
        """``show interfaces`` in IOS XE's layout (the lines NAPALM's get_interfaces and ntc-templates read)."""
        if rest and not self._details(s, rest):
            return self.unrecognized(self.prompt(s), f"show interfaces {rest}", len("show interfaces "))
        out = []
        for d in self._details(s, rest):
            r = d.row
            status = "up" if r.oper_up else ("administratively down" if not r.admin_up else "down")
            loop = r.name.lower().startswith("loopback")
            speed = d.state.speed_mbps if d.state is not None else 8000
            bw = speed * 1000 if not loop else 8000000
            out.append(f"{r.name} is {status}, line protocol is {'up' if r.oper_up else 'down'} ")
            if loop:
                out.append("  Hardware is Loopback")
            else:
                mac = mac_text(d.mac, "cisco")
                out.append(f"  Hardware is ISR4331-3x1GE, address is {mac} (bia {mac})")
            if r.description:
                out.append(f"  Description: {r.description}")
            if d.prefixlen is not None:
                out.append(f"  Internet address is {r.ip}/{d.prefixlen}")
            out.append(
                f"  MTU {1514 if loop else 1500} bytes, BW {bw} Kbit/sec, DLY {5000 if loop else 10} usec, "
            )
            out.append("     reliability 255/255, txload 1/255, rxload 1/255")
            out.append(f"  Encapsulation {'LOOPBACK' if loop else 'ARPA'}, loopback not set")
            out.append("  Keepalive set (10 sec)")
            if not loop:
                out.append(f"  Full Duplex, {speed}Mbps, link type is auto, media type is RJ45")
                out.append("  output flow-control is off, input flow-control is off")
                out.append("  ARP type: ARPA, ARP Timeout 04:00:00")
            out.append("  Last input 00:00:00, output 00:00:00, output hang never")
            out.append('  Last clearing of "show interface" counters never')
            out.append("  Input queue: 0/375/0/0 (size/max/drops/flushes); Total output drops: 0")
            out.append("  Queueing strategy: fifo")
            out.append("  Output queue: 0/40 (size/max)")
            out.append(
                f"  5 minute input rate {d.rate_in_bps} bits/sec, {d.rate_in_bps // 8 // 700} packets/sec"
            )
            out.append(
                f"  5 minute output rate {d.rate_out_bps} bits/sec, {d.rate_out_bps // 8 // 700} packets/sec"
            )
            out.append(f"     {d.in_packets} packets input, {d.in_octets} bytes, 0 no buffer")
            out.append("     Received 0 broadcasts (0 IP multicasts)")
            out.append("     0 runts, 0 giants, 0 throttles ")
            out.append(f"     {d.in_errors} input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored")
            out.append("     0 watchdog, 0 multicast, 0 pause input")
            out.append(f"     {d.out_packets} packets output, {d.out_octets} bytes, 0 underruns")
            out.append("     0 output errors, 0 collisions, 0 interface resets")
            out.append("     0 unknown protocol drops")
            out.append("     0 babbles, 0 late collision, 0 deferred")
            out.append("     0 lost carrier, 0 no carrier, 0 pause output")
            out.append("     0 output buffer failures, 0 output buffers swapped out")
        return "\n".join(out) + "\n"

    def cmd_ip_interface(self, s: Session, rest: str) -> str:
        """``show ip interface``: per interface its state and ``Internet address is A/N`` (NAPALM's
        get_interfaces_ip and ntc-templates read these lines)."""
        out = []
        for d in self._details(s, rest):
            r = d.row
            status = "up" if r.oper_up else ("administratively down" if not r.admin_up else "down")
            out.append(f"{r.name} is {status}, line protocol is {'up' if r.oper_up else 'down'}")
            if d.prefixlen is None:
                out.append("  Internet protocol processing disabled")
                continue
            out.append(f"  Internet address is {r.ip}/{d.prefixlen}")
            out.append("  Broadcast address is 255.255.255.255")
            out.append("  Address determined by non-volatile memory")
            out.append(f"  MTU is {1514 if r.name.lower().startswith('loop') else 1500} bytes")
            out.append("  Helper address is not set")
            out.append("  Directed broadcast forwarding is disabled")
            out.append("  Multicast reserved groups joined: 224.0.0.5 224.0.0.6")
            out.append("  Outgoing Common access list is not set ")
            out.append("  Outgoing access list is not set")
            out.append("  Inbound Common access list is not set ")
            out.append("  Inbound  access list is not set")
            out.append("  Proxy ARP is enabled")
            out.append("  Local Proxy ARP is disabled")
            out.append("  Security level is default")
            out.append("  Split horizon is enabled")
            out.append("  ICMP redirects are always sent")
            out.append("  ICMP unreachables are always sent")
            out.append("  ICMP mask replies are never sent")
            out.append("  IP fast switching is enabled")
            out.append("  IP Flow switching is disabled")
            out.append("  IP CEF switching is enabled")
            out.append("  IP CEF switching turbo vector")
            out.append("  IP multicast fast switching is enabled")
            out.append("  IP multicast distributed fast switching is disabled")
            out.append("  IP route-cache flags are Fast, CEF")
            out.append("  Router Discovery is disabled")
            out.append("  IP output packet accounting is disabled")
            out.append("  IP access violation accounting is disabled")
            out.append("  TCP/IP header compression is disabled")
            out.append("  RTP/IP header compression is disabled")
            out.append("  Probe proxy name replies are disabled")
            out.append("  Policy routing is disabled")
            out.append("  Network address translation is disabled")
            out.append("  BGP Policy Mapping is disabled")
            out.append("  Input features: MCI Check")
        return "\n".join(out) + "\n"

    def _lldp(self, s: Session) -> list[LldpNeighbour]:
        return lldp_neighbours(s.world, s.state) if s.world is not None else []

    def cmd_lldp(self, s: Session, rest: str) -> str:
        """``show lldp neighbors [detail]`` in IOS's layout (the fields NAPALM's LLDP getters read)."""
        nbrs = self._lldp(s)
        if rest != "detail":
            lines = [
                "Capability codes:",
                "    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device",
                "    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other",
                "",
                "Device ID           Local Intf     Hold-time  Capability      Port ID",
            ]
            for n in nbrs:
                local = if_short(self.names.canonical(n.local))
                lines.append(f"{n.system_name[:20]:<20}{local:<15}{120:<11}{'R':<16}{n.port}")
            lines += ["", f"Total entries displayed: {len(nbrs)}"]
            return "\n".join(lines) + "\n"
        lines = []
        for n in nbrs:
            lines += [
                "-" * 48,
                f"Local Intf: {if_short(self.names.canonical(n.local))}",
                f"Chassis id: {n.chassis_mac.replace('-', '.')}",
                f"Port id: {n.port}",
                f"Port Description: {n.port_description or '- not advertised'}",
                f"System Name: {n.system_name}",
                "",
                "System Description: ",
                n.system_description,
                "",
                "Time remaining: 101 seconds",
                "System Capabilities: B,R",
                "Enabled Capabilities: R",
                "Management Addresses:",
                f"    IP: {n.management_address}",
                "Auto Negotiation - not supported",
                "Physical media capabilities - not advertised",
                "Media Attachment Unit type - not advertised",
                "Vlan ID: - not advertised",
                "",
            ]
        lines.append(f"\nTotal entries displayed: {len(nbrs)}")
        return "\n".join(lines) + "\n"

    def cmd_cdp(self, s: Session, rest: str) -> str:
        """CDP is Cisco's: only Cisco neighbours answer it (an empty table towards Huawei and H3C). Layouts of
        ntc-templates' IOS captures: the brief table with ``Gig 0/0/1`` ports (a Device ID longer than 16
        characters on a line of its own), the detail blocks with the platform, addresses and version."""
        nbrs = [n for n in self._lldp(s) if n.system_description.startswith("Cisco")]

        def model(n: LldpNeighbour) -> str:
            peer = s.world.devices.get(n.system_name) if s.world is not None else None
            return peer.identity.model if peer is not None and peer.identity is not None else "ISR4331/K9"

        def cdp_short(name: str) -> str:
            short = if_short(name)
            for two, three in (("Gi", "Gig"), ("Te", "Ten"), ("Fa", "Fas"), ("Lo", "Loo"), ("Se", "Ser")):
                if short.startswith(two) and short[len(two) : len(two) + 1].isdigit():
                    return f"{three} {short[len(two) :]}"
            return short

        if rest == "detail":
            lines = []
            for n in nbrs:
                lines += [
                    "-------------------------",
                    f"Device ID: {n.system_name}",
                    "Entry address(es): ",
                    f"  IP address: {n.management_address}",
                    f"Platform: cisco {model(n)},  Capabilities: Router Switch IGMP ",
                    f"Interface: {self.names.canonical(n.local)},  Port ID (outgoing port): {n.port}",
                    "Holdtime : 150 sec",
                    "",
                    "Version :",
                    n.system_description,
                    "",
                    "advertisement version: 2",
                    "VTP Management Domain: ''",
                    "Duplex: full",
                    "Management address(es): ",
                    f"  IP address: {n.management_address}",
                    "",
                ]
            lines.append(f"\nTotal cdp entries displayed : {len(nbrs)}")
            return "\n".join(lines) + "\n"
        lines = [
            "Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge",
            "                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone, ",
            "                  D - Remote, C - CVTA, M - Two-port Mac Relay ",
            "",
            "Device ID        Local Intrfce     Holdtme    Capability  Platform  Port ID",
        ]
        for n in nbrs:
            local = cdp_short(self.names.canonical(n.local))
            row = f"{local:<18}{150:<11}{'R S I':<12}{model(n)[:9]:<10}{cdp_short(n.port)}"
            if len(n.system_name) > 16:  # IOS puts a long Device ID on a line of its own
                lines += [n.system_name, " " * 17 + row]
            else:
                lines.append(f"{n.system_name:<17}{row}")
        lines += ["", f"Total cdp entries displayed : {len(nbrs)}"]
        return "\n".join(lines) + "\n"

    def cmd_bgp_summary(self, s: Session, rest: str) -> str:
        """``show ip bgp summary`` (ntc-templates' IOS captures): the neighbours of ``router bgp``, the
        received prefix count while Established, else the state (``Active``)."""
        asn = s.state.config.bgp_asn if s.state.config is not None else None
        if asn is None:
            return "% BGP not active\n"
        rows = bgp_rows(s.world, s.state)
        version = 1 + sum(r.prefixes for r in rows)
        lines = [
            f"BGP router identifier {s.state.device.address}, local AS number {asn}",
            f"BGP table version is {version}, main routing table version {version}",
            f"{version - 1} network entries using {248 * (version - 1)} bytes of memory",
            f"{version - 1} path entries using {136 * (version - 1)} bytes of memory",
            "",
            "Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd",
        ]
        for r in rows:
            state = str(r.prefixes) if r.peer.up else "Active"
            age = bgp_age(r.age_s, "ios") if r.peer.up or r.peer.neighbor is not None else "never"
            lines.append(
                f"{r.peer.address:<15} 4{r.peer.remote_as:>13}{r.received:>8}{r.sent:>8}{version:>9}"
                f"{0:>5}{0:>5} {age:<8} {state:>12}"
            )
        return "\n".join(lines) + "\n"

    def cmd_route(self, s: Session, rest: str) -> str:
        """``show ip route``: connected, local and OSPF routes from the lab's adjacencies."""
        table = routes(s.world, s.state) if s.world is not None else []
        lines = [
            "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
            "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area ",
            "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2",
            "       E1 - OSPF external type 1, E2 - OSPF external type 2",
            "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2",
            "       ia - IS-IS inter area, * - candidate default, U - per-user static route",
            "       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP",
            "       a - application route",
            "       + - replicated route, % - next hop override, p - overrides from PfR",
            "",
            "Gateway of last resort is not set",
            "",
        ]
        majors: dict[str, list[Route]] = {}
        for r in table:
            first = int(str(r.network.network_address).split(".")[0])
            major = (
                f"{first}.0.0.0/8"
                if first < 128
                else f"{'.'.join(str(r.network.network_address).split('.')[:2])}.0.0/16"
            )
            majors.setdefault(major, []).append(r)
        days = int(s.state.uptime_s()) // 86400  # IOS prints ages past a day as 1d02h, past a week as 8w0d
        age = (
            uptime_clock(s.state)
            if days < 1
            else (
                f"{days}d{int(s.state.uptime_s()) % 86400 // 3600:02d}h"
                if days < 7
                else f"{days // 7}w{days % 7}d"
            )
        )
        for major, rs in majors.items():
            masks = len({r.network.prefixlen for r in rs})
            lines.append(f"      {major} is variably subnetted, {len(rs)} subnets, {masks} masks")
            for r in rs:
                out_itf = self.names.canonical(r.interface)
                if r.protocol == "ospf":
                    lines.append(f"O        {r.network} [110/{r.cost}] via {r.next_hop}, {age}, {out_itf}")
                else:
                    code = "C" if r.protocol == "connected" else "L"
                    lines.append(f"{code}        {r.network} is directly connected, {out_itf}")
        return "\n".join(lines) + "\n"

    def cmd_arp(self, s: Session, rest: str) -> str:
        entries = arp(s.world, s.state) if s.world is not None else []
        lines = ["Protocol  Address          Age (min)  Hardware Addr   Type   Interface"]
        for e in entries:
            age = "-" if e.own else "3"
            mac = mac_text(e.mac, "cisco")
            lines.append(
                f"Internet  {e.ip:<17}{age:>5}   {mac:<16}ARPA   {self.names.canonical(e.interface)}"
            )
        return "\n".join(lines) + "\n"

    def cmd_ip_brief(self, s: Session, rest: str) -> str:
        lines = [f"{'Interface':<27}{'IP-Address':<16}{'OK?':<4}{'Method':<7}{'Status':<22}Protocol"]
        for r in interface_rows(s.state, s.store.running, self.names):
            status = "up" if r.oper_up else ("administratively down" if not r.admin_up else "down")
            method = "NVRAM" if r.ip else "unset"
            lines.append(
                f"{r.name:<26} {r.ip or 'unassigned':<15} {'YES':<3} {method:<6} {status:<21} "
                f"{'up' if r.oper_up else 'down'}"
            )
        return "\n".join(lines) + "\n"

    def cmd_ospf(self, s: Session, rest: str) -> str:
        lines = ["", f"{'Neighbor ID':<16}{'Pri':<6}{'State':<16}{'Dead Time':<12}{'Address':<16}Interface"]
        for p in ospf_peers(s.state, s.inventory, self.names):
            lines.append(
                f"{p.router_id:<16}{'1':<6}{'FULL/  -':<16}{'00:00:35':<12}{p.address:<16}{p.interface}"
            )
        return "\n".join(lines) + "\n"

    def cmd_cpu(self, s: Session, rest: str) -> str:
        cpu = round(s.state.cpu_percent)
        return (
            f"CPU utilization for five seconds: {cpu}%/0%; one minute: {cpu}%; five minutes: {cpu}%\n"
            " PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process\n"
            "   1           4         163         24  0.00%  0.00%  0.00%   0 Chunk Manager\n"
        )

    def cmd_memory(self, s: Session, rest: str) -> str:
        total = 1073741824
        used = int(total * s.state.memory_percent / 100)
        return (
            f"{'':<14}{'Head':>10}{'Total(b)':>12}{'Used(b)':>12}{'Free(b)':>12}{'Lowest(b)':>12}"
            f"{'Largest(b)':>12}\n"
            f"{'Processor':<14}{'7F1E5A8':>10}{total:>12}{used:>12}{total - used:>12}{total - used:>12}"
            f"{(total - used) // 2:>12}\n"
            f"{'I/O':>14}{'E000000':>10}{33554432:>12}{9876544:>12}{23677888:>12}{23667552:>12}"
            f"{23546812:>12}\n"
        )

    def cmd_clock(self, s: Session, rest: str) -> str:
        return time.strftime("*%H:%M:%S.000 UTC %a %b %d %Y\n", time.gmtime())
