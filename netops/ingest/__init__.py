"""Event-driven detection: SNMP traps and syslog from the devices, turned into targeted polls.

Data flow (one way)::

    UDP/TCP datagram --receiver.py--> (source address -> inventory device; counted, dropped if unknown)
        --traps.py / syslog.py--> DeviceEvent (link down/up, neighbour down/up, cold/warm start, auth failure)
        --trigger.py--> one debounced, targeted poll of the device and its neighbours (polling confirms:
                        a trap alone never opens an incident)

``usm.py`` is the receiver's side of SNMPv3 (the devices' credentials from the inventory and the secret
store, as the poller uses them); ``metrics.py`` exports the counters; ``service.py`` starts and stops it all
inside ``netops serve`` when ``NETOPS_TRAP_LISTEN`` / ``NETOPS_SYSLOG_LISTEN`` are set (docs/ingest.md).
"""
