"""Numbers at the engine's edges: what counts as a number, and powers as torch computes them.

`engine.py` keeps to the math; the checks and IEEE corner cases live here so a
student can skip them on a first reading.
"""

from __future__ import annotations

import math
from numbers import Real


def real(x, what):
    """`x` as a Python float, or a TypeError naming what was passed instead."""
    if type(x) is float:
        return x
    if isinstance(x, Real):  # int, bool, fractions, numpy integer and float scalars
        return float(x)
    if type(x).__module__ == "numpy" and getattr(x, "ndim", None) == 0:
        try:  # numpy bool (what `a > 0` gives) is not a numbers.Real; nor a 0-d array
            return float(x)
        except (TypeError, ValueError):
            pass
    if hasattr(x, "_backward") and hasattr(x, "data"):  # a Value (ours or anyone's)
        raise TypeError(
            f"{what} must be a number, got a Value ({x!r}); "
            "use the Value itself, or its .data to copy the number"
        )
    raise TypeError(
        f"{what} must be a real number (int, float, bool or a numpy scalar), "
        f"got {type(x).__name__}: {x!r:.60}"
    )


def is_array(x) -> bool:
    """A numpy array (or another array type): an op with it belongs to the array.

    `Value * array` then returns NotImplemented, and numpy makes an object array
    of Values, one per element, as it did with micrograd 0.1.0.
    """
    return (
        hasattr(x, "__array_ufunc__")
        and not isinstance(x, Real)
        and bool(getattr(x, "ndim", 0))
    )


def text(label):
    if not isinstance(label, str):
        raise TypeError(
            f"label must be a str, got {type(label).__name__}: {label!r:.60}"
        )
    return label


def check_real_power(x, k):
    if x < 0 and not float(k).is_integer():
        raise ValueError(
            f"{x!r} ** {k!r} is not a real number (negative base, non-integer "
            "exponent); take the power of abs(x) and restore the sign yourself"
        )


def ieee_pow(x, k):
    """x ** k, but overflow gives inf and 0 ** negative gives inf, as in IEEE and torch."""
    try:
        return x**k
    except (OverflowError, ZeroDivisionError):
        odd = float(k).is_integer() and k % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf


def number_pow(x, k):
    """x ** k for a number k, as torch's pow with a number exponent computes it: at a
    zero base the exponents 0.5 and -0.5 go through sqrt and 1/sqrt, which keep the
    sign of -0.0 ((-0.0) ** 0.5 = -0.0, (-0.0) ** -0.5 = -inf; C's pow: +0.0, +inf).
    Elsewhere ieee_pow's floats (torch's special kernels agree within an ulp)."""
    if x == 0 and (k == 0.5 or k == -0.5):
        return x if k > 0 else math.copysign(math.inf, x)
    return ieee_pow(x, k)


def pow_exponent_derivative(a, b, out):
    # torch: d(a^b)/db = a^b ln a, and 0 where a == 0 and b >= 0; ln of a < 0 is nan
    if a > 0:
        return out * math.log(a)
    if a == 0 and b >= 0:
        return 0.0
    return math.nan
