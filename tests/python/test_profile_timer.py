"""Profile: the always-on step timer, timed(), the system meter and the profile rules."""

from __future__ import annotations

import gc
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from profile_models import fast_loader, slow_loader, small_cnn, train
from torch import nn

import nbviz
from nbviz.panels.health.rules import Thresholds
from nbviz.panels.profile import rules
from nbviz.panels.profile.timer import PHASES, StepTimer


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Small models train fastest on one intra-op thread (2 shared cores here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


PROFILE_TAGS = {f"profile/{p}_ms" for p in PHASES} | {"profile/step_ms", "profile/samples_per_s"}


def _scalars(run: nbviz.Run, prefix: str) -> dict[str, np.ndarray]:
    run.flush()
    frame = nbviz.read(run.dir, kind="scalars")
    frame = frame[frame["tag"].str.startswith(prefix)]
    return {tag: rows.sort_values("step")["value"].to_numpy()
            for tag, rows in frame.groupby("tag")}


class SleepForward(nn.Module):
    """Adds a known cost to forward, backward and nothing else."""

    def __init__(self, forward: float, backward: float) -> None:
        super().__init__()
        self.net = small_cnn()
        self.forward_sleep = forward
        self.backward_sleep = backward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        time.sleep(self.forward_sleep)
        out = self.net(x)
        sleep = self.backward_sleep

        def slow_backward(grad: torch.Tensor) -> torch.Tensor:
            time.sleep(sleep)
            return grad

        x.requires_grad_(True)
        first = self.net[0](x)
        first.register_hook(slow_backward)
        return out + 0 * first.sum()


class SlowSGD(torch.optim.SGD):
    def step(self, closure=None):  # type: ignore[no-untyped-def,override]
        time.sleep(0.006)
        return super().step(closure)


def test_phases_sum_to_step_time_and_land_in_the_right_phase(logdir: Path) -> None:
    run = nbviz.init("phases", logdir=logdir)
    model = SleepForward(forward=0.008, backward=0.010)
    optimizer = SlowSGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=1000)
    times = train(model, optimizer, nbviz.timed(slow_loader(16 * 12, 16, sleep=0.0005)))
    handle.remove()
    series = _scalars(run, "profile/")
    assert set(series) == PROFILE_TAGS
    assert {len(v) for v in series.values()} == {12}, {k: len(v) for k, v in series.items()}
    parts = sum(series[f"profile/{p}_ms"] for p in PHASES)
    external = np.array(times) * 1e3
    # Steps 1.. start where the previous ended: compare with the loop's own clock.
    np.testing.assert_allclose(parts[1:], series["profile/step_ms"][1:], rtol=1e-6)
    np.testing.assert_allclose(series["profile/step_ms"][1:], external[1:], rtol=0.05)
    assert np.median(series["profile/data_ms"]) >= 16 * 0.5
    assert np.median(series["profile/forward_ms"]) >= 8
    assert np.median(series["profile/backward_ms"]) >= 10
    assert np.median(series["profile/optimizer_ms"]) >= 6
    assert np.median(series["profile/forward_ms"]) < np.median(series["profile/step_ms"]) - 24
    np.testing.assert_allclose(series["profile/samples_per_s"],
                               16 / (series["profile/step_ms"] / 1e3), rtol=1e-6)


def _flagged(loader_kind: str, seed: int, logdir: Path, wrap: bool = True) -> bool:
    run = nbviz.init(f"{loader_kind}-{seed}", logdir=logdir)
    torch.manual_seed(seed)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=1000)
    loader = (slow_loader(16 * 12, 16, sleep=0.002, seed=seed) if loader_kind == "slow"
              else fast_loader(16 * 12, 16, seed=seed))
    train(model, optimizer, nbviz.timed(loader) if wrap else loader)
    handle.remove()
    flagged = "data_bound" in set(run.health()["rule"])
    run.finish()
    return flagged


def test_slow_loader_flagged_data_bound_19_of_20_and_normal_never(logdir: Path) -> None:
    slow = sum(_flagged("slow", seed, logdir) for seed in range(20))
    normal = sum(_flagged("fast", seed, logdir) for seed in range(20))
    assert slow >= 19, f"slow loader flagged in {slow}/20 runs"
    assert normal == 0, f"normal loader flagged in {normal}/20 runs"


def test_data_bound_without_timed_loader(logdir: Path) -> None:
    assert _flagged("slow", 0, logdir, wrap=False)
    assert not _flagged("fast", 0, logdir, wrap=False)


def test_finding_message_names_remedies(logdir: Path) -> None:
    nbviz.init("advice", logdir=logdir)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=1000)
    train(model, optimizer, nbviz.timed(slow_loader(16 * 12, 16)))
    found = [f for f in handle.findings if f.rule == "data_bound"]
    assert len(found) == 1
    assert "num_workers" in found[0].message and "(now 0)" in found[0].message
    assert found[0].severity == "warning" and found[0].value > 0.3


def test_meter_samples_and_stops_with_the_run(logdir: Path) -> None:
    run = nbviz.init("meter", logdir=logdir)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    timer = StepTimer(model, optimizer, run, meter_interval=0.05)
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        train(model, optimizer, fast_loader(64, 16))
    assert timer.meter.alive
    system = _scalars(run, "system/")
    assert {"system/cpu_percent", "system/rss_mb"} <= set(system)
    assert len(system["system/rss_mb"]) >= 3
    assert np.all(system["system/rss_mb"] > 10)
    assert np.all(system["system/cpu_percent"] >= 0)
    run.finish()
    deadline = time.monotonic() + 2
    while timer.meter.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not timer.meter.alive


def test_meter_stops_with_remove(logdir: Path) -> None:
    run = nbviz.init("meter-remove", logdir=logdir)
    model = small_cnn()
    handle = nbviz.watch(model, torch.optim.SGD(model.parameters(), lr=0.1))
    meter = handle.timer.meter
    assert meter.alive
    handle.remove()
    meter.stop(timeout=3)
    assert not meter.alive
    train(model, torch.optim.SGD(model.parameters(), lr=0.1), fast_loader(32, 16))
    assert "profile/step_ms" not in _scalars(run, "profile/")  # no hooks left after remove


def _leaky_training(run: nbviz.Run, leak_mb: int, steps: int) -> StepTimer:
    model = nn.Linear(8, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    timer = StepTimer(model, optimizer, run, meter_interval=0.02)
    kept = []
    for _ in range(steps):
        optimizer.zero_grad()
        model(torch.randn(4, 8)).sum().backward()
        optimizer.step()
        if leak_mb:
            kept.append(torch.ones(leak_mb * 2**18))  # float32: leak_mb MB, pages touched
        time.sleep(0.03)
    timer.remove()
    return timer


def test_memory_growth_flagged_for_a_leak_only(logdir: Path) -> None:
    leak = _leaky_training(nbviz.init("leak", logdir=logdir), leak_mb=12, steps=40)
    # (the sleep between steps also reads as data wait here: no timed() loader)
    growth = [f for f in leak.findings if f.rule == "memory_growth"]
    assert len(growth) == 1 and "MB" in growth[0].message and growth[0].value > 64
    gc.collect()
    steady = _leaky_training(nbviz.init("steady", logdir=logdir), leak_mb=0, steps=40)
    assert [f for f in steady.findings if f.rule == "memory_growth"] == []


def test_step_time_jump_names_the_phase(logdir: Path) -> None:
    nbviz.init("jump", logdir=logdir)
    model = SleepForward(forward=0.0, backward=0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=1000)
    loader = fast_loader(16 * 36, 16)
    for index, (x, y) in enumerate(loader):
        model.forward_sleep = 0.0 if index < 20 else 0.4
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    handle.remove()
    jumps = [f for f in handle.findings if f.rule == "step_time_jump"]
    assert len(jumps) == 1
    assert jumps[0].layer == "forward" and 20 <= jumps[0].step <= 26, jumps
    assert "health" not in jumps[0].tag or jumps[0].tag.startswith("health/step_time_jump")


def test_without_optimizer_steps_end_with_backward(logdir: Path) -> None:
    run = nbviz.init("no-opt", logdir=logdir)
    model = small_cnn()
    handle = nbviz.watch(model, every=1000)
    for x, y in nbviz.timed(fast_loader(16 * 6, 16)):
        nn.functional.cross_entropy(model(x), y).backward()
    handle.remove()
    series = _scalars(run, "profile/")
    assert len(series["profile/step_ms"]) == 6
    assert np.all(series["profile/backward_ms"] > 0)
    assert np.all(series["profile/optimizer_ms"] == 0)


def test_timer_does_not_move_the_user_auto_step(logdir: Path) -> None:
    run = nbviz.init("auto-step", logdir=logdir)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    nbviz.watch(model, optimizer, every=1000)
    run.log({"loss": 1.0}, step=0)
    train(model, optimizer, fast_loader(16 * 5, 16))
    run.log({"loss": 0.5})
    assert list(_scalars(run, "loss")["loss"]) == [1.0, 0.5]
    frame = nbviz.read(run.dir, kind="scalars")
    assert sorted(frame[frame["tag"] == "loss"]["step"]) == [0, 1]


def test_watch_timer_flag(logdir: Path) -> None:
    nbviz.init("flag", logdir=logdir)
    model = small_cnn()
    assert nbviz.watch(model, timer=False).timer is None
    with pytest.raises(TypeError, match="'timer' must be True or False"):
        nbviz.watch(model, timer="yes")


def test_timed_rejects_bad_input(logdir: Path) -> None:
    loader = fast_loader(32, 16)
    with pytest.raises(TypeError, match=r"timed\(\): 'loader' must be a DataLoader.*got int 3"):
        nbviz.timed(3)
    with pytest.raises(TypeError, match=r"'loader' must be a DataLoader.*got str"):
        nbviz.timed("data/")
    with pytest.raises(TypeError, match="one-shot iterator"):
        nbviz.timed(iter(loader))
    with pytest.raises(TypeError, match="array/tensor"):
        nbviz.timed(torch.zeros(4, 3))
    with pytest.raises(TypeError, match="'run' must be an nbviz Run"):
        nbviz.timed(loader, run="runs/a")
    wrapped = nbviz.timed(loader)
    assert nbviz.timed(wrapped) is wrapped
    assert len(wrapped) == 2 and wrapped.batch_size == 16 and wrapped.dataset is loader.dataset
    assert [x.shape[0] for x, _ in wrapped] == [16, 16]


def test_timer_failure_warns_once_and_training_goes_on(logdir: Path) -> None:
    run = nbviz.init("broken", logdir=logdir)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    timer = StepTimer(model, optimizer, run, meter_interval=None)
    run.finish()  # the run closes under the timer: recording must not break training
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(model, optimizer, fast_loader(16 * 3, 16))
    assert timer.step == 3
    timer._history = None  # type: ignore[assignment]  # break it: the next step must not raise
    with pytest.warns(RuntimeWarning, match="step timer raised .*disabled"):
        train(model, optimizer, fast_loader(16 * 3, 16))
    assert not timer.active and timer.step == 4


def test_history_ring_keeps_the_last_steps_in_order(logdir: Path) -> None:
    from nbviz.panels.profile.timer import HISTORY

    run = nbviz.init("ring", logdir=logdir)
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    timer = StepTimer(model, optimizer, run, meter_interval=None)
    steps = HISTORY + 9  # wraps around the ring
    x, y = torch.randn(8, 4), torch.randint(0, 2, (8,))
    for _ in range(steps):
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        optimizer.zero_grad()
    timer.remove()
    history = timer.history()
    assert history.shape == (HISTORY, len(PHASES) + 2)
    recorded = _scalars(run, "profile/")["profile/step_ms"]
    assert len(recorded) == steps
    np.testing.assert_allclose(history[:, 5] * 1e3, recorded[-HISTORY:])  # oldest first
    np.testing.assert_allclose(history[:, :5].sum(axis=1), history[:, 5], rtol=1e-9)


def test_thresholds_validate_the_profile_fields() -> None:
    with pytest.raises(ValueError, match="data_bound_share"):
        Thresholds(data_bound_share=1.5)
    with pytest.raises(ValueError, match="'step_jump' must be a positive number"):
        Thresholds(step_jump=-1)
    assert rules.data_bound(9, np.full(10, 0.01), np.full(10, 0.1), Thresholds()) is None
    found = rules.data_bound(9, np.full(10, 0.05), np.full(10, 0.1),
                             Thresholds(data_bound_share=0.4))
    assert found is not None and found.value == pytest.approx(0.5)


def test_remedies_leave_out_what_the_loader_already_does() -> None:
    from torch.utils.data import DataLoader, TensorDataset

    data = TensorDataset(torch.zeros(8, 2))
    plain = rules.data_remedies(DataLoader(data))
    assert "num_workers" in plain and "pin_memory" in plain
    tuned = rules.data_remedies(DataLoader(data, num_workers=os.cpu_count() or 1, pin_memory=True,
                                           persistent_workers=True, prefetch_factor=8))
    assert "num_workers" not in tuned and "pin_memory" not in tuned
    assert "persistent_workers" not in tuned and "prefetch_factor" not in tuned
    assert "__getitem__" in tuned


def test_host_bound_rule() -> None:
    assert rules.host_bound(4, busy_us=900.0, span_us=1000.0, thresholds=Thresholds()) is None
    found = rules.host_bound(4, busy_us=200.0, span_us=1000.0, thresholds=Thresholds())
    assert found is not None and found.rule == "host_bound"
    assert found.value == pytest.approx(0.8)
    assert rules.host_bound(4, busy_us=0.0, span_us=1000.0, thresholds=Thresholds()) is None


def test_a_pause_between_cells_is_not_a_step(logdir: Path) -> None:
    run = nbviz.init("pause", logdir=logdir)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    timer = StepTimer(model, optimizer, run, meter_interval=None)
    train(model, optimizer, nbviz.timed(fast_loader(16 * 12, 16)))  # typical step known
    typical = np.median(timer.history()[:, 5])
    time.sleep(max(1.2, 25 * typical))  # the user reads the output, runs the next cell
    train(model, optimizer, fast_loader(16 * 3, 16))  # without timed(): gap = data wait
    timer.remove()
    steps = _scalars(run, "profile/")["profile/step_ms"]
    assert len(steps) == 15
    assert steps[12] < 10 * typical * 1e3  # the pause is not in step 12


def test_optimizer_subclass_calling_super_step_is_one_step(logdir: Path) -> None:
    # torch patches step() of every Optimizer class it instantiates; a subclass whose step()
    # calls super().step() then runs the step hooks twice per step once the parent class was
    # instantiated too (here: a plain SGD first). Timer and watch must count one step.
    torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    run = nbviz.init("subclass", logdir=logdir)
    model = small_cnn()
    optimizer = SlowSGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=2)
    train(model, optimizer, nbviz.timed(fast_loader(16 * 6, 16)))
    handle.remove()
    assert handle.step == 6
    series = _scalars(run, "profile/")
    assert {len(v) for v in series.values()} == {6}
    assert np.median(series["profile/optimizer_ms"]) >= 6  # measured from the outer step


class SlowHead(nn.Module):
    """A CNN whose head's backward (before any parameter gradient is accumulated) sleeps."""

    def __init__(self, sleep: float) -> None:
        super().__init__()
        self.net = small_cnn()
        self.sleep = sleep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        sleep = self.sleep

        def slow(grad: torch.Tensor) -> torch.Tensor:
            time.sleep(sleep)
            return grad

        out.register_hook(slow)  # runs after the gradient reached the model's output
        return out * 1.0


def test_nearest_parameter_is_the_last_layers() -> None:
    from nbviz.panels.profile.timer import nearest_parameter

    model = small_cnn()
    out = model(torch.randn(2, 1, 28, 28))
    assert nearest_parameter(out.grad_fn, model.parameters()) is model[-1].bias
    model[-1].bias.requires_grad_(False)
    out = model(torch.randn(2, 1, 28, 28))
    assert nearest_parameter(out.grad_fn, model.parameters()) is model[-1].weight
    assert nearest_parameter(out.grad_fn, []) is None


def test_backward_start_between_calibrations_includes_the_lag(logdir: Path) -> None:
    # The parameter hook fires after the head's 6 ms backward: the steps timed from it
    # (not calibrated: 3..15, 17..) must still count that lag as backward, not "other".
    from nbviz.panels.profile.timer import CALIBRATE_EVERY, CALIBRATE_FIRST

    run = nbviz.init("lag", logdir=logdir)
    model = SlowHead(sleep=0.006)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    timer = StepTimer(model, optimizer, run, meter_interval=None)
    train(model, optimizer, nbviz.timed(fast_loader(16 * 20, 16)))
    timer.remove()
    assert timer._param_hook is None  # removed with the timer
    series = _scalars(run, "profile/")
    steps = np.arange(20)
    estimated = (steps >= CALIBRATE_FIRST) & (steps % CALIBRATE_EVERY != 0)
    assert estimated.sum() >= 15
    backward = series["profile/backward_ms"]
    assert np.all(backward[~estimated] >= 6)  # exact
    # From the hook minus the measured lag; without the lag this would be the CNN's ~1 ms.
    assert np.median(backward[estimated]) >= 6 * 0.9
    parts = sum(series[f"profile/{p}_ms"] for p in PHASES)
    np.testing.assert_allclose(parts[1:], series["profile/step_ms"][1:], rtol=1e-6)
