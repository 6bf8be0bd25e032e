"""watch() under torch.distributed (2 processes, gloo, CPU): merged histograms are the
histogram of the concatenated data, and only rank 0 writes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nbviz.store.sqlite import StoreReader

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():
    pytest.skip("torch.distributed is not available", allow_module_level=True)

pytestmark = pytest.mark.slow

WORKER = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    import torch
    import torch.distributed as dist
    import nbviz
    from nbviz.hooks.stats import Batch, Entry

    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{os.environ['PORT']}",
                            rank=rank, world_size=2)
    out = sys.argv[1]
    logdir = sys.argv[2]
    # Different data per rank: merged statistics must cover both.
    torch.manual_seed(100 + rank)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    run = nbviz.init("ddp", logdir=logdir) if rank == 0 else None
    handle = nbviz.watch(model, opt, every=1, bins=16, merge=True, run=run,
                         activations=["0", "1", "2"])  # every layer's output
    x = torch.randn(7 + 3 * rank, 6) * (1 + rank)
    saved = {"x": x.tolist(), "w": model[0].weight.detach().reshape(-1).tolist()}
    activations = model[0](x).detach()
    saved["act"] = activations.reshape(-1).tolist()
    saved["alive"] = (activations.relu().amax(0) > 0).tolist()
    loss = model(x).square().mean()
    opt.zero_grad(); loss.backward(); opt.step()
    handle.remove()
    # The merge on its own: Batch with merge=True on a tensor of different size per rank.
    values = torch.arange(10.0 * (rank + 1)) * (rank + 1) - 3
    batch = Batch(bins=9, merge=frozenset({"weights"}))
    batch.add(Entry("weights", "v", "", values))
    (summary,) = batch.finish()
    saved["batch"] = {"hist": summary.histogram.tolist(), "extra": summary.extra,
                      "values": values.tolist()}
    saved["wrote"] = run is not None
    if run is not None:
        run.finish()
    with open(out, "w") as f:
        json.dump(saved, f)
    dist.barrier()
    dist.destroy_process_group()
    """
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_merged_histograms_equal_the_concatenated_data_and_only_rank0_writes(
        tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    logdir = tmp_path / "runs"
    port = _free_port()
    procs = []
    for rank in range(2):
        env = dict(os.environ, RANK=str(rank), PORT=str(port), OMP_NUM_THREADS="1")
        procs.append(subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / f"rank{rank}.json"), str(logdir)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        for proc in procs:
            _, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [r["wrote"] for r in ranks] == [True, False]
    assert sorted(p.name for p in logdir.iterdir()) == ["ddp"]  # rank 1 wrote nothing

    # The merge primitive: global range, summed counts == histogram of the union.
    union = np.concatenate([np.array(r["batch"]["values"], np.float32) for r in ranks])
    counts, edges = np.histogram(union, bins=9)
    for r in ranks:  # every rank computes the same global picture
        hist = np.array(r["batch"]["hist"])
        np.testing.assert_array_equal(hist[0], edges.astype(np.float64))
        np.testing.assert_array_equal(hist[1, 1:], counts)
        assert r["batch"]["extra"]["num"] == union.size
        assert r["batch"]["extra"]["sum"] == pytest.approx(float(union.sum()))

    # What rank 0 recorded through watch(): activations and weights of both ranks.
    records = {(rec.tag, rec.kind): rec for rec in StoreReader(logdir / "ddp").tensors_between(0)}
    acts = np.concatenate([np.array(r["act"], np.float32) for r in ranks])
    counts, edges = np.histogram(acts, bins=16)
    record = records[("activations/0", "histogram")]
    np.testing.assert_array_equal(record.array[0], edges.astype(np.float64))
    np.testing.assert_array_equal(record.array[1, 1:], counts)
    assert record.extra["num"] == acts.size
    weights = np.concatenate([np.array(r["w"], np.float32) for r in ranks])
    counts, edges = np.histogram(weights, bins=16)
    np.testing.assert_array_equal(records[("weights/0.weight", "histogram")].array[1, 1:], counts)
    # Dead units merge across ranks: a unit is dead only if dead on every rank.
    alive = np.logical_or(*[np.array(r["alive"]) for r in ranks])
    stats = records[("activations/1", "stats")]
    dead = dict(zip(stats.extra["names"], stats.array, strict=True))["dead_frac"]
    assert dead == pytest.approx(1 - alive.mean())
