"""The trap and syslog receivers against real senders: the lab's devices (netops/lab/emit.py), net-snmp's
``snmptrap`` / ``snmpinform`` (an independent sender, v2c and v3, from a device's own address) and raw
sockets for garbage; the lab's traps against net-snmp's ``snmptrapd`` (an independent receiver).

One in-process lab (SNMP agents of the small polling region on 127.75.x) and one ``IngestService`` with a
real ``Poller`` are shared by the module; counters are compared before/after each step."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from netops.drivers.snmp.source import SnmpSource
from netops.ingest.events import Channel, DeviceEvent, EventKind
from netops.ingest.service import IngestService
from netops.inventory import Topology, load_inventory
from netops.inventory.models import Inventory
from netops.lab.emit import Emitter
from netops.lab.snmp.platforms import PLATFORMS
from netops.lab.state import LabEvent, LabEventKind
from netops.lab.testing import InProcessLab, free_port, in_process_lab, wait_until, write_secrets
from netops.polling import queries
from netops.polling.poller import Poller
from netops.secrets import SecretStore
from netops.snmp.usm import engine_id_for
from netops.store.db import Store, open_store
from tests.polling.testlib import ANSWERED_TIMEOUT_S, polling_region

NET = 75
SECRETS = {
    "poll-community": "c0mmunity-lab",
    "poll-v3-auth": "auth-passphrase-1",
    "poll-v3-priv": "priv-passphrase-1",
    "poll-cli-password": "x" * 12,
}
VRP = f"127.{NET}.20.1"  # kashgar-ce1: huawei_vrp8, SNMPv3 authPriv (sha/aes)
COMWARE = f"127.{NET}.22.1"  # kashgar-shufu-ce1: h3c_comware7, v2c
IOS = f"127.{NET}.23.1"  # kashgar-shule-ce1: cisco_ios, v2c
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
V3_OK = ["-v", "3", "-u", "netops", "-l", "authPriv", "-a", "SHA", "-A", "auth-passphrase-1", "-x", "AES"]
# an inform the receiver answers: no retry (a retry of a late answer is answered too, counted twice), a long wait
INFORM_TIMEOUT = "30"
BURST_DEBOUNCE_S = 2.0  # longer than a loaded machine takes to decode a burst of 50 traps
needs_net_snmp = pytest.mark.skipif(shutil.which("snmptrap") is None, reason="net-snmp tools (snmp) missing")


@dataclass
class Rig:
    inv: Inventory
    lab: InProcessLab
    service: IngestService
    store: Store
    trap_port: int
    syslog_port: int
    events: list[DeviceEvent] = field(default_factory=list)

    def dropped(self, channel: Channel, reason: str) -> int:
        return self.service.intake.counts.dropped[(channel, reason)]

    def seen(self, device: str, kind: EventKind, channel: Channel) -> bool:
        return any(e.device == device and e.notice.kind is kind and e.channel is channel for e in self.events)

    def idle(self) -> None:
        task = self.service.trigger._task
        wait_until("the targeted poll to finish", lambda: task is None or task.done())


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    tmp = tmp_path_factory.mktemp("ingest")
    # every device answers but where a test cuts one off: a late answer would be a failed poll and a retry cycle
    inv = load_inventory(polling_region(tmp / "region", net=NET, timeout_s=ANSWERED_TIMEOUT_S))
    secrets = SecretStore(write_secrets(tmp / "secrets.yaml", SECRETS))
    store = open_store(f"sqlite:///{tmp / 'netops.db'}")
    topo = Topology(inv)
    with in_process_lab(inv, secrets, ssh=False, codecs=False) as lab:
        poller = Poller(store, SnmpSource(lambda: inv, secrets), lambda: topo, threshold=2)
        trap_port, syslog_port = free_port(), free_port()
        service = IngestService(
            lambda: inv,
            secrets,
            poller,
            trap_listen=f"127.0.0.1:{trap_port}",
            syslog_listen=f"127.0.0.1:{syslog_port}",
            interval_s=60.0,
        )
        rig = Rig(inv, lab, service, store, trap_port, syslog_port)

        def record(event: DeviceEvent) -> None:
            rig.events.append(event)
            service.on_event(event)

        service.intake.sink = record
        lab.loop.run(service.start())
        emitter = Emitter(
            lab.world,
            secrets,
            trap_collector=("127.0.0.1", trap_port),
            syslog_collector=("127.0.0.1", syslog_port),
        )
        try:
            yield rig
        finally:
            lab.loop.run(emitter.close())
            lab.loop.run(service.stop())
            store.close()


def snmp(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIBS": "", "SNMPCONFPATH": "/nonexistent"}
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, env=env, check=False)


def test_a_lab_link_fault_sends_traps_and_syslog_and_one_targeted_poll_follows(rig: Rig) -> None:
    before = rig.service.trigger.counts.cycles
    fault = rig.lab.call(rig.lab.faults.apply, "link-down", "kashgar-shule-ce1--kashgar-ce1")
    try:
        wait_until(
            "linkDown traps and syslog from both ends",
            lambda: (
                all(
                    rig.seen(dev, EventKind.LINK_DOWN, ch)
                    for dev in ("kashgar-ce1",)
                    for ch in (Channel.TRAP, Channel.SYSLOG)
                )
                and rig.seen("kashgar-ce1", EventKind.NEIGHBOR_DOWN, Channel.SYSLOG)
            ),
        )
        wait_until("a targeted poll cycle stored", lambda: "event" in queries.last_cycles(rig.store))
        rig.idle()
        assert rig.service.trigger.counts.cycles > before
        [down] = [
            e
            for e in rig.events
            if e.device == "kashgar-ce1"
            and e.channel is Channel.TRAP
            and e.notice.kind is EventKind.LINK_DOWN
        ]
        assert down.notice.if_index > 0 and down.notice.interface == "GigabitEthernet0/1/2"
    finally:
        rig.lab.call(rig.lab.faults.clear, fault.id)
    wait_until("linkUp from kashgar-ce1", lambda: rig.seen("kashgar-ce1", EventKind.LINK_UP, Channel.TRAP))


def test_a_burst_of_50_traps_is_one_targeted_poll(rig: Rig) -> None:
    rig.idle()
    emitter = Emitter(rig.lab.world, rig.service.intake.directory.secrets)
    try:
        device = rig.inv.devices["kashgar-shule-ce1"]
        event = LabEvent(LabEventKind.LINK_DOWN, device.id, interface="GigabitEthernet0/1", if_index=1)
        datagrams = [emitter.trap(device, event) for _ in range(50)]
    finally:
        rig.lab.loop.run(emitter.close())
    before = rig.service.trigger.counts.cycles
    accepted = rig.service.intake.counts.events[(Channel.TRAP, EventKind.LINK_DOWN)]
    trigger = rig.service.trigger
    debounce = trigger.debounce_s
    # the burst is sent at once, but on a loaded machine the receiver may take longer than the 0.3 s debounce
    # to decode 50 traps: the late ones would start a second cycle. The burst must fit in the debounce.
    trigger.debounce_s = BURST_DEBOUNCE_S
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((IOS, 0))
            for data in datagrams:
                assert data is not None
                sock.sendto(data, ("127.0.0.1", rig.trap_port))
        wait_until(
            "50 linkDown traps counted",
            lambda: rig.service.intake.counts.events[(Channel.TRAP, EventKind.LINK_DOWN)] >= accepted + 50,
        )
        wait_until("the targeted poll", lambda: trigger.counts.cycles > before)
        rig.idle()
    finally:
        trigger.debounce_s = debounce
    assert rig.service.trigger.counts.cycles == before + 1  # every device answered: no retry, one cycle


@needs_net_snmp
def test_net_snmp_v2c_trap_and_inform_and_a_wrong_community(rig: Rig) -> None:
    to = f"udp:127.0.0.1:{rig.trap_port}"
    vb = ["1.3.6.1.2.1.2.2.1.1.1", "i", "1", "1.3.6.1.2.1.2.2.1.2.1", "s", "GigabitEthernet0/1"]
    n = len(rig.events)
    sent = snmp("snmptrap", "-v", "2c", "-c", "c0mmunity-lab", f"--clientaddr={IOS}", to, "", LINK_DOWN, *vb)
    assert sent.returncode == 0, sent.stderr
    wait_until(
        "the v2c trap",
        lambda: any(
            e.device == "kashgar-shule-ce1" and e.notice.interface == "GigabitEthernet0/1"
            for e in rig.events[n:]
        ),
    )
    answered = rig.service.intake.counts.responses[Channel.TRAP]
    inform = snmp(
        "snmpinform",
        "-v",
        "2c",
        "-c",
        "c0mmunity-lab",
        "-r",
        "0",
        "-t",
        INFORM_TIMEOUT,
        f"--clientaddr={IOS}",
        to,
        "",
        LINK_DOWN,
        *vb,
    )
    assert inform.returncode == 0, inform.stderr  # snmpinform exits 0 only on a Response
    assert rig.service.intake.counts.responses[Channel.TRAP] == answered + 1
    auth = rig.dropped(Channel.TRAP, "auth")
    wrong = snmp(
        "snmpinform",
        "-v",
        "2c",
        "-c",
        "not-the-community",
        "-r",
        "0",
        "-t",
        "1",
        f"--clientaddr={IOS}",
        to,
        "",
        LINK_DOWN,
        *vb,
    )
    assert wrong.returncode != 0  # no Response to a wrong community
    wait_until("the wrong community counted", lambda: rig.dropped(Channel.TRAP, "auth") > auth)


@needs_net_snmp
def test_net_snmp_v3_traps_and_informs_with_the_devices_keys_and_with_wrong_keys(rig: Rig) -> None:
    to = f"udp:127.0.0.1:{rig.trap_port}"
    vb = ["1.3.6.1.2.1.2.2.1.1.3", "i", "3"]
    n = len(rig.events)
    trap = snmp("snmptrap", *V3_OK, "-X", "priv-passphrase-1", f"--clientaddr={VRP}", to, "", LINK_DOWN, *vb)
    assert trap.returncode == 0, trap.stderr
    wait_until(
        "the v3 trap",
        lambda: any(e.device == "kashgar-ce1" and e.notice.if_index == 3 for e in rig.events[n:]),
    )
    inform = snmp(
        "snmpinform",
        *V3_OK,
        "-X",
        "priv-passphrase-1",
        "-r",
        "0",
        "-t",
        INFORM_TIMEOUT,
        f"--clientaddr={VRP}",
        to,
        "",
        LINK_DOWN,
        *vb,
    )
    assert inform.returncode == 0, inform.stderr  # discovery, then the inform answered at authPriv
    auth = rig.dropped(Channel.TRAP, "auth")
    bad = snmp(
        "snmptrap", *V3_OK, "-X", "wrong-priv-passphrase", f"--clientaddr={VRP}", to, "", LINK_DOWN, *vb
    )
    assert bad.returncode == 0
    bad_auth = ["-A" if a == "-A" else a for a in V3_OK]
    bad_auth[bad_auth.index("auth-passphrase-1")] = "wrong-auth-passphrase"
    bad = snmp(
        "snmpinform",
        *bad_auth,
        "-X",
        "priv-passphrase-1",
        "-r",
        "0",
        "-t",
        "1",
        f"--clientaddr={VRP}",
        to,
        "",
        LINK_DOWN,
        *vb,
    )
    assert bad.returncode != 0
    wait_until("both wrong keys counted", lambda: rig.dropped(Channel.TRAP, "auth") >= auth + 2)
    v2c_from_v3 = snmp(
        "snmptrap", "-v", "2c", "-c", "c0mmunity-lab", f"--clientaddr={VRP}", to, "", LINK_DOWN
    )
    assert v2c_from_v3.returncode == 0
    wait_until("a v2c trap from a v3 device refused", lambda: rig.dropped(Channel.TRAP, "auth") >= auth + 3)


def test_garbage_and_unknown_sources_are_counted_and_dropped(rig: Rig) -> None:
    unknown = {ch: rig.dropped(ch, "unknown-source") for ch in Channel}
    garbled = {ch: rig.dropped(ch, "parse-error") for ch in Channel}
    good = (
        snmp(
            "snmptrap",
            "-v",
            "2c",
            "-c",
            "c0mmunity-lab",
            f"--clientaddr={IOS}",
            f"udp:127.0.0.1:{rig.trap_port}",
            "",
            LINK_DOWN,
        )
        if shutil.which("snmptrap")
        else None
    )
    junk = [
        b"",
        os.urandom(64),
        b"\x30\x82\xff\xff\x02\x01\x01",  # a length past the end
        b"\x30\x0b\x02\x01\x01\x04\x06public",  # a community message without a PDU
        b"\x30\x1a\x02\x01\x01\x04\x0cc0mmunity-lab\xa0\x07\x02\x01\x01\x02\x01\x00",  # truncated GET
        b"\x30\x26\x02\x01\x00\x04\x0cc0mmunity-lab\xa4\x13\x06\x01\x2b\x40\x04\x7f\x00\x00\x01"
        b"\x02\x01\x02\x02\x01\x00\x43\x01\x00\x30\x00",  # an SNMPv1 trap
        b"\x30" + bytes(200),
    ]
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dev,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger,
    ):
        dev.bind((IOS, 0))
        stranger.bind(("127.0.0.1", 0))
        for data in junk:
            dev.sendto(data, ("127.0.0.1", rig.trap_port))
            dev.sendto(data, ("127.0.0.1", rig.syslog_port))
            stranger.sendto(data or b"x", ("127.0.0.1", rig.trap_port))
        stranger.sendto(
            b"<187>%LINK-3-UPDOWN: Interface Gi0/1, changed state to down", ("127.0.0.1", rig.syslog_port)
        )
    n = len(junk)
    wait_until(
        "garbled traps counted", lambda: rig.dropped(Channel.TRAP, "parse-error") >= garbled[Channel.TRAP] + n
    )
    wait_until(
        "garbled syslog counted",
        lambda: rig.dropped(Channel.SYSLOG, "parse-error") >= garbled[Channel.SYSLOG] + n,
    )
    wait_until(
        "unknown sources counted",
        lambda: (
            rig.dropped(Channel.TRAP, "unknown-source") >= unknown[Channel.TRAP] + n
            and rig.dropped(Channel.SYSLOG, "unknown-source") > unknown[Channel.SYSLOG]
        ),
    )
    if good is not None:
        assert good.returncode == 0
    # the receiver still works after all that
    k = len(rig.events)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dev:
        dev.bind((COMWARE, 0))
        dev.sendto(
            b"<187>Dec  5 20:00:00:001 2026 kashgar-shufu-ce1 %%10IFNET/3/PHY_UPDOWN: Physical state on the "
            b"interface GigabitEthernet1/0/1 changed to down.",
            ("127.0.0.1", rig.syslog_port),
        )
    wait_until(
        "a good message after the garbage",
        lambda: any(
            e.device == "kashgar-shufu-ce1" and e.notice.kind is EventKind.LINK_DOWN for e in rig.events[k:]
        ),
    )


def test_syslog_over_tcp_octet_counted_and_newline_framed(rig: Rig) -> None:
    lines = [
        b"<189>1432: kashgar-shule-ce1: Jun  1 12:50:26.172: %LINEPROTO-5-UPDOWN: Line protocol on Interface "
        b"GigabitEthernet0/1, changed state to down",
        b"<189>1433: kashgar-shule-ce1: Jun  1 12:50:27.001: %OSPF-5-ADJCHG: Process 1, Nbr 127.75.20.1 on "
        b"GigabitEthernet0/1 from FULL to DOWN, Neighbor Down: Interface down or detached",
    ]
    k = len(rig.events)
    with socket.create_connection(("127.0.0.1", rig.syslog_port), source_address=(IOS, 0)) as conn:
        conn.sendall(b"%d %s" % (len(lines[0]), lines[0]) + lines[1] + b"\n")
    wait_until(
        "both TCP frames",
        lambda: (
            {e.notice.kind for e in rig.events[k:] if e.device == "kashgar-shule-ce1"}
            >= {EventKind.LINK_DOWN, EventKind.NEIGHBOR_DOWN}
        ),
    )
    if shutil.which("logger"):  # util-linux logger: an independent TCP sender (from 127.0.0.1: unknown)
        unknown = rig.dropped(Channel.SYSLOG, "unknown-source")
        run = subprocess.run(
            [
                "logger",
                "--tcp",
                "-n",
                "127.0.0.1",
                "-P",
                str(rig.syslog_port),
                "--rfc5424",
                "%LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
            ],
            timeout=30,
            check=False,
        )
        assert run.returncode == 0
        wait_until(
            "logger's connection counted", lambda: rig.dropped(Channel.SYSLOG, "unknown-source") > unknown
        )


@pytest.mark.skipif(not Path("/usr/sbin/snmptrapd").exists(), reason="net-snmp snmptrapd missing")
def test_snmptrapd_receives_the_lab_devices_traps(rig: Rig, tmp_path: Path) -> None:
    port = free_port()
    engine = engine_id_for("kashgar-ce1", PLATFORMS[rig.inv.devices["kashgar-ce1"].platform].enterprise)
    conf = tmp_path / "snmptrapd.conf"
    conf.write_text(
        "authCommunity log c0mmunity-lab\n"
        f"createUser -e 0x{engine.hex()} netops SHA auth-passphrase-1 AES priv-passphrase-1\n"
        "authUser log netops authPriv\n",
        encoding="utf-8",
    )
    log = tmp_path / "traps.log"
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(tmp_path / "persist")}
    proc = subprocess.Popen(
        ["/usr/sbin/snmptrapd", "-f", "-C", "-c", str(conf), "-On", "-Lf", str(log), f"udp:127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    secrets = rig.service.intake.directory.secrets
    emitter = Emitter(rig.lab.world, secrets, trap_collector=("127.0.0.1", port))
    try:
        wait_until(
            "snmptrapd started", lambda: log.exists() and "NET-SNMP" in log.read_text("utf-8", "replace")
        )
        fault = rig.lab.call(rig.lab.faults.apply, "link-down", "kashgar-shufu-ce1--kashgar-ce1")
        rig.lab.call(rig.lab.faults.clear, fault.id)

        def logged() -> bool:
            text = log.read_text("utf-8", "replace")
            return all(f"[{src}]" in text for src in (VRP, COMWARE)) and f".{LINK_DOWN}" in text

        wait_until("snmptrapd logs linkDown from the VRP (v3) and Comware (v2c) devices", logged)
    finally:
        rig.lab.loop.run(emitter.close())
        proc.terminate()
        proc.wait(10)
    text = log.read_text("utf-8", "replace")
    assert ".1.3.6.1.6.3.1.1.5.4" in text  # and linkUp after the clear
