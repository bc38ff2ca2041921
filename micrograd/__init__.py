"""micrograd: a scalar autograd engine, compatible with karpathy/micrograd 0.1.0, that a debugger can listen to."""

from .engine import Value
from .events import current_scope, listen, listeners, scope

__all__ = [
    "Value",
    "current_scope",
    "gradcheck",
    "listen",
    "listeners",
    "scope",
    "torch_crosscheck",
]
__version__ = "0.1.0"


def __getattr__(name):
    # the checks import lazily: torch_crosscheck pulls in torch only when called
    if name in ("gradcheck", "torch_crosscheck"):
        from . import check

        return getattr(check, name)
    raise AttributeError(f"module 'micrograd' has no attribute {name!r}")
