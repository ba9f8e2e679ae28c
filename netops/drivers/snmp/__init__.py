"""SNMP I/O for the health poller: sessions (pysnmp today; a lean codec for the v2c hot path is planned),
the OIDs per vendor, and ``collect`` that turns answers into a ``DeviceSample``."""
