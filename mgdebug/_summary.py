"""What is always kept of a training step, even when its graph is not."""

from __future__ import annotations

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
    param_entity: list[int]
    param_value: list[float]
    param_grad: list[float]
    kept: bool = False  # its graph is held for good (else maybe as the latest only)

    @property
    def num_events(self) -> int:
        return self.num_created + (1 + self.num_visits if self.has_backward else 0)
