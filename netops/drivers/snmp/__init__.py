"""SNMP I/O for the health poller: sessions over netops' own codec (``fast``: v2c and v3 USM with SHA/AES on one
shared UDP socket) and over pysnmp (everything else: DES, AES-192/256), the OIDs per vendor, and ``collect``
that turns answers into a ``DeviceSample``. ``source.SnmpSource`` picks the session per SNMP profile."""
