"""Write notebooks/profile.ipynb from the cell sources below (keeps them reviewable).

    python scripts/make_profile_notebook.py
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

CELLS = [
    new_markdown_cell(
        "# Profile: is my model waiting for data?\n\n"
        "`nbviz.watch` times every training step — waiting for data, forward, backward, "
        "optimizer step and the rest — for the cost of a few clock reads, and a meter thread "
        "samples CPU and memory once a second. `nbviz.Profile` shows where the time goes, "
        "live, and names the bottleneck with the usual remedies.\n\n"
        "Here a small CNN trains on scikit-learn's bundled *digits* (no download). Its "
        "`Dataset` pays a small cost per sample in `__getitem__` — think JPEG decoding or "
        "reading from a network disk — which we simulate with a 0.4 ms sleep. First with a "
        "plain `DataLoader`, then with the fix."
    ),
    new_code_cell(
        "import shutil\n"
        "import time\n\n"
        "import torch\n"
        "from sklearn.datasets import load_digits\n"
        "from torch import nn\n"
        "from torch.utils.data import DataLoader, Dataset\n\n"
        "import nbviz\n\n"
        "torch.manual_seed(0)\n"
        "torch.set_num_threads(1)\n"
        "shutil.rmtree('runs/profile', ignore_errors=True)\n"
        "digits = load_digits()\n\n\n"
        "class Digits(Dataset):\n"
        "    \"\"\"8×8 digit images; each sample costs 0.4 ms to 'decode'.\"\"\"\n\n"
        "    def __init__(self):\n"
        "        self.x = torch.tensor(digits.images / 16.0, dtype=torch.float32)[:, None]\n"
        "        self.y = torch.tensor(digits.target)\n\n"
        "    def __len__(self):\n"
        "        return len(self.x)\n\n"
        "    def __getitem__(self, i):\n"
        "        time.sleep(0.0004)\n"
        "        return self.x[i], self.y[i]\n\n\n"
        "def make_model():\n"
        "    torch.manual_seed(0)\n"
        "    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),\n"
        "                         nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
        "                         nn.Flatten(), nn.Linear(32 * 4 * 4, 10))\n\n\n"
        "def train(model, optimizer, loader, epochs=2):\n"
        "    for _ in range(epochs):\n"
        "        for x, y in loader:\n"
        "            optimizer.zero_grad()\n"
        "            nn.functional.cross_entropy(model(x), y).backward()\n"
        "            optimizer.step()"
    ),
    new_markdown_cell(
        "## 1. The slow loader\n\n"
        "`nbviz.timed(loader)` is optional: it measures the exact time each step waits for "
        "its batch (without it, the timer counts everything between the optimizer step and "
        "the next forward pass as waiting for data). Display the panel, then train: the "
        "stacked breakdown grows while the cell runs, and a **data-bound** finding appears "
        "after a few steps."
    ),
    new_code_cell(
        "slow_run = nbviz.init('plain-loader', logdir='runs/profile')\n"
        "model = make_model()\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.05)\n"
        "handle = nbviz.watch(model, optimizer, every=50)\n"
        "slow_loader = nbviz.timed(DataLoader(Digits(), batch_size=32, shuffle=True))\n"
        "nbviz.Profile(slow_run, title='Plain DataLoader')"
    ),
    new_code_cell(
        "train(model, optimizer, slow_loader)\n"
        "handle.remove()\n"
        "slow_run.health()[['step', 'rule', 'message']]"
    ),
    new_markdown_cell(
        "The finding names the remedies that apply to *this* loader (it read its settings): "
        "worker processes, pinned memory for GPU copies, persistent workers, a deeper "
        "prefetch. Two worker processes decode the next batches while the model trains on "
        "this one, so the batch is ready when the step asks for it.\n\n"
        "## 2. The fix: worker processes that prefetch\n\n"
        "Same model, same data, same seed; only the `DataLoader` changes."
    ),
    new_code_cell(
        "fixed_run = nbviz.init('2-workers', logdir='runs/profile')\n"
        "model = make_model()\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.05)\n"
        "handle = nbviz.watch(model, optimizer, every=50)\n"
        "fixed_loader = nbviz.timed(DataLoader(Digits(), batch_size=32, shuffle=True,\n"
        "                                      num_workers=2, persistent_workers=True,\n"
        "                                      prefetch_factor=4))\n"
        "nbviz.Profile(fixed_run, title='num_workers=2, persistent, prefetch 4')"
    ),
    new_code_cell(
        "train(model, optimizer, fixed_loader)\n"
        "for r in (slow_run, fixed_run):\n"
        "    r.flush()\n"
        "    rows = nbviz.read(r.dir, kind='scalars')\n"
        "    steps = rows[rows.step >= 3].pivot_table('value', 'step', 'tag')\n"
        "    share = (steps['profile/data_ms'] / steps['profile/step_ms']).median()\n"
        "    print(f'{r.name:>13}: waits for data {share:.0%} of a step (median), '\n"
        "          f'{steps[\"profile/samples_per_s\"].median():.0f} samples/s')"
    ),
    new_markdown_cell(
        "The per-step series are ordinary scalars (`profile/<phase>_ms`, `profile/step_ms`, "
        "`profile/samples_per_s`), so `nbviz.read` compares the runs — medians after the "
        "first steps (worker start-up, allocator warm-up):"
    ),
    new_code_cell(
        "frame = nbviz.read('runs/profile', kind='scalars')\n"
        "frame = frame[frame.tag.str.startswith('profile/') & (frame.step >= 3)]\n"
        "table = frame.pivot_table(index='run', columns='tag', values='value', aggfunc='median')\n"
        "table.round(1)"
    ),
    new_markdown_cell(
        "## 3. What happens inside a step: a profiler capture\n\n"
        "`nbviz.profile(run, steps=5)` wraps `torch.profiler` with a schedule on the steps "
        "`watch` marks, and stores the capture in the run: the step time by category (the "
        "categories of TensorBoard's retired profiler plugin), the top operators by self "
        "time, a memory curve and a zoomable timeline (wheel to zoom, drag to pan). The "
        "Chrome/Perfetto trace file is written beside the run for ui.perfetto.dev."
    ),
    new_code_cell(
        "with nbviz.profile(fixed_run, steps=5) as capture:\n"
        "    train(model, optimizer, fixed_loader, epochs=1)\n"
        "handle.remove()\n"
        "print('trace file:', capture.result.trace_path)\n"
        "capture.result.breakdown.round(2)"
    ),
    new_code_cell("capture.top_operators.head(8)"),
    new_markdown_cell(
        "Both runs in one panel (pick the run at the top; the latest capture is shown below "
        "the charts). The Dashboard has the same view in its **Profile** tab."
    ),
    new_code_cell("nbviz.Profile('runs/profile')"),
    new_code_cell("slow_run.finish()\nfixed_run.finish()"),
]


if __name__ == "__main__":
    print("wrote", write_notebook("profile.ipynb", CELLS))
