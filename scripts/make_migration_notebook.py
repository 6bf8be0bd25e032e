"""Write notebooks/tensorboard_migration.ipynb (TensorBoard → nbviz in one import line).

    python scripts/make_migration_notebook.py
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

NAME = "tensorboard_migration.ipynb"

CELLS = [
    new_markdown_cell(
        "# From TensorBoard to nbviz: one import line\n\n"
        "You have training code written for `torch.utils.tensorboard` and `runs/` folders full "
        "of tfevents files. This notebook shows the two things that move over with you:\n\n"
        "1. **Your code**: swap one import and every `writer.add_*` call keeps working — "
        "same signatures, same defaults — but the data shows up *in the notebook, live, while "
        "the cell trains* (no `tensorboard --logdir`, no port, no iframe).\n"
        "2. **Your old logs**: `%nbviz runs` opens TensorBoard logdirs as they are, next to "
        "the new runs, and `nbviz.read` turns both into pandas DataFrames."
    ),
    new_code_cell(
        "%load_ext nbviz\n"
        "import shutil\nfrom pathlib import Path\n\n"
        "import nbviz\nimport torch\nfrom sklearn.datasets import load_digits\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "torch.manual_seed(0)\ntorch.set_num_threads(1)\n"
        "digits = load_digits()  # bundled with scikit-learn: no download\n"
        "x = torch.tensor(digits.data / 16.0, dtype=torch.float32)\n"
        "y = torch.tensor(digits.target)\n"
        "x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, random_state=0)\n"
        "LOGDIR = Path('runs/migration')\n"
        "shutil.rmtree(LOGDIR, ignore_errors=True)"
    ),
    new_markdown_cell(
        "## 1. An existing TensorBoard training script\n\n"
        "Below is a typical script: scalars, a per-epoch pair of curves (`add_scalars`), a "
        "weight histogram, a PR curve, a note and the hyperparameters. It was written for "
        "TensorBoard; the **only** change is the import:\n\n"
        "```diff\n"
        "- from torch.utils.tensorboard import SummaryWriter\n"
        "+ from nbviz import SummaryWriter\n"
        "```"
    ),
    new_code_cell(
        "from nbviz import SummaryWriter\n\n\n"
        "def train(lr, run_dir, steps=400, batch=64, writer_class=SummaryWriter):\n"
        "    model = torch.nn.Sequential(\n"
        "        torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    loss_fn = torch.nn.CrossEntropyLoss()\n"
        "    generator = torch.Generator().manual_seed(0)\n"
        "    writer = writer_class(str(run_dir))\n"
        "    writer.add_text('notes', f'SGD, lr={lr}, batch={batch}', 0)\n"
        "    for step in range(steps):\n"
        "        index = torch.randint(len(x_train), (batch,), generator=generator)\n"
        "        loss = loss_fn(model(x_train[index]), y_train[index])\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        writer.add_scalar('loss/train', loss.item(), step)\n"
        "        if step % 25 == 0:\n"
        "            with torch.no_grad():\n"
        "                logits = model(x_val)\n"
        "                val_loss = loss_fn(logits, y_val).item()\n"
        "                accuracy = (logits.argmax(1) == y_val).float().mean().item()\n"
        "            writer.add_scalar('loss/val', val_loss, step)\n"
        "            writer.add_scalar('accuracy/val', accuracy, step)\n"
        "            writer.add_scalars('loss', {'train': loss.item(), 'val': val_loss}, step)\n"
        "            writer.add_histogram('weights/fc1', model[0].weight, step)\n"
        "    with torch.no_grad():\n"
        "        probabilities = model(x_val).softmax(1)\n"
        "    writer.add_pr_curve('pr/digit_3', y_val == 3, probabilities[:, 3], steps)\n"
        "    writer.add_hparams({'lr': lr, 'batch': batch}, {'hparam/accuracy': accuracy},\n"
        "                       run_name='hparams')\n"
        "    writer.close()"
    ),
    new_markdown_cell(
        "Show a dashboard of the logdir first, then train: the tabs fill in (Scalars, then "
        "Histograms, Distributions and PR curves as those first appear) **while this cell "
        "runs**. The run selector on top is shared by all tabs."
    ),
    new_code_cell(
        "dashboard = nbviz.Dashboard(LOGDIR)\n"
        "display(dashboard)\n"
        "for lr in (0.05, 0.3):\n"
        "    train(lr, LOGDIR / f'nbviz_lr{lr}')"
    ),
    new_markdown_cell(
        "## 2. Old TensorBoard logs open as they are\n\n"
        "Here we make an \"old\" run the way your scripts always did, with "
        "`torch.utils.tensorboard` (it needs the `tensorboard` package; nbviz does not). "
        "Point `%nbviz` at any folder of TensorBoard runs — or at the parent of old and new "
        "runs, as here. Event files still being written are followed live."
    ),
    new_code_cell(
        "try:\n"
        "    from torch.utils.tensorboard import SummaryWriter as TensorBoardWriter\n"
        "except ImportError:\n"
        "    print('tensorboard is not installed here: skipping the old-style run '\n"
        "          '(point %nbviz at your own runs/ folder instead)')\n"
        "else:\n"
        "    train(0.1, LOGDIR / 'tensorboard_lr0.1', writer_class=TensorBoardWriter)"
    ),
    new_code_cell("%nbviz runs/migration"),
    new_markdown_cell(
        "## 3. Everything as DataFrames\n\n"
        "`nbviz.read` reads nbviz runs and tfevents files alike (much faster than tbparse) — "
        "`kind=` also takes `\"histograms\"`, `\"pr_curves\"`, `\"text\"`, `\"hparams\"`, "
        "`\"images\"`, `\"audio\"`, `\"graphs\"`, `\"embeddings\"` …"
    ),
    new_code_cell(
        "scalars = nbviz.read(LOGDIR, kind='scalars')\n"
        "(scalars[scalars.tag == 'accuracy/val']\n"
        " .groupby('run').value.last().rename('final validation accuracy'))"
    ),
    new_code_cell("nbviz.read(LOGDIR, kind='hparams')"),
    new_code_cell(
        "curves = nbviz.read(LOGDIR, kind='pr_curves')\n"
        "curves[['run', 'tag', 'step', 'num_thresholds']].assign(\n"
        "    precision_at_half=[p[len(p) // 2] for p in curves.precision])"
    ),
    new_markdown_cell(
        "### What is different, on purpose\n\n"
        "- Data lands in `<log_dir>/nbviz.sqlite` (crash-safe, readable while written), "
        "committed within a second — `flush_secs` can only make that shorter; `max_queue` and "
        "`filename_suffix` are accepted and have no effect.\n"
        "- Values are stored like TensorBoard stores them (scalars as float32 unless "
        "`new_style=True, double_precision=True`), so `nbviz.read` gives the same numbers for "
        "old and new runs.\n"
        "- `add_video` needs no moviepy (frames are stored as they are); `add_graph` stores "
        "the traced graph as JSON; `add_embedding` stores the matrix, labels and thumbnails "
        "in the run instead of TSV/PNG side files."
    ),
]


if __name__ == "__main__":
    print("wrote", write_notebook(NAME, CELLS))
