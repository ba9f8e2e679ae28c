"""SNMP health polling: poll results -> status with hysteresis -> root cause -> incidents (issue 4)."""
