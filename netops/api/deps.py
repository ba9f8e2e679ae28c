"""Typed dependencies so routes read like prose: ``def route(rt: RuntimeDep)``."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from netops.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
