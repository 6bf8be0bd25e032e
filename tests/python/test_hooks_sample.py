"""Sampled histograms (``tensor_histogram(sample=N)``, ``watch(histogram_sample=N)``):
runs of 16 contiguous values at fixed random offsets, bucketed and scaled, with the
tensor's min/max/sums/NaN-Inf counts exact."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nbviz.hooks import stats as stats_module  # noqa: E402
from nbviz.hooks.stats import Batch, Entry, numpy_edges, tensor_histogram  # noqa: E402


def total_variation(exact: np.ndarray, estimate: np.ndarray) -> float:
    p, q = exact / exact.sum(), estimate / estimate.sum()
    return float(0.5 * np.abs(p - q).sum())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sampled_counts_are_the_histogram_of_the_fixed_runs_scaled(dtype: torch.dtype) -> None:
    values = torch.randn(300_001, generator=torch.Generator().manual_seed(1), dtype=dtype)
    array, extra = tensor_histogram(values, 32, sample=4_000)
    starts = stats_module._SAMPLES.get(values.numel(), 4_000, values.device).numpy()
    assert starts.size == 250 and np.all(np.diff(starts) >= 0)  # ceil(4000 / 16), sorted
    assert starts.min() >= 0 and starts.max() <= values.numel() - 16
    positions = (starts[:, None] + np.arange(16)).reshape(-1)
    host = values.numpy()
    edges = numpy_edges(float(host.min()), float(host.max()), 32, dtype == torch.float64)
    scale = values.numel() / positions.size
    expected = np.histogram(host[positions], edges)[0] * scale
    np.testing.assert_array_equal(array[0], edges)  # exact range: numpy's edges
    # No exact-edge correction in the estimate: a value within an ulp of an edge may
    # land one bin over (two counts move), nothing else differs.
    assert np.abs(array[1, 1:] - expected).sum() <= 2 * scale
    assert array[1].sum() == pytest.approx(values.numel())
    assert extra["sample"] == 4_000 and extra["num"] == values.numel()
    assert extra["sum"] == pytest.approx(float(host.astype(np.float64).sum()), rel=1e-5)


@pytest.mark.parametrize("sample", [8_192, None])
def test_histogram_passes_run_on_the_calling_thread_and_restore_the_thread_count(
        sample: int | None) -> None:
    values = torch.randn(200_000, generator=torch.Generator().manual_seed(2))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone, alone_extra = tensor_histogram(values, 64, sample=sample)
        torch.set_num_threads(2)
        pooled, pooled_extra = tensor_histogram(values, 64, sample=sample)
        assert torch.get_num_threads() == 2
        np.testing.assert_array_equal(pooled, alone)
        assert pooled_extra == alone_extra  # float32 sums: the same order of additions
    finally:
        torch.set_num_threads(before)


def test_host_and_device_range_paths_count_alike() -> None:
    flat = torch.randn(100_000, generator=torch.Generator().manual_seed(3))
    low, high = torch.aminmax(flat)
    on_host = stats_module._histogram_counts(flat, low.item(), high.item(), 64, 4_096)
    on_device = stats_module._histogram_counts(flat, low, high, 64, 4_096)
    scale = flat.numel() / 4_096
    assert torch.abs(on_host - on_device).sum().item() <= 2 * scale  # an ulp at an edge
    assert on_host.sum().item() == pytest.approx(flat.numel())


def trained_layer() -> dict[str, torch.Tensor]:
    """A linear layer's weight gradient (rows scaled by one error term each) and a conv
    layer's ReLU output (zeros in runs, per-channel scales): tensors correlated along memory."""
    generator = torch.Generator().manual_seed(4)
    torch.manual_seed(4)
    linear = torch.nn.Linear(1024, 256)
    inputs = torch.randn(64, 1024, generator=generator)
    torch.nn.functional.cross_entropy(
        linear(inputs), torch.randint(256, (64,), generator=generator)).backward()
    conv = torch.nn.Conv2d(16, 64, 3, padding=1)
    with torch.no_grad():
        relu = torch.relu(conv(torch.randn(4, 16, 32, 32, generator=generator)))
    assert linear.weight.grad is not None
    return {"grad": linear.weight.grad, "relu": relu}


@pytest.mark.parametrize("name", ["grad", "relu"])
def test_sampled_error_stays_small_on_tensors_correlated_along_memory(name: str) -> None:
    tensor = trained_layer()[name]
    assert tensor.numel() == 262_144 and tensor.numel() > 65_536
    exact, _ = tensor_histogram(tensor, 64)
    sampled, _ = tensor_histogram(tensor, 64, sample=65_536)
    # Measured: 0.005 (grad), 0.006 (relu). Over 20 draws of this gradient, runs of 16
    # reach at most 0.011; runs of 1,024 average 0.034 (rows share one scale).
    assert total_variation(exact[1, 1:], sampled[1, 1:]) < 0.02


def test_watch_batches_sample_too_and_drop_the_histogram_of_nonfinite_tensors() -> None:
    finite = torch.randn(50_000, generator=torch.Generator().manual_seed(5))
    broken = finite.clone()
    broken[123] = float("inf")
    batch = Batch(bins=16, sample=2_048)
    batch.add_many([Entry("weights", "fc", "weight", finite),
                    Entry("weights", "fc", "bias", broken)])
    good, bad = batch.finish()
    assert good.histogram is not None and bad.histogram is None
    exact, _ = tensor_histogram(finite, 16)
    np.testing.assert_array_equal(good.histogram[0], exact[0])
    assert good.histogram[1].sum() == pytest.approx(finite.numel())
    assert total_variation(exact[1, 1:], good.histogram[1, 1:]) < 0.08
    assert bad.extra["nonfinite"] == 1 and good.extra["nonfinite"] == 0


def test_values_at_the_maximum_are_counted_in_the_last_bin() -> None:
    # A clipped tensor: ~16 % of the values sit exactly on each end of the range.
    values = torch.randn(300_000, generator=torch.Generator().manual_seed(6)).clamp_(-1, 1)
    sampled, _ = tensor_histogram(values, 8, sample=16_384)
    exact, _ = tensor_histogram(values, 8)
    share = sampled[1, 1:] / values.numel()
    assert share[-1] == pytest.approx(exact[1, -1] / values.numel(), abs=0.01)
    assert share[-1] > 0.15 and share[0] > 0.15  # both ends, nothing lost past the edge
    assert sampled[1].sum() == pytest.approx(values.numel())



@pytest.mark.skipif("OpenMP" not in torch.__config__.parallel_info(),
                    reason="the thread count is per thread only with the OpenMP backend")
def test_the_one_thread_window_leaves_other_threads_alone() -> None:
    """A histogram's one-thread window on one Python thread does not change the thread
    count another thread sees, and restores its own."""
    import threading

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        flat = torch.randn(200_000)
        inside, release = threading.Event(), threading.Event()
        seen: list[int] = []

        def hold() -> None:
            torch.set_num_threads(2)
            with stats_module._calling_thread_only(flat):
                seen.append(torch.get_num_threads())
                inside.set()
                release.wait(timeout=10)
            seen.append(torch.get_num_threads())

        worker = threading.Thread(target=hold)
        worker.start()
        assert inside.wait(timeout=10)
        assert torch.get_num_threads() == 2  # this thread keeps its count meanwhile
        release.set()
        worker.join(timeout=10)
        assert seen == [1, 2]
    finally:
        torch.set_num_threads(before)
