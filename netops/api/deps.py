"""Typed dependencies so routes read like prose: ``def route(rt: RuntimeDep)``."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from netops.api.devicework import DeviceWork
from netops.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


def get_device_work(request: Request) -> DeviceWork:
    work = getattr(request.app.state, "device_work", None)
    if work is None:
        work = request.app.state.device_work = DeviceWork()
    return cast(DeviceWork, work)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DeviceWorkDep = Annotated[DeviceWork, Depends(get_device_work)]
