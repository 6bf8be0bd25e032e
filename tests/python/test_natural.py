"""Natural order of tags and categories (nbviz/_natural.py), shared by the Scalars read-ahead
and the HParams axes."""

from __future__ import annotations

import pandas as pd

from nbviz._natural import natural_key
from nbviz.panels.hparams.encode import encode_table


def test_digit_runs_sort_as_numbers_and_text_ignores_case() -> None:
    names = ["layer10/w", "Layer2/w", "layer1/b", "a", "10a", "a1", "A0"]
    assert sorted(names, key=natural_key) == [
        "10a", "a", "A0", "a1", "layer1/b", "Layer2/w", "layer10/w"]


def test_digit_like_symbols_are_text() -> None:
    # str.isdigit() is True for "²" but int("²") fails: only regex digit runs are numbers
    assert sorted(["x²", "²", "x2", "٣", "1"], key=natural_key) == ["1", "٣", "x2", "x²", "²"]


def test_hparams_categories_with_superscripts_encode() -> None:
    frame = pd.DataFrame({"run": ["a", "b", "c"], "act": ["x²", "²", "relu"], "acc": [.1, .2, .3]})
    frame.attrs.update(hparams=["act"], metrics=["acc"], metric_summaries=[],
                       hparam_kinds={"act": "categorical"})
    infos, _ = encode_table(frame)
    assert infos[0]["categories"] == ["relu", "x²", "²"]
