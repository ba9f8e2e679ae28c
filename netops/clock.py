"""Steps of the wall clock (NTP stepping a wrong clock, a VM resumed), seen by comparing it with the monotonic
clock: the scheduler moves its interval jobs by a step, the poller the stamps it keeps (``netops/scheduler.py``,
``netops/polling/poller.py``)."""

from __future__ import annotations

import time

CLOCK_STEP_S = (
    1.0  # the two clocks advancing apart by more than this between two looks: a step (slewing is ppm)
)


class StepWatch:
    """The wall clock's step between two looks."""

    def __init__(self) -> None:
        self._ref = (time.time(), time.monotonic())

    def step(self) -> float:
        """The wall clock's step since the last call (0.0 when the two clocks advanced alike)."""
        wall, mono = time.time(), time.monotonic()
        ref_wall, ref_mono = self._ref
        self._ref = (wall, mono)
        step = (wall - ref_wall) - (mono - ref_mono)
        return step if abs(step) > CLOCK_STEP_S else 0.0
