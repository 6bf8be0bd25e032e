"""add_embedding metadata: nbviz's strings (equal to torch's metadata.tsv) vs torch's own
``make_tsv`` loop (``str()`` of every label), in the same run.

    PYTHONPATH=. python benchmarks/embedding_metadata.py [--points 20000] [--repeats 3]

Prints, per case, the median time of torch's loop and of nbviz's ``embedding_metadata``
and the ratio, after checking the strings are identical.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from nbviz.record.embedding_meta import embedding_metadata


def _median(function: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(0)
    cases = {
        "int64 class labels (10 classes)": torch.randint(0, 10, (args.points,),
                                                         generator=generator),
        "float32, all distinct": torch.randn(args.points, generator=generator),
    }
    for name, labels in cases.items():
        expected = [str(label) for label in labels]  # torch's make_tsv, without a header
        assert embedding_metadata(labels, None, len(labels), "bench")["metadata"] == expected
        theirs = _median(lambda labels=labels: [str(label) for label in labels], args.repeats)
        ours = _median(lambda labels=labels: embedding_metadata(labels, None, len(labels),
                                                                "bench"), args.repeats)
        print(f"{args.points} {name}: torch str() loop {theirs * 1e3:.0f} ms, nbviz "
              f"{ours * 1e3:.1f} ms, {theirs / ours:.0f}x faster (identical strings)")


if __name__ == "__main__":
    main()
