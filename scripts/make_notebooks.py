"""Write the notebooks in notebooks/ from the cell sources below (keeps them diff-friendly).

    python scripts/make_notebooks.py
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

QUICKSTART = [
    new_markdown_cell(
        "# nbviz quickstart\n\n"
        "Train a small MLP on scikit-learn's bundled *digits* data (no download) with three "
        "learning rates and watch the curves **live, while the cell runs**. Each learning rate "
        "is a run; runs overlay in one chart per tag, like TensorBoard's Scalars tab.\n\n"
        "Hover a chart for every run's value, drag to zoom (double-click resets), move the "
        "smoothing slider, switch the x axis to wall time, or filter tags with a regex."
    ),
    new_code_cell("%load_ext nbviz\nimport nbviz"),
    new_code_cell(
        "import shutil\nfrom pathlib import Path\n\n"
        "import torch\nfrom sklearn.datasets import load_digits\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "torch.manual_seed(0)\ntorch.set_num_threads(1)\n"
        "digits = load_digits()\n"
        "x = torch.tensor(digits.data / 16.0, dtype=torch.float32)\n"
        "y = torch.tensor(digits.target)\n"
        "x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, random_state=0)\n"
        "LOGDIR = Path('runs/quickstart')\n"
        "shutil.rmtree(LOGDIR, ignore_errors=True)\n"
        "LOGDIR.mkdir(parents=True)"
    ),
    new_code_cell(
        "def train(run, lr, steps=2000, batch=64):\n"
        "    model = torch.nn.Sequential(\n"
        "        torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    loss_fn = torch.nn.CrossEntropyLoss()\n"
        "    generator = torch.Generator().manual_seed(0)\n"
        "    for step in range(steps):\n"
        "        index = torch.randint(len(x_train), (batch,), generator=generator)\n"
        "        loss = loss_fn(model(x_train[index]), y_train[index])\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        metrics = {'loss/train': loss}\n"
        "        if step % 20 == 0:\n"
        "            with torch.no_grad():\n"
        "                logits = model(x_val)\n"
        "                metrics['loss/val'] = loss_fn(logits, y_val)\n"
        "                metrics['acc'] = (logits.argmax(1) == y_val).float().mean()\n"
        "        run.log(metrics, step=step)"
    ),
    new_markdown_cell("Display the panel first, then train: the charts grow while this cell runs."),
    new_code_cell(
        "panel = nbviz.Scalars(LOGDIR)\n"
        "display(panel)\n"
        "for lr in (0.01, 0.1, 0.5):\n"
        "    with nbviz.init(f'lr={lr}', logdir=LOGDIR, config={'lr': lr}) as run:\n"
        "        train(run, lr)"
    ),
    new_markdown_cell(
        "Everything logged is in the run store; `nbviz.read` gives it back as a DataFrame."
    ),
    new_code_cell(
        "df = nbviz.read(LOGDIR)\n"
        "df[df.tag == 'acc'].groupby('run').value.last().rename('final val accuracy')"
    ),
    new_markdown_cell(
        "`%nbviz LOGDIR` shows any logdir — also one a training script in another process is "
        "writing; it keeps following it."
    ),
    new_code_cell("%nbviz runs/quickstart"),
]


if __name__ == "__main__":
    print("wrote", write_notebook("quickstart.ipynb", QUICKSTART))
