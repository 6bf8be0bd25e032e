"""Natural order of names: digit runs compared as numbers, the rest case-insensitively
(``layer2`` before ``layer10``), as the page orders tags and categories (js/src/lib/tags.ts).

>>> sorted(["layer10/w", "Layer2/w", "layer1/b"], key=natural_key)
['layer1/b', 'Layer2/w', 'layer10/w']
>>> sorted(["²", "x10", "x9"], key=natural_key)  # a digit-like symbol is text, not a number
['x9', 'x10', '²']
"""

from __future__ import annotations

import re

__all__ = ["natural_key"]

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of ``text``: its digit runs as ``(0, number)``, the text between them as
    ``(1, lowercased text)``, so numbers sort before text at the same place."""
    parts = _DIGITS.split(text)  # odd indexes: the captured digit runs
    return tuple((0, int(part)) if index % 2 else (1, part.lower())
                 for index, part in enumerate(parts) if part)
