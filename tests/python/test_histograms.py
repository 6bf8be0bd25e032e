"""Histogram math (TensorBoard-compatible and nbviz's own) and the histogram panels' wire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from wire import MessageRecorder

import nbviz
from nbviz.panels.histograms.compute import (
    BASIS_POINTS,
    percentiles,
    rebin,
    record_edges,
    tb_default_bins,
    tb_histogram,
    tb_histogram_raw,
    uniform_histogram,
)

torch = pytest.importorskip("torch")
tb_summary = pytest.importorskip("torch.utils.tensorboard.summary")


def _torch_proto(values: Any, bins: Any, max_bins: int | None = None) -> Any:
    return tb_summary.make_histogram(np.asarray(values, dtype=float), bins, max_bins)


@pytest.mark.parametrize("case", range(8))
def test_tb_histogram_equals_torch_make_histogram(case: int) -> None:
    rng = np.random.default_rng(case)
    values = [
        rng.standard_normal(10_000),
        rng.standard_normal(5) * 1e-9,
        np.array([3.0]),
        np.zeros(100),
        rng.uniform(-1e6, 1e6, 1000),
        np.concatenate([rng.standard_normal(50), [1e15, -1e15]]),
        rng.integers(-5, 5, 200).astype(np.float32),
        rng.exponential(2.0, 3000),
    ][case]
    from torch.utils.tensorboard import SummaryWriter

    default_bins = SummaryWriter.__new__(SummaryWriter)
    # The writer builds default_bins in __init__; rebuild them the same way here.
    v, buckets = 1e-12, []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    default_bins.default_bins = [-b for b in buckets[::-1]] + [0] + buckets
    np.testing.assert_array_equal(tb_default_bins(), np.array(default_bins.default_bins))
    for bins, max_bins in (("tensorflow", None), ("tensorflow", 30), (10, None), ("auto", None)):
        array, extra = tb_histogram(values, bins=bins, max_bins=max_bins)
        proto = _torch_proto(values, default_bins.default_bins if bins == "tensorflow" else bins,
                             max_bins)
        assert array.dtype == np.float64 and array.shape == (2, len(proto.bucket))
        np.testing.assert_array_equal(array[0], np.array(proto.bucket_limit))
        np.testing.assert_array_equal(array[1], np.array(proto.bucket))
        assert extra == {"min": proto.min, "max": proto.max, "num": proto.num,
                         "sum": proto.sum, "sum_squares": proto.sum_squares}


def test_tb_histogram_accepts_tensors_and_validates() -> None:
    t = torch.randn(100)
    a1, e1 = tb_histogram(t)
    a2, e2 = tb_histogram(t.numpy())
    np.testing.assert_array_equal(a1, a2)
    assert e1 == e2
    with pytest.raises(ValueError, match="'values' is empty"):
        tb_histogram(np.array([]))
    with pytest.raises(TypeError, match="'values' must be numbers"):
        tb_histogram("abc")
    with pytest.raises(ValueError, match="'max_bins'"):
        tb_histogram([1.0], max_bins=0)
    with pytest.raises(ValueError, match="increasing"):
        tb_histogram([1.0], bins=[3, 2, 1])


def test_tb_histogram_raw_matches_add_histogram_raw_contract() -> None:
    values = np.repeat(np.arange(50) + 0.001, np.arange(50))
    counts, limits = np.histogram(values, bins=np.arange(52))
    array, extra = tb_histogram_raw(values.min(), values.max(), len(values), values.sum(),
                                    values.dot(values), limits[1:], counts)
    np.testing.assert_array_equal(array, np.stack([limits[1:], counts]).astype(np.float64))
    assert extra["num"] == len(values) and extra["sum"] == pytest.approx(values.sum())
    with pytest.raises(ValueError, match="'bucket_limits' has 2 elements but 'bucket_counts'"):
        tb_histogram_raw(0, 1, 3, 1, 1, [1, 2], [1, 1, 1])
    with pytest.raises(TypeError, match="'sum' must be a number"):
        tb_histogram_raw(0, 1, 3, "x", 1, [1, 2], [1, 1])


def test_uniform_histogram_is_numpy_histogram_with_tb_layout() -> None:
    values = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    array, extra = uniform_histogram(values, bins=16)
    counts, edges = np.histogram(values, bins=16)
    np.testing.assert_array_equal(array[0], edges.astype(np.float64))
    np.testing.assert_array_equal(array[1], np.concatenate([[0], counts]))
    assert extra["num"] == 1000 and extra["nan"] == 0
    with_nan, extra = uniform_histogram(np.array([1.0, np.nan, np.inf, 2.0]), bins=2)
    assert extra["nan"] == 1 and extra["inf"] == 1 and with_nan[1].sum() == 2


def test_rebin_keeps_mass_and_percentiles_follow_the_distribution() -> None:
    values = np.random.default_rng(1).standard_normal(200_000)
    array, extra = tb_histogram(values)
    edges = record_edges(array, extra)
    # TensorBoard's first bucket is empty, its upper limit the lower edge of the data.
    assert edges[0] == edges[1] == array[0, 0] <= values.min() < array[0, 1]
    assert len(edges) == array.shape[1] + 1
    new = rebin(array, np.linspace(edges[1], edges[-1], 31), extra)  # over the support
    assert new.sum() == pytest.approx(len(values))
    # Mass is spread evenly inside a bucket: a cut through a bucket takes its share.
    half = rebin(np.array([[0.0, 1.0], [0.0, 10.0]]), np.array([0.0, 0.25, 1.0]))
    np.testing.assert_allclose(half, [2.5, 7.5])
    assert (new >= 0).all()
    p = percentiles(array, extra)
    expected = np.percentile(values, np.array(BASIS_POINTS) / 100)
    assert p[0] == values.min() and p[-1] == values.max()
    np.testing.assert_allclose(p[1:-1], expected[1:-1], atol=0.02)
    assert np.all(np.diff(p) >= 0)


# -- panels ---------------------------------------------------------------------------------

pytestmark_widgets = pytest.mark.usefixtures("built_js")


def decode_rows(series: list[dict[str, Any]], payload: bytes, stride: int
                ) -> dict[str, np.ndarray]:
    data = np.frombuffer(bytes(payload), dtype="<f8")
    out: dict[str, np.ndarray] = {}
    offset = 0
    for info in series:
        n = int(info["count"]) * stride
        out[info["tag"]] = data[offset : offset + n].reshape(-1, stride)
        offset += n
    assert offset == data.size
    return out


@pytest.mark.usefixtures("built_js")
def test_histograms_panel_rows_and_appends(logdir: Path) -> None:
    from nbviz.panels.histograms.widget import Distributions, Histograms

    run = nbviz.init("h", logdir=logdir)
    values = np.random.default_rng(2).standard_normal(5000)
    array, extra = tb_histogram(values)
    run.log_tensor("histogram", "Weights", array, 0, extra)  # as the SummaryWriter facade does
    panel = Histograms(run, bins=20)
    dist = Distributions(run)
    assert panel.show_source == "user"  # nothing else logged: the toggle picks what exists
    assert panel.stride == 24 and panel.series[0]["tag"] == "Weights"
    rows = decode_rows(panel.series, panel.snapshot, panel.stride)["Weights"]
    assert rows.shape == (1, 24)
    step, _, low, high = rows[0, :4]
    assert step == 0 and low <= values.min() and high >= values.max()
    assert rows[0, 4:].sum() == pytest.approx(5000)
    drows = decode_rows(dist.series, dist.snapshot, dist.stride)["Weights"]
    assert drows.shape == (1, 11) and drows[0, 2] == values.min() and drows[0, 10] == values.max()

    capture = MessageRecorder(panel)
    run.log_histogram("Weights", values + 1, step=1, bins="tensorflow")
    panel._send_budget.reset()
    panel._tick()
    appends = capture.of("append")
    assert len(appends) == 1 and appends[0]["seq"] > panel.snapshot_seq
    new = decode_rows(appends[0]["series"], appends[0]["payload"], panel.stride)["Weights"]
    assert new.shape == (1, 24) and new[0, 0] == 1
    assert new[0, 2] == pytest.approx(rows[0, 2] + 1, abs=0.1)
    panel.sync()
    assert decode_rows(panel.series, panel.snapshot, panel.stride)["Weights"].shape == (2, 24)
    png = panel._picture_bundle()["image/png"]
    assert len(png) > 1000 and "1 histogram tag(s), 2 step(s)" in panel.summary()
    panel.close()
    dist.close()


@pytest.mark.usefixtures("built_js")
def test_hidden_runs_leave_the_picture(logdir: Path) -> None:
    from nbviz.panels.histograms.widget import Histograms

    for name in ("shown", "hidden"):
        with nbviz.init(name, logdir=logdir) as run:
            run.log_histogram("w", np.arange(100.0), step=0)
    panel = Histograms(logdir)
    assert sorted(s.run for s in panel._visible()) == ["hidden", "shown"]
    panel.hidden_runs = ["hidden"]
    assert [s.run for s in panel._visible()] == ["shown"]
    panel.close()


@pytest.mark.usefixtures("built_js")
def test_histograms_panel_thins_to_max_steps(logdir: Path) -> None:
    from nbviz.panels.histograms.widget import Histograms

    run = nbviz.init("thin", logdir=logdir)
    panel = Histograms(run, max_steps=10)
    for step in range(25):
        run.log_histogram("w", np.arange(10.0) + step, step=step, bins=4)
    panel.sync()
    rows = decode_rows(panel.series, panel.snapshot, panel.stride)["w"]
    assert len(rows) <= 20 and rows[0, 0] == 0 and rows[-1, 0] == 24
    assert np.all(np.diff(rows[:, 0]) > 0)
    panel.close()


@pytest.mark.usefixtures("built_js")
def test_panels_validate_arguments(logdir: Path) -> None:
    from nbviz.panels.health.widget import Health
    from nbviz.panels.histograms.widget import Histograms

    with pytest.raises(ValueError, match=r"'bins' must be an int in 2\.\.512, got int 1"):
        Histograms(logdir, bins=1)
    with pytest.raises(ValueError, match="'mode' must be 'offset' or 'overlay'"):
        Histograms(logdir, mode="3d")
    with pytest.raises(ValueError, match="'show_source' must be one of"):
        Histograms(logdir, show_source="gradients")
    with pytest.raises(ValueError, match="'statistic' must be one of"):
        Health(logdir, statistic="norm")
    with pytest.raises(FileNotFoundError):
        Histograms(logdir / "missing")


EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "tb_scalars_histograms.py"


@pytest.mark.slow
@pytest.mark.usefixtures("built_js")
def test_tensorboard_example_shows_its_weight_ridgeline(tmp_path: Path) -> None:
    """../shared/examples/tb_scalars_histograms.py, with only its import line changed,
    feeds the Histograms/Distributions panels (the facade stores tb_histogram records)."""
    import subprocess
    import sys

    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} not found (the shared examples sit beside the repository)")
    source = EXAMPLE.read_text(encoding="utf-8")
    original = "from torch.utils.tensorboard import SummaryWriter"
    assert original in source
    script = tmp_path / "example.py"
    script.write_text(source.replace(original, "from nbviz import SummaryWriter"),
                      encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    from nbviz.panels.histograms.widget import Distributions, Histograms

    panel = Histograms(tmp_path / "runs")
    assert panel.show_source == "user"
    [info] = panel.series
    assert (info["run"], info["tag"], info["count"]) == ("linear_regression_v1", "Weights", 100)
    rows = decode_rows(panel.series, panel.snapshot, panel.stride)["Weights"]
    np.testing.assert_array_equal(rows[:, 0], np.arange(100))
    np.testing.assert_allclose(rows[:, 4:].sum(axis=1), 1.0)  # one weight per step
    assert rows[-1, 2] > rows[0, 2]  # the weight (init in [-1, 1]) moves up toward 2.0
    bands = Distributions(tmp_path / "runs")
    medians = decode_rows(bands.series, bands.snapshot, bands.stride)["Weights"][:, 6]
    assert abs(medians[-1] - 2.0) < abs(medians[0] - 2.0)
    panel.close()
    bands.close()


@pytest.mark.usefixtures("built_js")
def test_health_panel_heat_map_and_findings(logdir: Path) -> None:
    from nbviz.panels.health.widget import HEALTH_STATISTICS, Health

    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    nn.init.constant_(model[0].bias, -5.0)  # every ReLU unit dead
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    run = nbviz.init("health", logdir=logdir)
    panel = Health(run, statistic="dead_frac")
    handle = nbviz.watch(model, optimizer, every=2)
    for _ in range(8):
        loss = model(torch.rand(32, 8)).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    handle.remove()
    panel.sync()
    assert panel.layers == ["0", "1", "2"]  # model order
    steps = np.frombuffer(panel.snapshot, "<f8")[: panel.step_count]
    np.testing.assert_array_equal(steps, [0, 2, 4, 6])
    matrices = np.frombuffer(panel.snapshot, "<f8")[panel.step_count:].reshape(
        len(HEALTH_STATISTICS), len(panel.layers), panel.step_count)
    dead = matrices[HEALTH_STATISTICS.index("dead_frac")]
    np.testing.assert_array_equal(dead[1], 1.0)  # the ReLU row
    assert np.isnan(dead[0]).all()  # a Linear layer has no dead-unit statistic
    grad = matrices[HEALTH_STATISTICS.index("grad_norm")]
    assert np.isfinite(grad[0]).all() and np.isnan(grad[1]).all()
    rules = {(f["rule"], f["layer"]) for f in panel.findings}
    assert ("dead_units", "1") in rules
    assert "finding(s)" in panel.summary() and "dead_units" in panel.summary()
    assert len(panel._picture_bundle()["image/png"]) > 1000
    panel.close()
