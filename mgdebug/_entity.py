"""Entity ids: the identity a recorder gives each Value it meets, kept in the Value's `_tag`.

micrograd reserves one slot, `_tag`, for listeners and never reads it. A recorder
writes an entity id there the first time it meets a Value; the id stays, so the
same parameter is the same entity in every step and in every trace that met it.
Recorder r owns the ids [r << 40, (r + 1) << 40): nodes built during a step take
consecutive ids, Values met from before (imported) take ids with bit 39 set, so
they never fall inside a step's range.
"""

from __future__ import annotations

from typing import Any

ENTITY_BITS = 40
IMPORTED_BIT = 1 << 39


def entity_of(value: Any) -> int | None:
    """The entity id a recorder gave `value`, or None if none has met it."""
    return getattr(value, "_tag", None)


def set_entity(value: Any, entity: int) -> None:
    value._tag = entity
