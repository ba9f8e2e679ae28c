"""Emergency-plan runbooks: YAML playbooks validated into a catalog, run step by step by a persistent engine.

    schema.py    the YAML shape (pydantic)            catalog.py   load + validate a folder, file:line errors
    expr.py      sandboxed Jinja2                      params.py    typed parameters and approval inputs
    records.py   runs, steps, approvals, transcript    engine.py    create / execute / approve / cancel / resume
    steps.py     one step: when, retries, timeout      actions.py   device reads, commands, webhooks, ConfigPusher
    plan.py      dry run (writes nothing)              service.py   background runs of a running netops
    triggers.py  Alertmanager + internal events        metrics.py   Prometheus collector

Sits above drivers/, polling/ and the store; the API (``api/runbook_routes.py``, ``api/alert_routes.py``) and the
CLI (``cli/runbook.py``) call it. See docs/runbooks.md.
"""
