"""``SnmpSource``: the poller's sample source. Builds a session per device from its SNMP profile and turns
every failure into a failed ``DeviceSample`` with a bounded reason (timeout, auth, config, protocol)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from netops.drivers.snmp import pysnmp_session
from netops.drivers.snmp.collect import collect
from netops.drivers.snmp.session import SnmpAuthError, SnmpProtocolError, SnmpTimeout
from netops.errors import NetopsError, SecretError
from netops.inventory.models import Device, Inventory, SnmpProfile
from netops.polling.model import DeviceSample
from netops.secrets import SecretStore

log = logging.getLogger(__name__)


class SnmpSource:
    def __init__(
        self, inventory: Callable[[], Inventory], secrets: SecretStore, max_repetitions: int = 25
    ) -> None:
        self.inventory = inventory
        self.secrets = secrets
        self.max_repetitions = max_repetitions
        self._auth: dict[str, Any] = {}  # profile id -> pysnmp auth data (secrets resolved once)

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

    async def poll(self, device: Device) -> DeviceSample:
        t0 = time.time()

        def failed(reason: str, detail: str) -> DeviceSample:
            return DeviceSample(
                device=device.id,
                polled_at=t0,
                duration_s=time.time() - t0,
                ok=False,
                error=reason,
                detail=detail,
            )

        inv = self.inventory()
        if device.snmp_profile is None or device.snmp_profile not in inv.snmp_profiles:
            return failed("config", f"no SNMP profile {device.snmp_profile!r}")
        profile = inv.snmp_profiles[device.snmp_profile]
        try:
            auth = self._auth_for(profile)
        except SecretError as exc:
            return failed("config", str(exc))
        session = None
        try:
            session = await pysnmp_session.PysnmpSession.open(
                device.id, str(device.address), device.snmp_port, auth, profile.timeout_s, profile.retries
            )
            return await collect(device, session, self.max_repetitions)
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
