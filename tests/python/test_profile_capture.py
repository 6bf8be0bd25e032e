"""Profile: nbviz.profile() — a torch.profiler capture stored in the run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from profile_models import fast_loader, slow_loader, small_cnn, train

import nbviz
from nbviz.panels.profile import analyse
from nbviz.store.sqlite import StoreReader


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _setup(logdir: Path, name: str) -> tuple[nbviz.Run, torch.nn.Module, torch.optim.Optimizer]:
    run = nbviz.init(name, logdir=logdir)
    torch.manual_seed(0)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    return run, model, optimizer


def test_capture_top_operators_match_key_averages(logdir: Path) -> None:
    run, model, optimizer = _setup(logdir, "cnn")
    handle = nbviz.watch(model, optimizer, every=1000)
    train(model, optimizer, fast_loader(16 * 3, 16))  # steps 0..2 before the capture
    own: list[object] = []
    with nbviz.profile(run, steps=5) as capture:
        original = capture._ready

        def keep(prof: object) -> None:
            own.append(prof)
            original(prof)

        capture._prof.on_trace_ready = keep
        train(model, optimizer, fast_loader(16 * 8, 16))
    handle.remove()
    result = capture.result
    assert result is not None and len(own) == 1
    assert result.steps == [5, 6, 7, 8, 9]  # watch's step numbers, after wait=1, warmup=1
    reference = sorted(own[0].key_averages(),  # type: ignore[attr-defined]
                       key=lambda e: -e.self_cpu_time_total)
    ours = result.top_operators
    assert list(ours["name"][:10]) == [e.key for e in reference[:10]]
    np.testing.assert_allclose(ours["self_cpu_us"][:10],
                               [e.self_cpu_time_total for e in reference[:10]], rtol=1e-6)
    np.testing.assert_array_equal(ours["calls"][:10], [e.count for e in reference[:10]])
    assert any("convolution" in name for name in ours["name"][:5])
    # The breakdown adds up to each captured step's length; CPU work dominates on CPU.
    spans = result.step_us[:, 1] - result.step_us[:, 0]
    np.testing.assert_allclose(result.breakdown_us.sum(axis=1), spans, rtol=1e-9)
    cpu = analyse.CATEGORIES.index("CPU Exec")
    totals = result.breakdown_us.sum(axis=0)
    assert np.all(result.breakdown_us[:, cpu] > 0)
    assert np.argmax(totals[:-1]) == cpu  # of the categories besides Other
    assert result.device == "cpu" and result.breakdown_us[:, 0].sum() == 0  # no kernels
    dataloader = analyse.CATEGORIES.index("DataLoader")
    assert np.all(result.breakdown_us[:, dataloader] > 0)
    # The trace file is valid Chrome trace JSON; the memory curve is non-negative.
    trace = json.loads(Path(result.trace_path).read_text())
    assert any(e.get("name", "").startswith("ProfilerStep") for e in trace["traceEvents"])
    assert result.memory.shape[1] == 2 and np.all(result.memory[:, 1] >= 0)
    assert result.memory[:, 1].max() > 0
    # Stored in the run: the summary and the timeline.
    run.flush()
    reader = StoreReader(run.dir)
    records = reader.tensors_between(0, None, frozenset({"profile"}))
    reader.close()
    assert "timer" in {r.extra["part"] for r in records}  # the step timer's marker
    parts = {r.extra["part"]: r for r in records if r.extra["part"] != "timer"}
    assert set(parts) == {"summary", "timeline"}
    assert parts["summary"].step == 5 and parts["summary"].extra["steps"] == [5, 6, 7, 8, 9]
    timeline = parts["timeline"].array
    assert timeline.shape[1] == 6 and timeline.shape[0] > 100
    names = parts["timeline"].extra["names"]
    assert int(timeline[:, 4].max()) < len(names)
    assert np.all(timeline[:, 1] >= 0) and timeline[:, 3].max() >= 2  # nested ops


def test_slow_loader_shows_as_dataloader_time(logdir: Path) -> None:
    run, model, optimizer = _setup(logdir, "slow")
    with nbviz.profile(run, steps=3, wait=0, warmup=1, optimizer=optimizer,
                       trace=False) as capture:
        train(model, optimizer, slow_loader(16 * 5, 16, sleep=0.002))
    result = capture.result
    assert result is not None and result.trace_path == ""
    dataloader = analyse.CATEGORIES.index("DataLoader")
    shares = result.breakdown_us[:, dataloader] / result.breakdown_us.sum(axis=1)
    assert np.all(shares > 0.3), shares


def test_too_few_steps_warns(logdir: Path) -> None:
    run, model, optimizer = _setup(logdir, "short")
    nbviz.watch(model, optimizer, every=1000)
    with pytest.warns(RuntimeWarning, match="ran 2 step\\(s\\) but the capture needs 7"), \
            nbviz.profile(run, steps=5) as capture:
        train(model, optimizer, fast_loader(32, 16))
    assert capture.result is None
    with pytest.raises(RuntimeError, match="no capture yet"):
        _ = capture.top_operators


def test_profile_rejects_bad_input(logdir: Path) -> None:
    run, model, _ = _setup(logdir, "bad")
    with pytest.raises(ValueError, match=r"'steps' must be an int >= 1, got int 0"):
        nbviz.profile(run, steps=0)
    with pytest.raises(ValueError, match=r"'steps' must be an int >= 1, got float 2.5"):
        nbviz.profile(run, steps=2.5)
    with pytest.raises(ValueError, match="'wait' must be an int >= 0"):
        nbviz.profile(run, wait=-1)
    with pytest.raises(TypeError, match="'run' must be an nbviz Run, got str"):
        nbviz.profile("runs/a")
    with pytest.raises(TypeError, match=r"'optimizer' must be a torch.optim.Optimizer"):
        nbviz.profile(run, optimizer=model)
    with pytest.raises(TypeError, match="'memory' must be True or False"):
        nbviz.profile(run, memory="yes")
    with pytest.raises(RuntimeError, match=r"no step boundaries.*nbviz.watch"), \
            nbviz.profile(run, steps=2):
        pass
    run.finish()
    with pytest.raises(ValueError, match="is finished"):
        nbviz.profile(run)


def test_breakdown_priorities_and_busy_time() -> None:
    # One step [0, 100): a kernel [10, 30), a runtime call [20, 40), CPU work [0, 60).
    spans = analyse.breakdown(np.array([0.0]), np.array([100.0]),
                              np.array([10.0, 20.0, 0.0]), np.array([30.0, 40.0, 60.0]),
                              np.array([analyse.KERNEL, analyse.RUNTIME, analyse.CPU_EXEC]))
    expected = dict.fromkeys(analyse.CATEGORIES, 0.0)
    expected.update({"Kernel": 20.0, "Runtime": 10.0, "CPU Exec": 30.0, "Other": 40.0})
    assert spans[0].tolist() == list(expected.values())
    assert analyse.busy_time(np.array([0.0, 5.0, 20.0]), np.array([10.0, 12.0, 30.0]),
                             0.0, 25.0) == pytest.approx(17.0)
    assert analyse.event_depth(np.array([-1, 0, 1, 0, -1])).tolist() == [0, 1, 2, 1, 0]
    names = ["aten::mm", "cudaLaunchKernel", "enumerate(DataLoader)#x", "ncclAllReduce",
             "Memcpy HtoD", "volta_sgemm"]
    device = np.array([False, False, False, False, True, True])
    assert analyse.categorise(names, device).tolist() == [
        analyse.CPU_EXEC, analyse.RUNTIME, analyse.DATALOADER, analyse.COMMUNICATION,
        analyse.MEMCPY, analyse.KERNEL]
