"""Named numpy columns to bytes and back: the one binary layout of traces and widget data.

Layout (docs/trace-format.md, "Binary bundle"; js/src/data/decode.ts reads the same):

    u32 version | u32 header_len | header (UTF-8 JSON) | pad to 8 | column bytes...

The header is `{"meta": {...}, "columns": [{"name", "dtype", "shape"}, ...]}`;
each column follows in header order, little-endian, padded to 8 bytes. Only the
dtypes in `DTYPES` exist, so a file can describe nothing but flat numbers.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

VERSION = 1
DTYPES = {"u1": "<u1", "u2": "<u2", "u4": "<u4", "i4": "<i4", "i8": "<i8", "f8": "<f8"}
_MAX_HEADER = 16 << 20


class BundleError(ValueError):
    """The bytes are not a valid bundle (truncated, corrupted or not ours)."""


def encode(columns: dict[str, np.ndarray], meta: dict[str, Any]) -> bytes:
    """Pack `columns` (1-D arrays of the DTYPES kinds) and a JSON-able `meta`."""
    specs, blobs = [], []
    for name, array in columns.items():
        code = _dtype_code(name, array)
        specs.append({"name": name, "dtype": code, "shape": [int(array.shape[0])]})
        blob = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
        blobs.append(blob + b"\0" * (-len(blob) % 8))
    header = json.dumps({"meta": meta, "columns": specs}, allow_nan=False).encode()
    head = struct.pack("<II", VERSION, len(header)) + header
    head += b"\0" * (-len(head) % 8)
    return head + b"".join(blobs)


def decode(data: bytes | memoryview) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The inverse of `encode`; raises BundleError naming what is wrong."""
    view = memoryview(data).cast("B")
    if len(view) < 8:
        raise BundleError(f"bundle too short ({len(view)} bytes) to hold a header")
    version, header_len = struct.unpack_from("<II", view, 0)
    if version != VERSION:
        raise BundleError(
            f"bundle version {version} is not supported (expected {VERSION})"
        )
    if 8 + header_len > len(view):
        raise BundleError(f"header length {header_len} runs past the end of the data")
    if header_len > _MAX_HEADER:  # a header holds names and notes, not the columns
        raise BundleError(f"header of {header_len:,} bytes, past {_MAX_HEADER:,}")
    try:
        header = json.loads(bytes(view[8 : 8 + header_len]).decode())
        specs, meta = header["columns"], header["meta"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise BundleError(f"header is not valid bundle JSON: {e}") from None
    except RecursionError:  # a header of deeply nested brackets
        raise BundleError("header JSON is nested too deeply") from None
    if not isinstance(specs, list):
        raise BundleError("header 'columns' must be a list")
    offset = _align8(8 + header_len)
    columns: dict[str, np.ndarray] = {}
    for spec in specs:
        name, code, count = _check_spec(spec)
        nbytes = count * np.dtype(DTYPES[code]).itemsize
        if offset + nbytes > len(view):
            raise BundleError(
                f"column {name!r} runs past the end of the data (truncated?)"
            )
        columns[name] = np.frombuffer(
            view, dtype=DTYPES[code], count=count, offset=offset
        )
        offset = _align8(offset + nbytes)
    if offset != len(view):  # a bundle ends with its last column's padding
        raise BundleError(
            f"{len(view) - offset} bytes after the last column (truncated padding?)"
        )
    return columns, meta


def _dtype_code(name: str, array: np.ndarray) -> str:
    if array.ndim != 1:
        raise ValueError(f"column {name!r} must be 1-D, got shape {array.shape}")
    code = array.dtype.str.lstrip("<>|=")
    if code not in DTYPES:
        raise ValueError(
            f"column {name!r} has dtype {array.dtype}; use one of {list(DTYPES)}"
        )
    return code


def _check_spec(spec: Any) -> tuple[str, str, int]:
    try:
        name, code, (count,) = spec["name"], spec["dtype"], spec["shape"]
    except (KeyError, TypeError, ValueError):
        raise BundleError(f"malformed column description {spec!r:.100}") from None
    if not isinstance(name, str):
        raise BundleError(f"column name {name!r:.60} is not a string")
    if code not in DTYPES:
        raise BundleError(f"column {name!r:.60} has unknown dtype {code!r:.20}")
    if not isinstance(count, int) or count < 0:
        raise BundleError(f"column {name!r} has invalid length {count!r:.20}")
    return name, code, count


def _align8(n: int) -> int:
    return n + (-n % 8)
