"""Infrastructure smoke test: plain ipywidgets and anywidget render in Lab and Notebook 7."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("ui", ["lab", "nb7"])
def test_widgets_render(nb, ui):
    path = nb.copy("smoke.ipynb")
    slider = nb.run_until(".widget-slider", ui=ui, path=path)
    assert "smoke" in slider.inner_text()
    probe = nb.page.locator(".smoke-anywidget")
    probe.wait_for(state="visible")
    assert probe.inner_text() == "anywidget says hello"
