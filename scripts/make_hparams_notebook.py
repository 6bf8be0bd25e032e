"""Write notebooks/hparams.ipynb from the cell sources below (keeps them reviewable).

    python scripts/make_hparams_notebook.py
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

CELLS = [
    new_markdown_cell(
        "# HParams: which hyperparameters matter?\n\n"
        "A 30-run random search on scikit-learn's bundled *digits* (no download) over the "
        "learning rate, the width and depth of an MLP, dropout and the optimizer. Every run "
        "is an `nbviz.init(..., config=...)`; `nbviz.HParams` joins each run's config with "
        "its metrics (final, min, max, mean of the last 5) and shows them as **parallel "
        "coordinates** — live, a line appears as each run starts and settles as it finishes."
    ),
    new_code_cell(
        "import shutil\nfrom pathlib import Path\n\n"
        "import numpy as np\nimport torch\nfrom sklearn.datasets import load_digits\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "import nbviz\n\n"
        "torch.manual_seed(0)\ntorch.set_num_threads(1)\n"
        "digits = load_digits()\n"
        "x = torch.tensor(digits.data / 16.0, dtype=torch.float32)\n"
        "y = torch.tensor(digits.target)\n"
        "x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=0)\n"
        "LOGDIR = Path('runs/hparams')\n"
        "shutil.rmtree(LOGDIR, ignore_errors=True)\n"
        "LOGDIR.mkdir(parents=True)\n"
        "rng = np.random.default_rng(0)\n"
        "sweep = [{'lr': float(10 ** rng.uniform(-4, -0.5)),\n"
        "          'model': {'width': int(rng.choice([16, 64, 128])),\n"
        "                    'depth': int(rng.integers(1, 4)),\n"
        "                    'dropout': float(rng.choice([0.0, 0.2, 0.5]))},\n"
        "          'optimizer': str(rng.choice(['adam', 'sgd']))} for _ in range(30)]\n"
        "sweep[0]"
    ),
    new_markdown_cell(
        "Show the panel first, then run the sweep: lines appear while the next cell runs. "
        "**Drag** along any axis to brush a range (brushes on several axes combine), click "
        "a brush to remove it; **drag an axis title** to move it, **×** hides it (the *axes* "
        "menu shows it again, and switches numeric axes between linear and log — `lr` "
        "spans decades, so it starts on a log axis); **hover** a line for the run's values, "
        "**click** it to select that run (in the Dashboard: in every tab). Below: the metric "
        "against one hparam with the 5 best runs ringed, random-forest importance and "
        "correlation, and a sortable, filterable table with the columns you choose."
    ),
    new_code_cell(
        "panel = nbviz.HParams(LOGDIR, metric='val/acc', goal='max',\n"
        "                      title='Digits MLP: 30-run random search')\n"
        "panel"
    ),
    new_code_cell(
        "def make_model(width, depth, dropout):\n"
        "    layers, inputs = [], 64\n"
        "    for _ in range(depth):\n"
        "        layers += [torch.nn.Linear(inputs, width), torch.nn.ReLU(),\n"
        "                   torch.nn.Dropout(dropout)]\n"
        "        inputs = width\n"
        "    return torch.nn.Sequential(*layers, torch.nn.Linear(inputs, 10))\n\n\n"
        "def train(run, config, steps=150, batch=64):\n"
        "    model = make_model(**config['model'])\n"
        "    opt_class = torch.optim.Adam if config['optimizer'] == 'adam' else torch.optim.SGD\n"
        "    optimizer = opt_class(model.parameters(), lr=config['lr'])\n"
        "    generator = torch.Generator().manual_seed(0)\n"
        "    for step in range(steps):\n"
        "        index = torch.randint(0, len(x_train), (batch,), generator=generator)\n"
        "        loss = torch.nn.functional.cross_entropy(model(x_train[index]), y_train[index])\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        if step % 10 == 9:\n"
        "            run.log({'train/loss': loss}, step=step)\n"
        "        if step % 30 == 29:\n"
        "            model.eval()\n"
        "            with torch.no_grad():\n"
        "                logits = model(x_val)\n"
        "            model.train()\n"
        "            accuracy = (logits.argmax(1) == y_val).float().mean()\n"
        "            run.log({'val/loss': torch.nn.functional.cross_entropy(logits, y_val),\n"
        "                     'val/acc': accuracy}, step=step)\n\n\n"
        "for i, config in enumerate(sweep):\n"
        "    with nbviz.init(f'trial{i:02d}', logdir=LOGDIR, config=config) as run:\n"
        "        train(run, config)\n"
        "panel.sync()\n"
        "print(panel.summary())"
    ),
    new_markdown_cell(
        "The same joined table as a DataFrame — one row per run, nested config keys "
        "flattened with dots — and the parameter importance behind the panel's bars "
        "(scikit-learn's `RandomForestRegressor`, fixed seed, plus correlation):"
    ),
    new_code_cell(
        "table = nbviz.read(LOGDIR, kind='hparams')\n"
        "print(table.attrs['hparams'])\n"
        "columns = ['run', 'lr', 'model.width', 'model.depth', 'model.dropout', 'optimizer',\n"
        "           'val/acc', 'val/acc (max)', 'val/loss']\n"
        "table[columns].sort_values('val/acc', ascending=False).head()"
    ),
    new_code_cell("nbviz.hparam_importance(table, 'val/acc')"),
    new_markdown_cell(
        "torch's `SummaryWriter.add_hparams` writes its hyperparameters into a stray "
        "sub-run, so in TensorBoard they never meet the run's curves. nbviz joins them to "
        "the writer's run and says where they came from (`hparams_from`):"
    ),
    new_code_cell(
        "with nbviz.SummaryWriter(str(LOGDIR.parent / 'hparams_tb' / 'exp')) as writer:\n"
        "    for step in range(3):\n"
        "        writer.add_scalar('train/loss', 1 / (step + 1), step)\n"
        "    writer.add_hparams({'lr': 0.1, 'bsize': 32}, {'hparam/accuracy': 0.9})\n"
        "nbviz.read(LOGDIR.parent / 'hparams_tb', kind='hparams')[\n"
        "    ['run', 'hparams_from', 'lr', 'bsize', 'hparam/accuracy', 'train/loss']]"
    ),
    new_markdown_cell(
        "In the Dashboard the HParams tab shares the run selector with the other tabs: "
        "click a line here and the Scalars tab shows only that run."
    ),
    new_code_cell("nbviz.Dashboard(LOGDIR)"),
]


if __name__ == "__main__":
    print("wrote", write_notebook("hparams.ipynb", CELLS))
