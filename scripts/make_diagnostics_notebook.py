"""Write notebooks/diagnostics.ipynb: four short trainings nbviz diagnoses.

    python scripts/make_diagnostics_notebook.py
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

CELLS = [
    new_markdown_cell(
        "# Diagnosing training with `nbviz.watch`\n\n"
        "Four short trainings on scikit-learn's bundled *digits* data (no download): one "
        "healthy, three broken in the classic ways. `nbviz.watch(model, optimizer)` records "
        "weight, gradient, activation and update histograms on sampled steps (on the device, "
        "one transfer per sampled step), and its health rules **say** what is wrong:\n\n"
        "| training | what goes wrong | finding |\n|---|---|---|\n"
        "| healthy MLP, SGD lr=0.1 | nothing | none |\n"
        "| same MLP, lr=20 | updates far too large, gradients explode, then NaN | "
        "`exploding_gradients`, `nonfinite` |\n"
        "| 10-layer sigmoid MLP | gradients shrink ×4 per layer toward the input | "
        "`vanishing_gradients` |\n"
        "| ReLU MLP with biases initialised at -3 | most units never fire | `dead_units` |\n\n"
        "Each training shows the **Health** heat map (layer × step; pick the statistic in its "
        "menu; badges mark flagged layers) and the **Histograms** ridgelines (toggle weights / "
        "gradients / activations / updates; hover for step, bin and count). The healthy run also "
        "shows **Distributions** (TensorBoard's percentile bands)."
    ),
    new_code_cell("%load_ext nbviz\nimport nbviz"),
    new_code_cell(
        "import shutil\nfrom collections import OrderedDict\nfrom pathlib import Path\n\n"
        "import torch\nfrom torch import nn\nfrom sklearn.datasets import load_digits\n\n"
        "torch.set_num_threads(1)\n"
        "x, y = load_digits(return_X_y=True)\n"
        "x = torch.tensor((x - x.mean(0)) / (x.std(0) + 1e-6), dtype=torch.float32)\n"
        "y = torch.tensor(y)\n"
        "LOGDIR = Path('runs/diagnostics')\n"
        "shutil.rmtree(LOGDIR, ignore_errors=True)\n\n\n"
        "def mlp(depth=2, width=64, activation=nn.ReLU, bias=None):\n"
        '    """depth hidden layers fc1…fcN with activations act1…actN, then `out`."""\n'
        "    layers, size = [], 64\n"
        "    for i in range(1, depth + 1):\n"
        "        linear = nn.Linear(size, width)\n"
        "        if bias is not None:\n"
        "            nn.init.constant_(linear.bias, bias)\n"
        "        layers += [(f'fc{i}', linear), (f'act{i}', activation())]\n"
        "        size = width\n"
        "    layers.append(('out', nn.Linear(size, 10)))\n"
        "    return nn.Sequential(OrderedDict(layers))\n\n\n"
        "def train(name, model, lr, steps=150, every=5, panels=('Health', 'Histograms')):\n"
        "    torch.manual_seed(0)\n"
        "    run = nbviz.init(name, logdir=LOGDIR)\n"
        "    display(*(getattr(nbviz, panel)(run) for panel in panels))\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    # statistics every 5 steps, histograms (the ridgelines) every 10\n"
        "    handle = nbviz.watch(model, optimizer, every=every, histogram_every=10)\n"
        "    generator = torch.Generator().manual_seed(0)\n"
        "    for step in range(steps):\n"
        "        batch = torch.randint(0, len(x), (64,), generator=generator)\n"
        "        loss = nn.functional.cross_entropy(model(x[batch]), y[batch])\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        run.log({'loss': loss.detach()}, step=step)\n"
        "    handle.remove()  # training runs at its original speed again\n"
        "    run.flush()\n"
        "    return run"
    ),
    new_markdown_cell("## 1. Healthy: a two-layer ReLU MLP, SGD lr=0.1\n\n"
                      "Update ratios sit near 1e-3 to 1e-2, gradient norms are steady, few "
                      "dead units: `run.health()` is empty."),
    new_code_cell(
        "torch.manual_seed(0)\n"
        "healthy = train('healthy', mlp(), lr=0.1,\n"
        "                panels=('Health', 'Histograms', 'Distributions'))\n"
        "healthy.health()"
    ),
    new_markdown_cell("## 2. Learning rate far too high (lr=20)\n\n"
                      "The first updates are as large as the weights; gradient norms jump by "
                      "orders of magnitude and the loss turns NaN. nbviz names the layer and "
                      "step where the gradients exploded and where NaN first appeared."),
    new_code_cell(
        "torch.manual_seed(0)\n"
        "exploding = train('lr=20', mlp(), lr=20.0)\n"
        "exploding.health()"
    ),
    new_markdown_cell("## 3. A deep sigmoid network (10 layers)\n\n"
                      "Each sigmoid multiplies the backward signal by at most 0.25: the first "
                      "layers' gradients are 1e-8 of the output layer's and they stop learning. "
                      "Switch the heat map to *update ratio* to see the gradient of learning "
                      "speed across depth."),
    new_code_cell(
        "torch.manual_seed(0)\n"
        "vanishing = train('deep sigmoid', mlp(depth=10, activation=nn.Sigmoid), lr=0.1)\n"
        "vanishing.health()"
    ),
    new_markdown_cell("## 4. Dead ReLUs: biases initialised at -3\n\n"
                      "Pre-activations are negative for every input, so the ReLUs output 0 "
                      "and pass no gradient: the *dead units* statistic is near 100 %."),
    new_code_cell(
        "torch.manual_seed(0)\n"
        "dead = train('dead relu', mlp(bias=-3.0), lr=0.1)\n"
        "dead.health()"
    ),
    new_markdown_cell(
        "## What nbviz found\n\nOne table over the four runs (each rule reported once per layer, "
        "at the first step it held):"
    ),
    new_code_cell(
        "import pandas as pd\n\n"
        "pd.Series({run.name: ', '.join(dict.fromkeys(run.health().rule)) or 'no finding'\n"
        "           for run in (healthy, exploding, vanishing, dead)}, name='rules')"
    ),
]


if __name__ == "__main__":
    print("wrote", write_notebook("diagnostics.ipynb", CELLS))
