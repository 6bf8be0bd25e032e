"""PRCurves kernel side: snapshot / append protocol (docs/wire.md, "PR curves")."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from wire import MessageRecorder

import nbviz
from nbviz.panels.pr.compute import tb_pr_curve
from nbviz.panels.pr.widget import MAX_WIRE_THRESHOLDS, PRCurves
from nbviz.widgets._bundle import STATIC


@pytest.fixture(autouse=True)
def _pr_bundle() -> None:
    if not (STATIC / "pr.js").exists():
        pytest.skip("JS not built (run `make js`)")


def decode(curves: list[dict[str, Any]], payload: bytes | memoryview) -> dict[int, np.ndarray]:
    """id -> [6, T] array, checking the buffer holds exactly what the infos announce."""
    data = np.frombuffer(bytes(payload), dtype="<f8")
    out: dict[int, np.ndarray] = {}
    offset = 0
    for info in curves:
        width = int(info["num_thresholds"])
        out[info["id"]] = data[offset: offset + 6 * width].reshape(6, width)
        offset += 6 * width
    assert offset == data.size, "buffer longer than the curves announce"
    return out


def _binary(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(int)
    return labels, np.clip(rng.normal(0.3 + 0.4 * labels, 0.2), 0, 1)


def _tick(panel: PRCurves) -> None:
    panel._send_budget.reset()
    panel._tick()


def test_snapshot_holds_binary_multiclass_and_facade_records(logdir: Path) -> None:
    run = nbviz.init("r", logdir=logdir)
    labels, scores = _binary(0)
    for step in range(3):
        run.log_pr("val/pr", *_binary(step), step=step)
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), size=200)
    run.log_pr("val/multi", rng.integers(0, 3, 200), probs, step=0, class_names=["a", "b", "c"])
    # what the SummaryWriter facade writes for add_pr_curve: no class info, no metrics
    run.log_tensor("pr_curve", "PR_Curve/Binary_Classification", tb_pr_curve(labels, scores), 4,
                   {"num_thresholds": 127})
    panel = PRCurves(run)
    data = decode(panel.curves, panel.snapshot)
    assert len(panel.curves) == 3 + 5 + 1 and panel.snapshot_seq == 1
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for info in panel.curves:
        by_tag.setdefault(info["tag"], []).append(info)
    assert [i["step"] for i in by_tag["val/pr"]] == [0, 1, 2]
    assert {i["kind"] for i in by_tag["val/pr"]} == {"binary"}
    assert [(i["series"], i["kind"], i["class_index"], i["color"]) for i in by_tag["val/multi"]] \
        == [("a", "class", 0, 0), ("b", "class", 1, 1), ("c", "class", 2, 2),
            ("micro", "micro", -1, -1), ("macro", "macro", -1, -1)]
    (facade,) = by_tag["PR_Curve/Binary_Classification"]
    assert facade["kind"] == "binary" and facade["series"] == "" and facade["step"] == 4
    assert facade["ap"] is None and facade["exact"] is None and facade["num_thresholds"] == 127
    np.testing.assert_array_equal(data[facade["id"]], tb_pr_curve(labels, scores))
    first = by_tag["val/pr"][0]
    assert first["exact"] is True and 0 < first["ap"] <= 1
    np.testing.assert_array_equal(data[first["id"]], tb_pr_curve(*_binary(0)))
    panel.close()


def test_appends_carry_only_new_curves_with_increasing_seq(logdir: Path) -> None:
    run = nbviz.init("live", logdir=logdir)
    panel = PRCurves(run)
    recorder = MessageRecorder(panel)
    run.log_pr("pr", *_binary(0), step=0)
    _tick(panel)
    run.log_pr("pr", *_binary(1), step=1)
    run.log_pr("other", *_binary(2), step=1)
    _tick(panel)
    _tick(panel)  # nothing new: no message
    appends = recorder.of("append")
    assert [len(a["curves"]) for a in appends] == [1, 2]
    assert appends[0]["seq"] < appends[1]["seq"] and appends[0]["seq"] > panel.snapshot_seq
    second = decode(appends[1]["curves"], appends[1]["payload"])
    assert [(i["tag"], i["step"]) for i in appends[1]["curves"]] == [("pr", 1), ("other", 1)]
    np.testing.assert_array_equal(second[appends[1]["curves"][0]["id"]],
                                  tb_pr_curve(*_binary(1)))
    panel.sync()  # a complete snapshot for saved widget state
    snap = recorder.of("snapshot")[-1]
    assert len(snap["curves"]) == 3 and snap["seq"] > appends[-1]["seq"]
    panel.close()


def test_the_same_step_logged_again_replaces_its_curve(logdir: Path) -> None:
    run = nbviz.init("again", logdir=logdir)
    run.log_pr("pr", *_binary(0), step=5)
    panel = PRCurves(run)
    recorder = MessageRecorder(panel)
    first_id = panel.curves[0]["id"]
    run.log_pr("pr", *_binary(9), step=5)
    _tick(panel)
    (append,) = recorder.of("append")
    assert [i["id"] for i in append["curves"]] == [first_id]
    np.testing.assert_array_equal(decode(append["curves"], append["payload"])[first_id],
                                  tb_pr_curve(*_binary(9)))
    panel.close()


def test_max_steps_thins_older_steps_and_resends_a_snapshot(logdir: Path) -> None:
    run = nbviz.init("long", logdir=logdir)
    panel = PRCurves(run, max_steps=8)
    recorder = MessageRecorder(panel)
    for step in range(20):
        run.log_pr("pr", *_binary(step, n=50), step=step)
        _tick(panel)
    panel.sync()
    steps = sorted(i["step"] for i in panel.curves)
    assert len(steps) <= 8 and steps[0] == 0 and steps[-1] == 19
    assert recorder.of("snapshot"), "thinning must resend a snapshot"
    panel.close()


def test_panel_over_a_logdir_with_several_runs(logdir: Path) -> None:
    for name in ("a", "b"):
        with nbviz.init(name, logdir=logdir) as run:
            run.log_pr("pr", *_binary(len(name)), step=0)
    panel = PRCurves(str(logdir))
    assert sorted(i["run"] for i in panel.curves) == ["a", "b"]
    from nbviz.widgets._palette import run_color

    # binary curves take the run's colour, the same in every panel of the kernel
    colors = {i["run"]: i["color"] for i in panel.curves}
    assert colors == {"a": run_color("a"), "b": run_color("b")}
    assert run_color("a") != run_color("b")
    assert "2 run(s)" in panel.summary()
    panel.close()


def test_wide_and_malformed_records(logdir: Path) -> None:
    run = nbviz.init("odd", logdir=logdir)
    wide = np.tile(np.linspace(1, 0, 10_000), (6, 1))
    run.log_tensor("pr_curve", "wide", wide, 0, {"num_thresholds": 10_000})
    run.log_tensor("pr_curve", "broken", np.zeros((3, 4)), 0, {})
    with pytest.warns(RuntimeWarning, match=r"skipping a pr_curve record of tag 'broken'"):
        panel = PRCurves(run)
    (info,) = panel.curves
    assert info["tag"] == "wide" and info["num_thresholds"] <= MAX_WIRE_THRESHOLDS
    assert len(panel.snapshot) == 6 * info["num_thresholds"] * 8
    assert panel.skipped_records == 1
    panel.close()


def test_picture_and_text_fallback(logdir: Path) -> None:
    run = nbviz.init("pic", logdir=logdir)
    for step in range(2):
        run.log_pr("val/pr", *_binary(step), step=step)
    panel = PRCurves(run, view="roc")
    bundle = panel._repr_mimebundle_()[0]
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert bundle["text/plain"].startswith("nbviz.PRCurves: 1 run(s) [pic], 1 tag(s), 2 curve(s)")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert not panel._picture_is_stale()
    run.log_pr("val/pr", *_binary(5), step=2)
    panel.sync()
    assert panel._picture_is_stale()
    panel.close()


def test_traits_and_validation(logdir: Path) -> None:
    run = nbviz.init("t", logdir=logdir)
    panel = nbviz.PRCurves(run, overlay_steps=True, hidden_series=["micro"], title="Val")
    assert (panel.view, panel.overlay_steps, panel.hidden_series, panel.title) == (
        "pr", True, ["micro"], "Val")
    assert panel.curves == [] and panel.snapshot == b""
    panel.close()
    with pytest.raises(ValueError, match="'view' must be 'pr' or 'roc'"):
        PRCurves(run, view="bar")
    with pytest.raises(ValueError, match="'max_steps' must be an int >= 2"):
        PRCurves(run, max_steps=1)
    with pytest.raises(TypeError, match="'hidden_series' must be a list"):
        PRCurves(run, hidden_series="micro")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        PRCurves(logdir / "missing")


def test_live_updates_through_the_ticker(logdir: Path) -> None:
    run = nbviz.init("ticker", logdir=logdir)
    panel = PRCurves(run)
    sent_before = panel.messages_sent
    run.log_pr("pr", *_binary(0), step=0)
    for _ in range(50):  # the ticker runs every 50 ms
        if panel.messages_sent > sent_before:
            break
        time.sleep(0.05)
    assert panel.messages_sent > sent_before, "the ticker did not send the new curve"
    panel.close()
