from __future__ import annotations

import time
import warnings

import pytest

from nbviz.widgets import _ticker


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.ticks = 0

    def _tick(self) -> None:
        self.ticks += 1
        if self.ticks <= self.failures:
            raise OSError("database is locked")


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_one_off_error_warns_once_and_keeps_ticking() -> None:
    panel = Flaky(failures=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ticker.register(panel)
        wait_for(lambda: panel.ticks > 10)
        _ticker.unregister(panel)
    assert panel.ticks > 10, "a transient failure must not stop the panel"
    messages = [str(w.message) for w in caught if "live panel" in str(w.message)]
    assert len(messages) == 1 and "retrying" in messages[0]


def test_persistent_failure_stops_the_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ticker, "MAX_CONSECUTIVE_FAILURES", 5)
    panel = Flaky(failures=10**9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ticker.register(panel)
        wait_for(lambda: panel.ticks >= 5 and panel not in _ticker._panels)
        ticks = panel.ticks
        time.sleep(0.3)
    assert panel.ticks == ticks == 5
    assert any("stopped updating after 5" in str(w.message) for w in caught)
