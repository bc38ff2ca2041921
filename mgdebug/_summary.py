"""What is always kept of a training step, even when its graph is not."""

from __future__ import annotations

from array import array
from dataclasses import dataclass


@dataclass
class StepSummary:
    """A step's loss, sizes, times and its persistent leaves' values and grads."""

    index: int
    loss: float  # the backward root's value (nan if the step had no backward)
    has_backward: bool
    backward_completed: bool
    num_created: int
    num_visits: int
    started_ns: int
    backward_ns: int
    ended_ns: int
    # arrays ('q', 'd', 'd'), not lists: a long run would otherwise hold three Python
    # objects per parameter per step, and those scatter the Values of later steps
    # over memory (the demo's traced step slowed from ~150 to ~220 ms over 100 steps)
    param_entity: array
    param_value: array
    param_grad: array
    kept: bool = False  # its graph is held for good (else maybe as the latest only)

    @property
    def num_events(self) -> int:
        return self.num_created + (1 + self.num_visits if self.has_backward else 0)
