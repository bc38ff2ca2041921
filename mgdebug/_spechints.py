"""Did you mean ...? Near-misses of the breakpoint grammar's keywords, for clear errors.

A typo in a spec must not quietly become a label glob that matches nothing
(`nonfinte`, `grda>10`, `Op:tanh`, `step 5`): before the parser (`breakpoints.py`)
takes a bare word as a label, or gives up on a term, it asks here what the
user probably meant. A label that really looks like a keyword can always be
written `label:NAME`.

"Near" is an edit distance (insertions, deletions, substitutions and swaps of
two neighbours) of at most 1, or 2 for a word longer than five letters, ignoring
case. js/src/data/specs.ts checks specs as the user types with the same rules
and messages (js/fixtures/specs.json holds cases both must agree on).
"""

from __future__ import annotations

import re

PREFIXES = ("op", "scope", "step", "label")
FIELDS = ("grad", "value")
# words people write for "not a finite number"
NONFINITE_WORDS = ("nan", "inf", "isnan", "isinf", "non-finite", "non_finite",
                   "notfinite", "infinite", "anomaly", "nonfinite")  # fmt: skip
_LEADING_WORD = re.compile(r"^\s*(?:abs\s*\(\s*)?(?P<word>[A-Za-z_][\w-]*)")
_ALL = "(prefixes: op: scope: step: label:)"


def bare_word(text: str) -> str | None:
    """What is wrong with taking `text` as a label, or None if nothing seems to be."""
    word = text.lower()
    if word in NONFINITE_WORDS or near(word, "nonfinite"):
        return f"{text!r}: did you mean 'nonfinite'?" + _as_label(text)
    if word in (*FIELDS, "abs"):
        return (
            f"{text!r} alone is not a condition: compare it, e.g. grad>10, "
            f"abs(grad)>=1e3, value<0" + _as_label(text)
        )
    return None


def failed_term(text: str) -> str:
    """A hint for a term that does not parse: the keyword it was probably meant to use."""
    if ":" in text:
        prefix, rest = (part.strip() for part in text.split(":", 1))
        best = closest(prefix.lower(), PREFIXES)
        if best:
            return f"; did you mean '{best}:{rest}'? {_ALL}"
        return f"; {prefix!r} is no prefix {_ALL}"
    match = _LEADING_WORD.match(text)
    if not match:
        return ""
    word, rest = match["word"].lower(), text[match.end() :].lstrip()
    if rest[:1] in ("<", ">", "=", "!", ")"):  # a condition on a misspelt field
        best = closest(word, FIELDS) or next(
            (f for f in FIELDS if word.startswith(f)), None
        )
        if best and best != word:
            return f"; did you mean '{best}'? (a condition compares value or grad)"
    best = closest(word, ("op", "scope", "step"))
    if best and rest:
        return f"; did you mean '{best}:{rest}'?"
    return ""


def near(word: str, keyword: str) -> bool:
    return distance(word, keyword) <= (1 if len(keyword) <= 5 else 2)


def closest(word: str, keywords) -> str | None:
    """The first of `keywords` nearest to `word`, if any is near."""
    best, best_distance = None, None
    for keyword in keywords:
        d = distance(word, keyword)
        if near(word, keyword) and (best_distance is None or d < best_distance):
            best, best_distance = keyword, d
    return best


def distance(a: str, b: str) -> int:
    """Edits from `a` to `b`: insert, delete, substitute, or swap two neighbours."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _as_label(text: str) -> str:
    return f" (to break on a node labelled {text!r}, write label:{text})"
