"""How far a sampled histogram is from the exact one, on tensors of a real training.

``tensor_histogram(values, 64, sample=N)`` buckets N of a tensor's values and scales the
counts (min, max and sums stay exact). Which N values is a speed/accuracy trade: values
at N scattered random positions are the textbook sample, but gathering them misses the
cache once per value; contiguous blocks at random offsets are ~5× cheaper to gather,
and are as good a sample as long as neighbours in memory are not much more alike than
the tensor as a whole. Trained tensors are laid out with structure (a conv weight's
output channel, a gradient's row scaled by one error term, a ReLU output's channel
that is all zero), so this script measures it on them.

A small CNN + MLP is trained on scikit-learn's digits (the real 8×8 scans, bundled with
scikit-learn) for ``--steps`` SGD steps; then, for every weight, gradient and ReLU
output larger than N, the 64-bin histogram over the exact range is estimated ``--draws``
times per design and compared with the exact counts:

* ``scattered``: N positions drawn uniformly with replacement;
* ``runs L``: N / L runs of L contiguous values at uniform random offsets;
* ``strided``: every ``numel // N``-th value from a random phase (one ``as_strided``);
* ``nbviz``: what ``tensor_histogram(sample=N)`` computes (its fixed positions).

Printed per tensor and design: the mean (and worst) total-variation distance
½·Σ|p − q| between the normalised histograms, and the largest single-bin error as a
fraction of all values.

Run: ``.venv/bin/python benchmarks/histogram_sample_error.py [--quick]``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import summary

BINS = 64


def trained_tensors(steps: int, seed: int = 0) -> dict[str, object]:
    """Weights, gradients and ReLU outputs of a CNN + MLP after ``steps`` SGD steps on
    the digits data (batch 128), by name."""
    import torch
    from sklearn.datasets import load_digits
    from torch import nn

    torch.manual_seed(seed)
    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(digits.target)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    outputs: dict[str, object] = {}

    def keep(name: str) -> Callable[..., None]:
        def hook(_module: object, _inputs: object, output: torch.Tensor) -> None:
            outputs[name] = output.detach().clone()
        return hook

    for index in (1, 3):
        model[index].register_forward_hook(keep(f"relu{index}.output"))
    loss = torch.tensor(0.0)
    for _ in range(steps):
        batch = torch.randint(len(labels), (128,), generator=generator)
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
        loss.backward()
        optimizer.step()
    print(f"trained {steps} steps on sklearn digits, last loss {loss.item():.3f}")
    tensors = dict(outputs)
    for name, parameter in model.named_parameters():
        tensors[f"{name}"] = parameter.detach().clone()
        if parameter.grad is not None:
            tensors[f"{name}.grad"] = parameter.grad.detach().clone()
    return tensors


def distances(exact: np.ndarray, estimate: np.ndarray) -> tuple[float, float]:
    """(total-variation distance, largest bin error) of two count vectors, normalised."""
    p = exact / exact.sum()
    q = estimate / estimate.sum()
    return float(0.5 * np.abs(p - q).sum()), float(np.abs(p - q).max())


def design_positions(design: str, numel: int, sample: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Flat positions of one draw of a sampling design."""
    if design == "scattered":
        return rng.integers(numel, size=sample)
    if design == "strided":
        stride = numel // sample
        return rng.integers(stride) + stride * np.arange(sample)
    length = int(design.split()[1])  # "runs L"
    starts = rng.integers(numel - length + 1, size=sample // length)
    return (starts[:, None] + np.arange(length)).reshape(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and draws")
    parser.add_argument("--sample", type=int, default=65_536)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--draws", type=int, default=None)
    args = parser.parse_args()
    steps = args.steps or (20 if args.quick else 100)
    draws = args.draws or (4 if args.quick else 16)

    import torch

    from nbviz.hooks.stats import numpy_edges, tensor_histogram

    designs = ["scattered", "runs 16", "runs 64", "runs 256", "runs 1024", "strided"]
    tensors = {name: t for name, t in trained_tensors(steps).items()
               if t.numel() > args.sample}  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    results: dict[str, dict[str, dict[str, float]]] = {}
    print(f"64-bin histogram from {args.sample:,} values vs exact, mean (worst) of {draws} "
          "draws: total-variation distance | largest bin error, fraction of all values")
    print(f"{'tensor':22s} {'values':>10s}  " + "  ".join(f"{d:>20s}" for d in
                                                        [*designs, "nbviz"]))
    for name, tensor in tensors.items():
        assert isinstance(tensor, torch.Tensor)
        values = tensor.reshape(-1).numpy()
        low, high = float(values.min()), float(values.max())
        edges = numpy_edges(low, high, BINS, False)
        exact = np.histogram(values, edges)[0].astype(np.float64)
        row: dict[str, dict[str, float]] = {}
        for design in designs:
            found = np.array([distances(exact, np.histogram(
                values[design_positions(design, values.size, args.sample, rng)], edges)[0])
                for _ in range(draws)])
            row[design] = {"tv_mean": float(found[:, 0].mean()),
                           "tv_worst": float(found[:, 0].max()),
                           "bin_mean": float(found[:, 1].mean())}
        ours = tensor_histogram(tensor, BINS, sample=args.sample)[0][1, 1:]
        tv, worst_bin = distances(exact, ours)
        row["nbviz"] = {"tv_mean": tv, "tv_worst": tv, "bin_mean": worst_bin}
        results[name] = row
        print(f"{name:22s} {values.size:>10,d}  " + "  ".join(
            f"{r['tv_mean']:.4f} ({r['tv_worst']:.4f})|{r['bin_mean']:.4f}".rjust(20)
            for r in row.values()))
    overall = {design: float(np.mean([row[design]["tv_mean"] for row in results.values()]))
               for design in [*designs, "nbviz"]}
    print("mean total-variation distance over the tensors: " + ", ".join(
        f"{design} {value:.4f}" for design, value in overall.items()))
    summary("histogram_sample_error", sample=args.sample, steps=steps, draws=draws,
            tensors=results, mean_tv=overall)


if __name__ == "__main__":
    main()
