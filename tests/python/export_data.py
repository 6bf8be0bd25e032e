"""A small logdir for the export tests (tests/python/test_export.py and
tests/browser/test_export.py): two runs — one named like an XSS attempt — with
scalars, histograms, PR curves at two steps, an embedding at three steps, images, text
and a config."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nbviz

XSS_RUN = "<img src=x onerror=alert(1)>"
RUNS = ("baseline", XSS_RUN)


def embedding_steps(steps: int) -> tuple[int, ...]:
    """The steps the embedding is logged at (the offline Projector's slider goes through them)."""
    return (0, steps // 2, steps - 1)


def write_logdir(logdir: Path, steps: int = 200) -> Path:
    """Write the two runs under ``logdir``; returns it."""
    rng = np.random.default_rng(0)
    for index, name in enumerate(RUNS):
        run = nbviz.init(name, logdir=logdir, config={"lr": 0.1 / (index + 1), "batch": 32})
        for step in range(steps):
            run.log({"loss": float(np.exp(-step / 50) * (1 + index) + rng.normal(0, 0.02)),
                     "acc": float(1 - np.exp(-step / 40))}, step=step)
            if step % 40 == 0:
                run.log_histogram("weights", rng.normal(step / 100, 1 + index, 2000), step=step)
        for step in (steps // 2, steps - 1):
            labels = rng.integers(0, 2, 500)
            scores = np.clip(labels * (0.3 + step / steps / 2) + rng.random(500) * 0.6, 0, 1)
            run.log_pr("val/pr", labels, scores, step=step)
        centres = np.repeat(np.eye(16)[:3] * 4, 100, axis=0)
        for step in embedding_steps(steps):  # the classes separate as training goes on
            spread = 0.25 + step / steps
            run.log_embedding("penultimate", rng.normal(size=(300, 16)) + centres * spread,
                              metadata=[f"class {i // 100}" for i in range(300)], step=step)
        image = (rng.random((2, 24, 24, 3)) * 255).astype(np.uint8)
        run.log_image("samples", image, step=steps - 1)
        run.log_text("notes", f"run **{name}** finished", step=steps - 1)
        run.finish()
    return logdir


def write_every_kind(logdir: Path) -> Path:
    """A run holding every record kind a registered panel shows (torch needed): the
    small logdir plus watch() statistics and step times (Health, Profile), a graph,
    audio and a table."""
    import torch

    write_logdir(logdir, steps=40)
    run = nbviz.init("torch", logdir=logdir, config={"lr": 0.05})
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    handle = nbviz.watch(model, optimizer, every=2, run=run)
    generator = torch.Generator().manual_seed(0)
    for step in range(12):
        x = torch.randn(32, 8, generator=generator)
        loss = torch.nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.log({"loss": float(loss.detach())}, step=step)
    handle.remove()
    run.log_graph(model, torch.zeros(2, 8))
    run.log_audio("tone", np.sin(np.linspace(0, 200, 4000)), sample_rate=8000, step=11)
    run.log_table("predictions", {"x": [1.0, 2.0], "label": ["a", "<b>b</b>"]}, step=11)
    run.finish()
    return logdir
