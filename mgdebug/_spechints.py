"""Did you mean ...? Near-misses of the breakpoint grammar's keywords, for clear errors.

A typo in a spec must not quietly become a label glob that matches nothing
(`nonfinte`, `grda>10`, `Op:tanh`, `step 5`): before the parser (`breakpoints.py`)
takes a bare word as a label, or gives up on a term, it asks here what the
user probably meant. A label that really looks like a keyword can always be
written `label:NAME`.
"""

from __future__ import annotations

import difflib
import re

PREFIXES = ("op", "scope", "step", "label")
FIELDS = ("grad", "value")
# words people write for "not a finite number"
_NONFINITE = {"nan", "inf", "isnan", "isinf", "non-finite", "non_finite", "notfinite",
              "infinite", "anomaly", "nonfinite"}  # fmt: skip
_LEADING_WORD = re.compile(r"^\s*(?P<abs>abs\s*\(\s*)?(?P<word>[A-Za-z_][\w-]*)")


def bare_word(text: str) -> str | None:
    """What is wrong with taking `text` as a label, or None if nothing seems to be."""
    folded = text.casefold()
    if folded in _NONFINITE or _close(folded, ["nonfinite"], 0.8):
        return f"{text!r}: did you mean 'nonfinite'?" + _as_label(text)
    if folded in FIELDS or folded == "abs":
        return (
            f"{text!r} alone is not a condition: compare it, e.g. grad>10, "
            f"abs(grad)>=1e3, value<0" + _as_label(text)
        )
    return None


def failed_term(text: str) -> str:
    """A hint for a term that does not parse: the keyword it was probably meant to use."""
    if ":" in text:
        prefix, rest = (part.strip() for part in text.split(":", 1))
        best = _close(prefix.casefold(), PREFIXES, 0.5)
        if best:
            return (
                f"; did you mean '{best}:{rest}'? (prefixes: op: scope: step: label:)"
            )
        return f"; {prefix!r} is no prefix (prefixes: op: scope: step: label:)"
    match = _LEADING_WORD.match(text)
    if match:
        word = match["word"].casefold()
        rest = text[match.end() :].lstrip()
        if rest[:1] in ("<", ">", "=", "!", ")"):  # a condition on a misspelt field
            best = _close(word, FIELDS, 0.5)
            if best and best != word:
                return f"; did you mean {best!r}? (a condition compares value or grad)"
        best = _close(word, [p for p in PREFIXES if p != "label"], 0.75)
        if best and rest:
            return f"; did you mean '{best}:{rest}'?"
    return ""


def _close(word: str, choices, cutoff: float) -> str | None:
    found = difflib.get_close_matches(word, list(choices), 1, cutoff)
    return found[0] if found else None


def _as_label(text: str) -> str:
    return f" (to break on a node labelled {text!r}, write label:{text})"
