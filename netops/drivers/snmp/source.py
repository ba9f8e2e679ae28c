"""``SnmpSource``: the poller's sample source. Builds a session per device from its SNMP profile and turns
every failure into a failed ``DeviceSample`` with a bounded reason (timeout, auth, config, protocol).

Two engines: ``"fast"`` (default) polls with ``fast.FastSession`` on netops' own codec over one shared UDP
socket (``fast_client.SnmpClient``) for v2c and for v3 profiles it serves (MD5/SHA/SHA-2 with AES-128 or no
privacy); other v3 profiles (DES, AES-192/256) and ``engine="pysnmp"`` use ``pysnmp_session``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from netops.drivers.snmp import pysnmp_session
from netops.drivers.snmp.collect import TableRows, collect
from netops.drivers.snmp.fast import Credentials, FastSession, V2cCredentials
from netops.drivers.snmp.fast_client import SnmpClient
from netops.drivers.snmp.fast_usm import V3Credentials, supports
from netops.drivers.snmp.session import SnmpAuthError, SnmpProtocolError, SnmpSession, SnmpTimeout
from netops.errors import NetopsError, SecretError
from netops.inventory.models import Device, Inventory, SnmpProfile
from netops.polling.model import DeviceSample
from netops.secrets import SecretStore
from netops.snmp.usm import UsmError

log = logging.getLogger(__name__)


ENGINES = ("fast", "pysnmp")


class SnmpSource:
    def __init__(
        self,
        inventory: Callable[[], Inventory],
        secrets: SecretStore,
        max_repetitions: int = 25,
        engine: str = "fast",
        max_in_flight: int = 128,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown SNMP engine {engine!r} (known: {', '.join(ENGINES)})")
        self.inventory = inventory
        self.secrets = secrets
        self.max_repetitions = max_repetitions
        self.engine = engine
        self.client = SnmpClient(max_in_flight=max_in_flight)  # shared by the fast sessions
        self._auth: dict[str, Any] = {}  # profile id -> pysnmp auth data (secrets resolved once)
        self._fast: dict[str, Credentials] = {}  # profile id -> fast-session credentials
        self.rows: dict[str, TableRows] = {}  # device id -> row count per table, sizes the next GETBULKs

    def uses_fast(self, profile: SnmpProfile) -> bool:
        """Whether this source polls ``profile`` with the fast session."""
        if self.engine != "fast":
            return False
        return profile.version == "2c" or supports(profile.auth_protocol, profile.priv_protocol)

    def _fast_for(self, profile: SnmpProfile) -> Credentials:
        creds = self._fast.get(profile.id)
        if creds is None:
            if profile.version == "2c":
                assert profile.community is not None
                creds = V2cCredentials(self.secrets.get(profile.community).encode())
            else:
                assert profile.user is not None
                try:
                    creds = V3Credentials(
                        profile.user,
                        profile.auth_protocol,
                        self.secrets.get(profile.auth_key) if profile.auth_key else None,
                        profile.priv_protocol,
                        self.secrets.get(profile.priv_key) if profile.priv_key else None,
                    )
                except (UsmError, ValueError) as exc:
                    raise SecretError(f"SNMP profile {profile.id!r}: {exc}") from exc
            self._fast[profile.id] = creds
        return creds

    def _auth_for(self, profile: SnmpProfile) -> Any:
        auth = self._auth.get(profile.id)
        if auth is None:
            if profile.version == "2c":
                assert profile.community is not None
                auth = pysnmp_session.v2c(self.secrets.get(profile.community))
            else:
                assert profile.user is not None
                auth = pysnmp_session.v3(
                    profile.user,
                    profile.auth_protocol,
                    self.secrets.get(profile.auth_key) if profile.auth_key else None,
                    profile.priv_protocol,
                    self.secrets.get(profile.priv_key) if profile.priv_key else None,
                )
            self._auth[profile.id] = auth
        return auth

    def forget_credentials(self) -> None:
        """Drop resolved credentials (after the inventory or the secrets changed)."""
        self._auth.clear()
        self._fast.clear()

    async def poll(self, device: Device, *, retries: int | None = None) -> DeviceSample:
        """One device's sample; ``retries`` overrides the profile's (a targeted poll of a device whose
        neighbours reported it cut off asks once: ``netops.ingest``)."""
        t0, m0 = time.time(), time.monotonic()  # a stamp; a duration (immune to clock steps)

        def failed(reason: str, detail: str) -> DeviceSample:
            return DeviceSample(
                device=device.id,
                polled_at=t0,
                duration_s=time.monotonic() - m0,
                ok=False,
                error=reason,
                detail=detail,
            )

        inv = self.inventory()
        if device.snmp_profile is None or device.snmp_profile not in inv.snmp_profiles:
            return failed("config", f"no SNMP profile {device.snmp_profile!r}")
        profile = inv.snmp_profiles[device.snmp_profile]
        fast = self.uses_fast(profile)
        try:
            auth = self._fast_for(profile) if fast else self._auth_for(profile)
        except SecretError as exc:
            return failed("config", str(exc))
        session: SnmpSession | None = None
        try:
            if fast:
                session = FastSession(
                    self.client,
                    device.id,
                    str(device.address),
                    device.snmp_port,
                    auth,
                    profile.timeout_s,
                    profile.retries if retries is None else retries,
                )
            else:
                session = await pysnmp_session.PysnmpSession.open(
                    device.id,
                    str(device.address),
                    device.snmp_port,
                    auth,
                    profile.timeout_s,
                    profile.retries if retries is None else retries,
                )
            rows = self.rows.setdefault(device.id, {})
            return await collect(device, session, self.max_repetitions, rows)
        except SnmpTimeout as exc:
            return failed("timeout", str(exc))
        except SnmpAuthError as exc:
            return failed("auth", str(exc))
        except SnmpProtocolError as exc:
            return failed("protocol", str(exc))
        except NetopsError as exc:
            return failed("protocol", str(exc))
        except OSError as exc:
            return failed("refused", f"{device.id}: {exc.strerror or exc}")
        finally:
            if session is not None:
                session.close()
