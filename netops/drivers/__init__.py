"""Drivers: how netops talks to devices (SNMP, CLI, platform transactions, probes)."""
