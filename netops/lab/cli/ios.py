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
from netops.lab.cli.engine import Command, Dialect, Frame, Session, caret
from netops.lab.cli.facts import InterfaceNames, boot_facts, interface_rows, ospf_peers, uptime_text
from netops.lab.cli.grammar import ios_grammar
from netops.lab.state import DeviceState

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
            Command(("show", "ip", "interface", "brief"), self.cmd_ip_brief, "exec"),
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
        model = s.state.device.model or "ISR4331/K9"
        return (
            "Cisco IOS Software, ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 15.7(3)M5, "
            "RELEASE SOFTWARE (fc1)\n"
            "Technical Support: http://www.cisco.com/techsupport\n"
            "Copyright (c) 1986-2019 by Cisco Systems, Inc.\n\n"
            f"{s.name} uptime is {uptime_text(s.state, weeks=True)}\n"
            'System image file is "flash:isr4300-universalk9.16.09.04.SPA.bin"\n\n'
            f"cisco {model} (1RU) processor with 1795999K/6147K bytes of memory.\n"
            "Configuration register is 0x2102\n"
        )

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
        )

    def cmd_clock(self, s: Session, rest: str) -> str:
        return time.strftime("*%H:%M:%S.000 UTC %a %b %d %Y\n", time.gmtime())
