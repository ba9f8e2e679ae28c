"""E-government service checks (issue 16): from the centre with netops' own probes (``centre.py``) and from
each site through its router's NQA / IP SLA probes read over SNMP (``router.py``); one cycle (``cycle.py``)
stores the results (``records.py``, table ``service_checks``) that metrics (``metrics.py``), the CLI and the
assessment report read. See docs/services.md."""
