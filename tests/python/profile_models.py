"""The small CNN and data loaders shared by the Profile tests and benchmarks."""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset


def small_cnn() -> nn.Module:
    """A small CNN for 1×28×28 inputs (the benchmarks' 'small CNN step')."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


class SlowDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Random digits-shaped samples whose __getitem__ sleeps (an expensive decode)."""

    def __init__(self, n: int, sleep: float = 0.001, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 1, 28, 28, generator=generator)
        self.y = torch.randint(0, 10, (n,), generator=generator)
        self.sleep = sleep

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        time.sleep(self.sleep)
        return self.x[index], self.y[index]


def fast_loader(n: int, batch_size: int, seed: int = 0) -> DataLoader[tuple[torch.Tensor, ...]]:
    generator = torch.Generator().manual_seed(seed)
    data = TensorDataset(torch.randn(n, 1, 28, 28, generator=generator),
                         torch.randint(0, 10, (n,), generator=generator))
    return DataLoader(data, batch_size=batch_size)


def slow_loader(n: int, batch_size: int, sleep: float = 0.001,
                seed: int = 0) -> DataLoader[tuple[torch.Tensor, torch.Tensor]]:
    return DataLoader(SlowDataset(n, sleep, seed), batch_size=batch_size)


def train(model: nn.Module, optimizer: torch.optim.Optimizer, loader: object) -> list[float]:
    """One pass over ``loader``; returns the wall time of each iteration (seconds)."""
    times: list[float] = []
    started = time.perf_counter()
    for x, y in loader:  # type: ignore[attr-defined]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        now = time.perf_counter()
        times.append(now - started)
        started = now
    return times
