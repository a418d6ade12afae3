"""The flow decorator our flows use: Prefect's, with plain parameters sent as they are.

Our flow parameters are intake names, plan ids and ISO dates: strings, numbers or None,
never patient data. Prefect serialises every parameter with FastAPI's
``jsonable_encoder`` when it creates a run, and importing FastAPI for that costs
0.22 CPU-seconds per ``chartvault ingest`` (1 % of a 20-document batch on 2 cores,
taken from the OCR workers). Plain values need no encoder; anything else still goes
through Prefect's own serialisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Flow, State
from prefect.futures import PrefectFuture

P = ParamSpec("P")
R = TypeVar("R")

PLAIN = (str, int, float, bool, type(None))


class PlainParamsFlow(Flow[P, R]):
    """A Prefect flow that sends plain parameter values without FastAPI's encoder."""

    def serialize_parameters(
        self, parameters: dict[str, Any | PrefectFuture[Any] | State]
    ) -> dict[str, Any]:
        if all(isinstance(v, PLAIN) for v in parameters.values()):
            return dict(parameters)
        return super().serialize_parameters(parameters)


def flow(**options: Any) -> Callable[[Callable[P, R]], PlainParamsFlow[P, R]]:
    """``prefect.flow(**options)`` for our flows (always called with options)."""

    def decorate(fn: Callable[P, R]) -> PlainParamsFlow[P, R]:
        return PlainParamsFlow(fn=fn, **options)

    return decorate
