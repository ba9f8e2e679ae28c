"""Video-conference readiness: conferences, room checks, the readiness rule, prechecks, the board.

Data flow: conferences (``conferences.py`` files, ``store.py`` API-created) -> ``precheck.Prechecker`` runs the
checks of every room (``checks.py`` against the codec, ``pollchecks.py`` from polling's store) -> ``rule.py``
gives each room a colour -> results in the store -> ``board.py`` (API, CLI), ``metrics.VcCollector``, events on
the runtime's bus. ``schedule.schedule_prechecks`` puts the T-60/T-15/T-5 and live rounds on APScheduler.
"""
