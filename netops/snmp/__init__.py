"""The SNMP wire protocol, written for speed: BER (``ber``), messages and PDUs (``message``), USM (``usm``).

Shared by the lab's agents (``netops.lab.snmp``) and the poller's driver (``netops.drivers.snmp``); checked
byte for byte against pyasn1/pysnmp with hypothesis (tests/lab/snmp/test_snmp_codec.py).
"""
