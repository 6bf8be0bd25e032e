"""nbviz.watch: what it records, when, at what cost, and how it fails."""

from __future__ import annotations

import gc
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbviz
from nbviz.store.sqlite import StoreReader, TensorRecord

torch = pytest.importorskip("torch")
nn = torch.nn

from nbviz.hooks import stats as stats_module  # noqa: E402
from nbviz.hooks.stats import Batch, Entry, device_histogram, tensor_histogram  # noqa: E402


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(20, 16)
        self.act1 = nn.ReLU()
        self.fc2 = nn.Linear(16, 12)
        self.act2 = nn.Tanh()
        self.out = nn.Linear(12, 3)

    def forward(self, x: Any) -> Any:
        return self.out(self.act2(self.fc2(self.act1(self.fc1(x)))))


# Every leaf module of Net (the default records only the activation modules' outputs).
EVERY_LAYER = ["fc1", "act1", "fc2", "act2", "out"]


def records(run: nbviz.Run, kind: str | None = None) -> list[TensorRecord]:
    run.flush()
    found = StoreReader(run.dir).tensors_between(0)
    return [r for r in found if kind is None or r.kind == kind]


def train(model: Any, optimizer: Any, steps: int, *, seed: int = 0, clip: float | None = None,
          before_step: Any = None) -> None:
    generator = torch.Generator().manual_seed(seed)
    for step in range(steps):
        x = torch.randn(32, 20, generator=generator)
        y = torch.randint(0, 3, (32,), generator=generator)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        if before_step is not None:
            before_step(step)
        optimizer.step()


@pytest.fixture()
def run(logdir: Path) -> nbviz.Run:
    return nbviz.init("watch", logdir=logdir)


def test_device_histogram_equals_numpy_histogram() -> None:
    rng = np.random.default_rng(0)
    for case in range(200):
        n = int(rng.integers(1, 5000))
        scale = 10 ** rng.uniform(-12, 12)
        values = (rng.standard_normal(n) * scale + rng.uniform(-3, 3) * scale).astype(np.float32)
        if case % 5 == 0:
            values = np.round(values)  # many values exactly on bin edges
        if case % 13 == 0:
            values = np.full(n, 7.0, np.float32)
        if case % 17 == 0:
            values = values.astype(np.float64)
        bins = int(rng.choice([1, 2, 7, 30, 64, 100]))
        counts, edges = device_histogram(torch.from_numpy(values), bins)
        expected_counts, expected_edges = np.histogram(values, bins=bins)
        np.testing.assert_array_equal(counts.numpy(), expected_counts, err_msg=f"case {case}")
        np.testing.assert_array_equal(edges.numpy(), expected_edges, err_msg=f"case {case}")
        array, extra = tensor_histogram(torch.from_numpy(values), bins)
        np.testing.assert_array_equal(array[1, 1:], expected_counts)
        np.testing.assert_array_equal(array[0], expected_edges.astype(np.float64))
        assert extra["num"] == n and extra["min"] == values.min()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_device_histogram_is_exact_next_to_every_bin_edge(dtype: type) -> None:
    """Values one ulp either side of each numpy edge land where numpy puts them."""
    rng = np.random.default_rng(1)
    for bins in (3, 64, 100):
        low, high = dtype(rng.uniform(-5, 0)), dtype(rng.uniform(0.1, 5))
        edges = np.histogram_bin_edges(np.array([low, high], dtype=dtype), bins=bins)
        edges = edges.astype(dtype)
        near = np.concatenate([edges, np.nextafter(edges, dtype(-np.inf)),
                               np.nextafter(edges, dtype(np.inf))]).astype(dtype)
        values = np.concatenate([[low, high], near[(near >= low) & (near <= high)]])
        counts, _ = device_histogram(torch.from_numpy(values), bins)
        np.testing.assert_array_equal(counts.numpy(), np.histogram(values, bins=bins)[0])


def test_small_tensors_bucketed_together_equal_numpy_each() -> None:
    """Many small tensors (mixed dtypes, values on and next to every edge, constant ones)
    are bucketed in one pass; each histogram still equals numpy's."""
    rng = np.random.default_rng(2)
    for trial in range(40):
        tensors = []
        for k in range(int(rng.integers(2, 9))):
            dtype = np.float64 if rng.random() < 0.3 else np.float32
            n = int(rng.integers(1, 3000))
            scale = 10 ** rng.uniform(-8, 8)
            values = (rng.standard_normal(n) * scale + rng.uniform(-3, 3) * scale).astype(dtype)
            if k % 3 == 0:
                values = np.round(values)
            if k % 4 == 1:
                values = np.full(n, 3.0, dtype)
            if k % 5 == 2:
                low, high = dtype(rng.uniform(-5, 0)), dtype(rng.uniform(0.1, 5))
                edges = np.histogram_bin_edges(np.array([low, high], dtype=dtype), bins=64)
                edges = edges.astype(dtype)
                near = np.concatenate([edges, np.nextafter(edges, dtype(-np.inf)),
                                       np.nextafter(edges, dtype(np.inf))]).astype(dtype)
                values = np.concatenate([[low, high], near[(near >= low) & (near <= high)]])
            tensors.append(values.astype(dtype))
        batch = Batch(64)
        batch.add_many([Entry("weights", f"l{k}", "w", torch.from_numpy(v))
                        for k, v in enumerate(tensors)])
        for summary, values in zip(batch.finish(), tensors, strict=True):
            counts, edges = np.histogram(values, 64)
            assert summary.histogram is not None
            np.testing.assert_array_equal(summary.histogram[1, 1:], counts,
                                          err_msg=f"trial {trial} {summary.tag}")
            np.testing.assert_array_equal(summary.histogram[0], edges.astype(np.float64))
    broken = [torch.tensor([1.0, float("nan")]), torch.tensor([0.0, 2.0, 2.0])]
    batch = Batch(4)
    batch.add_many([Entry("grads", f"l{k}", "w", t) for k, t in enumerate(broken)])
    summaries = batch.finish()
    assert summaries[0].histogram is None and summaries[0].stats["nonfinite"] == 1
    assert summaries[1].histogram is not None
    assert summaries[1].histogram[1, 1:].tolist() == [1.0, 0.0, 0.0, 2.0]


def test_watch_histograms_match_numpy_of_the_same_tensors(run: nbviz.Run) -> None:
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    captured: dict[str, np.ndarray] = {}

    def keep(step: int) -> None:  # what the tensors are when the optimizer steps
        if step == 4:
            captured["weights/fc1.weight"] = model.fc1.weight.detach().numpy().copy()
            captured["grads/fc2.weight"] = model.fc2.weight.grad.numpy().copy()

    handle = nbviz.watch(model, optimizer, every=4, bins=32, histogram_every=4,
                         activations=EVERY_LAYER)
    train(model, optimizer, 6, before_step=keep)
    handle.remove()
    by_key = {(r.tag, r.step): r for r in records(run, "histogram")}
    assert {step for _, step in by_key} == {0, 4}
    for tag, values in captured.items():
        record = by_key[(tag, 4)]
        counts, edges = np.histogram(values, bins=32)
        np.testing.assert_array_equal(record.array[0], edges.astype(np.float64))
        np.testing.assert_array_equal(record.array[1], np.concatenate([[0], counts]))
        assert record.extra["min"] == values.min() and record.extra["max"] == values.max()
        assert record.extra["num"] == values.size
        assert record.extra["sum"] == pytest.approx(values.astype(np.float64).sum(), rel=1e-6)
        assert record.extra["source"] == tag.split("/")[0]
        assert record.extra["layer"] == tag.split("/")[1].split(".")[0]
    tags = {r.tag for r in records(run, "histogram")}
    assert {"activations/fc1", "activations/act1", "activations/act2", "activations/out",
            "updates/fc1.weight", "grads/out.bias", "weights/fc2.bias"} <= tags


def test_stats_values_and_update_ratio(run: nbviz.Run) -> None:
    torch.manual_seed(1)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before: dict[str, torch.Tensor] = {}

    def keep(step: int) -> None:
        if step == 0:
            before["w"] = model.fc1.weight.detach().clone()
            before["g"] = model.fc1.weight.grad.detach().clone()

    handle = nbviz.watch(model, optimizer, every=10)
    train(model, optimizer, 1, before_step=keep)
    handle.remove()
    stats = {r.tag: dict(zip(r.extra["names"], r.array, strict=True))
             for r in records(run, "stats") if r.step == 0}
    w, g = before["w"].double(), before["g"].double()
    weights = stats["weights/fc1.weight"]
    assert weights["mean"] == pytest.approx(float(w.mean()), rel=1e-6)
    assert weights["std"] == pytest.approx(float(w.std(unbiased=False)), rel=1e-5)
    assert weights["norm"] == pytest.approx(float(w.norm()), rel=1e-6)
    assert stats["grads/fc1.weight"]["norm"] == pytest.approx(float(g.norm()), rel=1e-6)
    delta = (model.fc1.weight.detach().double() - w).norm() / w.norm()
    assert stats["updates/fc1.weight"]["ratio"] == pytest.approx(float(delta), rel=1e-5)
    assert stats["updates/fc1.weight"]["ratio"] == pytest.approx(
        0.1 * float(g.norm()) / float(w.norm()), rel=1e-4)  # SGD: Δw = -lr·g
    assert 0 <= stats["activations/act1"]["dead_frac"] <= 1
    assert "saturated_frac" in stats["activations/act2"]


def test_dead_units_and_saturation_are_measured_on_device() -> None:
    batch = Batch(bins=8)
    relu_out = torch.zeros(4, 10)
    relu_out[:, :3] = 1.0  # 3 of 10 units fire for some sample
    relu_out[0, 3] = 0.5  # unit 3 fires for one sample only: alive
    batch.add(Entry("activations", "r", "", relu_out, activation="relu"))
    tanh_out = torch.tensor([[0.995, -0.999, 0.1, 0.2]])
    batch.add(Entry("activations", "t", "", tanh_out, activation="tanh"))
    conv_out = torch.zeros(2, 4, 3, 3)
    conv_out[:, 0] = 1.0
    batch.add(Entry("activations", "c", "", conv_out, activation="relu"))
    relu, tanh, conv = batch.finish()
    assert relu.stats["dead_frac"] == pytest.approx(0.6)
    assert tanh.stats["saturated_frac"] == pytest.approx(0.5)
    assert conv.stats["dead_frac"] == pytest.approx(0.75)  # units = channels


def test_nonfinite_tensors_are_counted_not_bucketed() -> None:
    batch = Batch(bins=4)
    batch.add(Entry("grads", "fc", "weight", torch.tensor([1.0, float("nan"), 2.0, float("inf")])))
    batch.add(Entry("grads", "fc", "bias", torch.tensor([1.0, 2.0])))
    bad, good = batch.finish()
    assert bad.histogram is None and bad.stats["nonfinite"] == 2 and np.isnan(bad.stats["norm"])
    assert good.histogram is not None and good.stats["nonfinite"] == 0


def test_one_transfer_per_sampled_step_and_nothing_on_other_steps(
        run: nbviz.Run, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    transfers: list[int] = []
    original = stats_module._to_host

    def counting(parts: list[Any]) -> np.ndarray:
        transfers.append(len(parts))
        return original(parts)

    monkeypatch.setattr(stats_module, "_to_host", counting)
    cpu_calls = {"n": 0}
    real_cpu = torch.Tensor.cpu

    def cpu(self: Any, *args: Any, **kwargs: Any) -> Any:
        cpu_calls["n"] += 1
        return real_cpu(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "cpu", cpu)
    hooks_during_forward: list[int] = []
    probe = model.fc2.register_forward_pre_hook(
        lambda m, a: hooks_during_forward.append(len(model.fc1._forward_hooks)))
    handle = nbviz.watch(model, optimizer, every=5, activations=EVERY_LAYER)
    train(model, optimizer, 12)
    probe.remove()
    handle.remove()
    assert transfers and len(transfers) == 3  # steps 0, 5, 10
    # On a CPU the packed values are read in place (no copy); on other devices
    # _to_host makes one device→host copy per device, and nothing else calls .cpu().
    assert cpu_calls["n"] == 0
    # Activation hooks exist only during the forward of a sampled step.
    assert hooks_during_forward == [1 if s % 5 == 0 else 0 for s in range(12)]
    assert not model.fc1._forward_hooks and not model._forward_pre_hooks
    assert handle.sampled_steps == 3 and handle.step == 12


def test_gradients_are_read_after_clipping(run: nbviz.Run) -> None:
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    handle = nbviz.watch(model, optimizer, every=1, what=("grads",))
    train(model, optimizer, 3, clip=1e-3)
    handle.remove()
    norms = [dict(zip(r.extra["names"], r.array, strict=True))["norm"]
             for r in records(run, "stats") if r.tag.startswith("grads/")]
    total = np.sqrt(np.sum(np.square(norms)) / 3)  # per-step global norm (3 steps)
    assert total <= 1e-3 * 1.001


def test_without_optimizer_steps_are_forwards_and_grads_come_after_backward(
        run: nbviz.Run) -> None:
    torch.manual_seed(0)
    model = Net()
    handle = nbviz.watch(model, every=2, what=("weights", "grads", "activations"))
    generator = torch.Generator().manual_seed(0)
    expected: dict[int, float] = {}
    for step in range(5):
        x = torch.randn(8, 20, generator=generator)
        loss = model(x).square().mean()
        model.zero_grad()
        loss.backward()
        expected[step] = float(model.out.weight.grad.norm())
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.01 * p.grad
    handle.remove()
    grads = {r.step: dict(zip(r.extra["names"], r.array, strict=True))["norm"]
             for r in records(run, "stats") if r.tag == "grads/out.weight"}
    assert sorted(grads) == [0, 2, 4]
    for step, norm in grads.items():
        assert norm == pytest.approx(expected[step], rel=1e-6)


def test_remove_restores_the_model_and_optimizer(run: nbviz.Run) -> None:
    model = Net()
    optimizer = torch.optim.Adam(model.parameters())
    handle = nbviz.watch(model, optimizer, every=1)
    assert model._forward_pre_hooks and optimizer._optimizer_step_pre_hooks
    train(model, optimizer, 2)
    handle.remove()
    handle.remove()  # idempotent
    assert not model._forward_pre_hooks and not model._forward_hooks
    assert not optimizer._optimizer_step_pre_hooks and not optimizer._optimizer_step_post_hooks
    assert all(not m._forward_hooks for m in model.modules())
    before = len(records(run))
    train(model, optimizer, 3)
    assert len(records(run)) == before


def test_no_memory_growth_over_a_long_run(run: nbviz.Run) -> None:
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=1)

    def live_tensors() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))

    train(model, optimizer, 20)
    first = live_tensors()
    train(model, optimizer, 200, seed=1)
    assert live_tensors() <= first
    assert not handle._previous and handle._batch is None
    handle.remove()


def test_a_failing_hook_warns_once_names_the_layer_and_disables_itself(
        run: nbviz.Run, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    original = Batch.add_many

    def flaky(self: Batch, entries: Any) -> None:
        if any(e.layer == "fc2" and e.source == "activations" for e in entries):
            raise RuntimeError("boom")
        original(self, entries)

    monkeypatch.setattr(Batch, "add_many", flaky)
    handle = nbviz.watch(model, optimizer, every=1, histogram_every=1,
                         activations=EVERY_LAYER)
    reference = Net()
    reference.load_state_dict(model.state_dict())
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(model, optimizer, 5)
    messages = [str(w.message) for w in caught if "nbviz.watch" in str(w.message)]
    assert len(messages) == 1 and "'fc2'" in messages[0] and "boom" in messages[0]
    train(reference, ref_opt, 5)
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # training unchanged
    tags = {r.tag for r in records(run, "histogram")}
    assert "activations/fc1" in tags and "activations/fc2" not in tags
    steps = {r.step for r in records(run, "histogram") if r.tag == "activations/fc1"}
    assert steps == set(range(5))
    handle.remove()


def test_bad_input_names_the_argument_and_the_fix(run: nbviz.Run) -> None:
    model = Net()
    other = Net()
    with pytest.raises(TypeError, match=r"watch\(\): 'model' must be a torch.nn.Module, got str"):
        nbviz.watch("model")
    with pytest.raises(ValueError, match=r"'optimizer' does not update any parameter of 'model'"):
        nbviz.watch(model, torch.optim.SGD(other.parameters(), lr=0.1))
    with pytest.raises(TypeError, match=r"'optimizer' must be a torch\.optim\.Optimizer"):
        nbviz.watch(model, object())
    with pytest.raises(ValueError, match=r"'every' must be a positive int .*got int 0.*every=1"):
        nbviz.watch(model, every=0)
    with pytest.raises(ValueError, match="'what' must be a non-empty subset"):
        nbviz.watch(model, what=("weights", "gradients"))
    with pytest.raises(ValueError, match="'updates' needs the optimizer"):
        nbviz.watch(model, what=("updates",))
    with pytest.raises(ValueError, match=r"'layers' names \['fc9'\] are not modules"):
        nbviz.watch(model, layers=["fc9"])
    with pytest.raises(ValueError, match=r"'bins' must be an int in 2\.\.4096"):
        nbviz.watch(model, bins=1)
    with pytest.raises(ValueError, match="unknown health threshold"):
        nbviz.watch(model, health={"dead": 0.5})
    assert not model._forward_pre_hooks  # nothing attached by a failed call


def test_watch_without_a_run_explains(logdir: Path) -> None:
    nbviz.finish()
    with pytest.raises(RuntimeError, match=r"no run to record into; call run = nbviz.init"):
        nbviz.watch(Net())


def test_layers_selection_by_regex(run: nbviz.Run) -> None:
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    handle = nbviz.watch(model, optimizer, every=1, layers=r"^fc")
    train(model, optimizer, 1)
    handle.remove()
    layers = {r.extra["layer"] for r in records(run, "histogram")}
    assert layers == {"fc1", "fc2"}


def test_import_nbviz_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import nbviz, nbviz.hooks, nbviz.panels.histograms.compute, nbviz.panels.health.rules\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "sys.modules['torch'] = None  # now any torch import fails\n"
        "from nbviz.panels.histograms import widget\n"
        "from nbviz.panels.histograms.compute import tb_histogram\n"
        "print(tb_histogram([1.0, 2.0])[1]['num'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2.0"


def test_activations_only_without_optimizer_end_with_the_forward(run: nbviz.Run) -> None:
    model = Net()
    handle = nbviz.watch(model, every=3, what=("activations",), histogram_every=3,
                         activations=EVERY_LAYER)
    with torch.no_grad():
        model.train()
        for _ in range(7):
            model(torch.randn(4, 20))
    handle.remove()
    steps = {r.step for r in records(run, "histogram") if r.tag == "activations/fc1"}
    assert steps == {0, 3, 6}


def test_gradients_are_read_after_amp_unscaling(run: nbviz.Run) -> None:
    scaler_cls = getattr(torch.amp, "GradScaler", None)
    if scaler_cls is None:
        pytest.skip("torch.amp.GradScaler is not available")
    torch.manual_seed(0)
    model = Net()
    reference = Net()
    reference.load_state_dict(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scaler = scaler_cls("cpu", init_scale=2.0**16)
    handle = nbviz.watch(model, optimizer, every=1, what=("grads",))
    x = torch.randn(16, 20)
    y = torch.randint(0, 3, (16,))
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    scaler.scale(loss).backward()  # .grad holds 65536× the gradient until unscaled
    scaler.step(optimizer)
    scaler.update()
    handle.remove()
    nn.functional.cross_entropy(reference(x), y).backward()
    recorded = {r.tag: dict(zip(r.extra["names"], r.array, strict=True))["norm"]
                for r in records(run, "stats")}
    expected = float(reference.fc1.weight.grad.norm())
    assert recorded["grads/fc1.weight"] == pytest.approx(expected, rel=1e-4)


def test_statistics_every_step_histograms_on_their_schedule(run: nbviz.Run) -> None:
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    handle = nbviz.watch(model, optimizer, every=1)  # default histogram_every: 50
    assert handle.histogram_every == 50
    train(model, optimizer, 51)
    handle.remove()
    stats_steps = {r.step for r in records(run, "stats") if r.tag == "grads/fc1.weight"}
    hist_steps = {r.step for r in records(run, "histogram") if r.tag == "grads/fc1.weight"}
    assert stats_steps == set(range(51)) and hist_steps == {0, 50}
    act_steps = {r.step for r in records(run, "stats") if r.tag == "activations/act1"}
    assert act_steps == set(range(51))
    with pytest.raises(ValueError, match=r"'histogram_every' must be None or a positive multiple "
                                         r"of every=3.*got int 4"):
        nbviz.watch(model, optimizer, every=3, histogram_every=4)
    with pytest.raises(ValueError, match=r"'histogram_sample' must be None \(exact\) or an int"):
        nbviz.watch(model, optimizer, histogram_sample=10)


def test_activations_only_for_the_layers_asked_for(run: nbviz.Run) -> None:
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    handle = nbviz.watch(model, optimizer, every=1, activations=r"^act")
    train(model, optimizer, 2)
    handle.remove()
    tags = {r.tag for r in records(run, "stats")}
    assert {t for t in tags if t.startswith("activations/")} == {"activations/act1",
                                                                   "activations/act2"}
    assert "weights/fc1.weight" in tags and "grads/out.weight" in tags  # params unaffected
    with pytest.raises(ValueError, match=r"'activations' names \['relu9'\] are not modules"):
        nbviz.watch(model, optimizer, activations=["relu9"])


def test_sampled_histogram_keeps_exact_extremes_and_estimates_the_shape() -> None:
    generator = torch.Generator().manual_seed(3)
    values = torch.randn(1_000_000, generator=generator)
    exact, exact_extra = tensor_histogram(values, 64)
    sampled, extra = tensor_histogram(values, 64, sample=65_536)
    np.testing.assert_array_equal(sampled[0], exact[0])  # same edges: exact min/max
    assert extra["min"] == exact_extra["min"] and extra["max"] == exact_extra["max"]
    assert extra["sum"] == exact_extra["sum"] and extra["sample"] == 65_536
    assert sampled[1].sum() == pytest.approx(values.numel())
    p, q = exact[1] / exact[1].sum(), sampled[1] / sampled[1].sum()
    assert 0 < 0.5 * np.abs(p - q).sum() < 0.03  # total-variation distance (measured ~0.01)
    again, _ = tensor_histogram(values, 64, sample=65_536)
    np.testing.assert_array_equal(again, sampled)  # fixed positions: reproducible
    small, small_extra = tensor_histogram(values[:5000], 64, sample=65_536)
    np.testing.assert_array_equal(small[1, 1:], np.histogram(values[:5000].numpy(), 64)[0])
    assert "sample" not in small_extra  # not larger than the sample: exact
    broken = values.clone()
    broken[7] = float("nan")
    _, nan_extra = tensor_histogram(broken, 64, sample=65_536)
    assert nan_extra["nonfinite"] == 1  # NaN/Inf counts stay exact


def test_large_tensors_are_bucketed_in_chunks_exactly() -> None:
    rng = np.random.default_rng(5)
    values = rng.standard_normal(stats_module._CHUNK * 2 + 123).astype(np.float32)
    values[::97] = np.round(values[::97] * 8) / 8  # many values on bin edges
    counts, edges = device_histogram(torch.from_numpy(values), 64)
    expected, expected_edges = np.histogram(values, 64)
    np.testing.assert_array_equal(counts.numpy(), expected)
    np.testing.assert_array_equal(edges.numpy(), expected_edges)


def test_a_statistics_only_batch_has_no_histogram_but_the_same_statistics() -> None:
    tensor = torch.randn(300, 7)
    with_hist = Batch(bins=16)
    with_hist.add(Entry("weights", "fc", "weight", tensor))
    stats_only = Batch(bins=16, histograms=False)
    stats_only.add(Entry("weights", "fc", "weight", tensor))
    (full,), (lean,) = with_hist.finish(), stats_only.finish()
    assert full.histogram is not None and lean.histogram is None
    assert full.stats == lean.stats
    assert lean.stats["norm"] == pytest.approx(float(tensor.double().norm()), rel=1e-6)
    assert lean.stats["zero_frac"] == 0.0 and lean.stats["nonfinite"] == 0.0


def activation_tags(run: nbviz.Run, model: nn.Module, **options: Any) -> set[str]:
    """The activation stats tags one watched training step records."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    handle = nbviz.watch(model, optimizer, every=1, run=run, **options)
    train(model, optimizer, 1)
    handle.remove()
    return {r.tag for r in records(run, "stats") if r.tag.startswith("activations/")}


def test_activations_default_to_the_activation_modules(logdir: Path) -> None:
    torch.manual_seed(0)
    default = activation_tags(nbviz.init("default", logdir=logdir), Net())
    assert default == {"activations/act1", "activations/act2"}  # ReLU and Tanh, not Linears
    chosen = activation_tags(nbviz.init("chosen", logdir=logdir), Net(),
                             activations=r"fc1|act1")
    assert chosen == {"activations/fc1", "activations/act1"}


def test_activations_default_without_activation_modules_is_every_leaf(run: nbviz.Run) -> None:
    class Functional(nn.Module):  # F.relu in forward: no activation module to choose
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(20, 16)
            self.out = nn.Linear(16, 3)

        def forward(self, x: Any) -> Any:
            return self.out(nn.functional.relu(self.fc1(x)))

    torch.manual_seed(0)
    assert activation_tags(run, Functional()) == {"activations/fc1", "activations/out"}


def reference_stats(values: np.ndarray, eps: float = 1e-6) -> dict[str, float]:
    """What watch's statistics of ``values`` must be (numpy, float64)."""
    wide = values.astype(np.float64).ravel()
    return {"num": float(wide.size), "mean": float(wide.mean()), "std": float(wide.std()),
            "min": float(wide.min()), "max": float(wide.max()),
            "norm": float(np.sqrt((wide * wide).sum())),
            "zero_frac": float((wide == 0).mean()),
            "near_zero_frac": float((np.abs(wide) < eps).mean()), "nonfinite": 0.0}


def test_small_tensors_reduced_on_the_host_equal_numpy() -> None:
    """Four or more small CPU tensors are reduced with numpy on the host: the same
    statistics as numpy of each tensor, in float32 and float64, zeros and near-zeros
    counted, an empty and a NaN tensor among them handled as before."""
    generator = torch.Generator().manual_seed(3)
    tensors = [torch.randn(5, 7, generator=generator), torch.zeros(6),
               torch.randn(40, dtype=torch.float64, generator=generator) * 1e-6,
               torch.tensor([0.0, -0.0, 1e-7, -2e-6, 3.0]), torch.full((9,), 0.25),
               torch.randn(1000, generator=generator)]
    tensors[5][::7] = 0.0
    batch = Batch(bins=8)
    batch.add_many([Entry("grads", "l", str(i), t) for i, t in enumerate(tensors)]
                   + [Entry("grads", "l", "empty", torch.zeros(0)),
                      Entry("grads", "l", "nan", torch.tensor([1.0, float("nan"), 2.0, 0.0]))])
    summaries = batch.finish()
    for tensor, summary in zip(tensors, summaries, strict=False):
        expected = reference_stats(tensor.numpy())
        for name, value in expected.items():
            assert summary.stats[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
        counts, edges = np.histogram(tensor.numpy(), bins=8)
        assert summary.histogram is not None
        np.testing.assert_array_equal(summary.histogram[1, 1:], counts)
        np.testing.assert_allclose(summary.histogram[0], edges.astype(np.float64))
    empty, nan = summaries[-2:]
    assert empty.stats["num"] == 0 and empty.histogram is None
    assert nan.stats["nonfinite"] == 1 and np.isnan(nan.stats["mean"]) and nan.histogram is None
    assert nan.stats["zero_frac"] == pytest.approx(0.25)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_relu_outputs_counted_without_a_flag_pass_equal_numpy(dtype: torch.dtype) -> None:
    """A large ReLU output's range and zero count come from its integer view; a -0.0 or
    a NaN among the values (sign bit set, or a NaN maximum) still gives numpy's answer."""
    generator = torch.Generator().manual_seed(4)
    out = torch.relu(torch.randn(70_000, 3, generator=generator, dtype=dtype))
    out[5, 1] = 1.5
    with_negative_zero = out.clone()
    with_negative_zero[5, 1] = -0.0
    with_nan = out.clone()
    with_nan[7, 2] = float("nan")
    batch = Batch(bins=16)
    for tensor in (out, with_negative_zero, with_nan):
        batch.add(Entry("activations", "relu", "", tensor, activation="relu"))
    plain, negative_zero, nan = batch.finish()
    for summary, tensor in ((plain, out), (negative_zero, with_negative_zero)):
        expected = reference_stats(tensor.numpy())
        for name in ("mean", "std", "min", "max", "norm", "zero_frac"):
            assert summary.stats[name] == pytest.approx(expected[name], rel=1e-6), name
        counts, _ = np.histogram(tensor.numpy(), bins=16)
        assert summary.histogram is not None
        np.testing.assert_array_equal(summary.histogram[1, 1:], counts)
    assert negative_zero.stats["zero_frac"] == pytest.approx(plain.stats["zero_frac"] + 1 / 210_000)
    finite = with_nan.numpy()[~np.isnan(with_nan.numpy())]
    assert nan.stats["nonfinite"] == 1 and nan.histogram is None
    assert nan.stats["zero_frac"] == pytest.approx(float((finite == 0).sum()) / 210_000)
