'''Write notebooks/quickstart.ipynb, the tour of nbviz, from the cell sources below.

    python scripts/make_quickstart_notebook.py

One small network on scikit-learn's bundled digits (no download), three learning
rates, one of them too high on purpose: Scalars live, Histograms/Distributions,
Health (and the finding that names what went wrong), PR curves on the validation
set, the Projector of the penultimate layer, the Dashboard, then `export_html`.
'''

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

CELLS = [
    new_markdown_cell(
        "# nbviz quickstart: a tour of the toolkit\n\n"
        "We train one small network on scikit-learn's bundled *digits* (8×8 images, no "
        "download) with three learning rates — one of them far too high, on purpose — and "
        "look at the training with every nbviz panel. Each panel answers one question:\n\n"
        "| panel | the question it answers |\n|---|---|\n"
        "| **Scalars** | Is the loss going down? Which run is best? (live, while the cell runs) |\n"
        "| **Histograms** / **Distributions** | How do weights, gradients and activations "
        "change, layer by layer? |\n"
        "| **Health** | Is something broken — exploding or vanishing gradients, dead units, "
        "a diverging loss? Where, and since when? |\n"
        "| **PR curves** | On the validation set, how do precision and recall trade off, "
        "per class, epoch by epoch? |\n"
        "| **Projector** | What has the network learned: do the digits form clusters in its "
        "penultimate layer? |\n"
        "| **Dashboard** (`%nbviz`) | All of it over a logdir, one tab per panel. |\n\n"
        "At the end, `nbviz.export_html` writes everything into one HTML file you can share: "
        "it opens offline, and every chart in it is still interactive. The whole notebook runs "
        "in about a minute on two CPU cores."
    ),
    new_code_cell("%load_ext nbviz\nimport nbviz"),
    new_code_cell(
        "import shutil\nfrom collections import OrderedDict\nfrom pathlib import Path\n\n"
        "import torch\nfrom sklearn.datasets import load_digits\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "torch.manual_seed(0)\ntorch.set_num_threads(1)\n"
        "digits = load_digits()\n"
        "pixels = (digits.data - digits.data.mean(0)) / (digits.data.std(0) + 1e-6)\n"
        "x = torch.tensor(pixels, dtype=torch.float32)\n"
        "y = torch.tensor(digits.target)\n"
        "thumbs = digits.images / 16.0  # [N, 8, 8] grey images, shown on hover in the Projector\n"
        "x_train, x_val, y_train, y_val, _, thumbs_val = train_test_split(\n"
        "    x, y, thumbs, test_size=0.25, random_state=0, stratify=y)\n"
        "CLASSES = [str(digit) for digit in range(10)]\n"
        "LOGDIR = Path('runs/quickstart')\n"
        "shutil.rmtree(LOGDIR, ignore_errors=True)\n"
        "LOGDIR.mkdir(parents=True)\n"
        "print(f'{len(x_train)} training and {len(x_val)} validation digits')"
    ),
    new_markdown_cell(
        "## The training loop\n\n"
        "An ordinary PyTorch loop with four nbviz lines:\n\n"
        "- `nbviz.init(...)` starts a run (a folder under `runs/quickstart`, like TensorBoard);\n"
        "- `nbviz.watch(model, optimizer, every=5, histogram_every=20, timer=False)` records "
        "statistics of every layer's weights, gradients, activations and updates every 5th "
        "step (computed on the device, cheap) and their histograms every 20th, and checks "
        "their health (`timer=False`: this tour does not time the steps; `nbviz.Profile` "
        "does);\n"
        "- `run.log(...)` logs the training loss every step and the validation loss and "
        "accuracy every 20 steps; every 100 steps, `run.log_pr(...)` logs precision–recall "
        "curves of the validation set and `run.log_embedding(...)` the activations of the "
        "**penultimate layer** for the validation digits, with their labels and thumbnails, "
        "for the Projector."
    ),
    new_code_cell(
        "def train(lr, steps=400, batch=64):\n"
        "    torch.manual_seed(0)\n"
        "    model = torch.nn.Sequential(OrderedDict([\n"
        "        ('fc1', torch.nn.Linear(64, 64)), ('relu1', torch.nn.ReLU()),\n"
        "        ('fc2', torch.nn.Linear(64, 32)), ('relu2', torch.nn.ReLU()),  # penultimate\n"
        "        ('out', torch.nn.Linear(32, 10))]))\n"
        "    penultimate = model[:4]\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    loss_fn = torch.nn.CrossEntropyLoss()\n"
        "    run = nbviz.init(f'lr={lr}', logdir=LOGDIR, config={'lr': lr})\n"
        "    handle = nbviz.watch(model, optimizer, every=5, histogram_every=20, timer=False)\n"
        "    generator = torch.Generator().manual_seed(0)\n"
        "    for step in range(steps):\n"
        "        index = torch.randint(len(x_train), (batch,), generator=generator)\n"
        "        loss = loss_fn(model(x_train[index]), y_train[index])\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        metrics = {'loss/train': loss}\n"
        "        last = step == steps - 1\n"
        "        if step % 20 == 0 or last:\n"
        "            with torch.no_grad():\n"
        "                logits = model(x_val)\n"
        "            metrics['loss/val'] = loss_fn(logits, y_val)\n"
        "            metrics['acc'] = (logits.argmax(1) == y_val).float().mean()\n"
        "            if step % 100 == 0 or last:\n"
        "                run.log_pr('val/pr', y_val, logits.softmax(1), step=step,\n"
        "                           class_names=CLASSES)\n"
        "                with torch.no_grad():\n"
        "                    features = penultimate(x_val)\n"
        "                correct = (logits.argmax(1) == y_val).numpy()\n"
        "                run.log_embedding('penultimate', features, step=step, images=thumbs_val,\n"
        "                                  metadata={'label': y_val, 'correct': correct})\n"
        "        run.log(metrics, step=step)\n"
        "    handle.remove()  # training runs at its original speed again\n"
        "    run.finish()\n"
        "    return run"
    ),
    new_markdown_cell(
        "## Scalars, live\n\n"
        "Display the panel first, then train: the charts grow **while this cell runs**. Each "
        "learning rate is a run; runs overlay in one chart per tag, like TensorBoard's Scalars "
        "tab. Hover a chart for every run's value, drag to zoom (double-click resets), move "
        "the smoothing slider, switch the x axis to wall time, or filter tags with a regex.\n\n"
        "`lr=0.01` learns slowly, `lr=0.1` learns well — and `lr=5.0` is far too high: its "
        "loss shoots up to ~10⁹ in the first steps (tick **Log y** to see the other runs "
        "again) and then stays flat; its accuracy sits at chance level."
    ),
    new_code_cell(
        "panel = nbviz.Scalars(LOGDIR)\n"
        "display(panel)\n"
        "runs = {lr: train(lr) for lr in (0.01, 0.1, 5.0)}"
    ),
    new_markdown_cell(
        "## Histograms and Distributions: inside the healthy run\n\n"
        "`watch()` recorded a histogram of every layer's weights, gradients, activations and "
        "updates every 20 steps. **Histograms** stacks them as ridgelines, one per step "
        "(toggle weights / gradients / activations / updates; hover for step, bin and count); "
        "**Distributions** shows the same data as TensorBoard's percentile bands over time. "
        "Here the weights of `lr=0.1` spread out slowly while its gradients shrink as the "
        "loss falls."
    ),
    new_code_cell(
        "healthy = runs[0.1]\n"
        "display(nbviz.Histograms(healthy), nbviz.Distributions(healthy))"
    ),
    new_markdown_cell(
        "## Health: what went wrong with `lr=5.0`\n\n"
        "The same statistics feed nbviz's health rules. The **Health** panel is a layer × step "
        "heat map (pick the statistic in its menu: gradient norm, update ratio, dead units, "
        "activation spread) with a badge on every flagged layer and the findings listed "
        "below it. `run.health()` gives the findings as a DataFrame; the healthy run has none."
    ),
    new_code_cell(
        "broken = runs[5.0]\n"
        "display(nbviz.Health(broken))\n"
        "findings = broken.health()\n"
        "print(f'{healthy.name}: {len(healthy.health())} findings; '\n"
        "      f'{broken.name}: {len(findings)} findings. The first of each rule:')\n"
        "for finding in findings.drop_duplicates('rule').itertuples():\n"
        "    print(f'- [{finding.rule}] {finding.message}')"
    ),
    new_markdown_cell(
        "Read the findings in step order and they tell the story: by step 5 the gradients "
        "have exploded and the loss diverges; by step 15 the ReLUs of `relu2` output 0 for "
        "every input (dead units), so from step 20 on no gradient reaches the first layer and "
        "it stops learning — the last findings are consequences, not separate problems. On "
        "the heat map, switch the statistic to *dead units* to see the layer go dark. Lower "
        "the learning rate (or clip gradients) and all of it goes away."
    ),
    new_markdown_cell(
        "## PR curves on the validation set\n\n"
        "One curve per class (one-vs-rest), logged every 100 steps. Move the **step slider** "
        "(or press ▶) to replay training, tick *Overlay steps* to see earlier steps fade "
        "behind, switch to **ROC**, hover a curve for threshold, precision, recall and counts, "
        "and click a point to pin its threshold in the confusion matrix. Average precision "
        "(AP) per class is in the legend."
    ),
    new_code_cell("nbviz.PRCurves(healthy)"),
    new_markdown_cell(
        "## Projector: the penultimate layer\n\n"
        "The 32 activations of `relu2` for each validation digit, reduced to 3-D with PCA and "
        "coloured by the true label: the digits form clusters. **Drag** to orbit, **wheel** to "
        "zoom, **hover** a point for its label and thumbnail, **click** one for its nearest "
        "neighbours, search `^[38]$` to highlight the 3s and 8s, and move the **step slider** "
        "(or press ▶) to watch the clusters form during training. Once the kernel is idle, "
        "the *t-SNE* and *UMAP* buttons compute those layouts too."
    ),
    new_code_cell("nbviz.Projector(healthy, color_by='label', label_by='label')"),
    new_markdown_cell(
        "Everything logged is in the run store; `nbviz.read` gives it back as a DataFrame."
    ),
    new_code_cell(
        "df = nbviz.read(LOGDIR)\n"
        "df[df.tag == 'acc'].groupby('run').value.last().rename('final val accuracy')"
    ),
    new_markdown_cell(
        "## The Dashboard\n\n"
        "`%nbviz LOGDIR` shows any logdir with one tab per panel that has data and one run "
        "selector — also a logdir that a training script in another process is writing "
        "(it keeps following it), or an old TensorBoard logdir."
    ),
    new_code_cell("%nbviz runs/quickstart"),
    new_markdown_cell(
        "## Share it\n\n"
        "`nbviz.export_html` writes every panel with data, as the Dashboard shows it, into "
        "one self-contained HTML file: no server, no network, and zoom, hover, sliders and "
        "rotation still work. Attach it to a pull request or send it to a colleague. Saving "
        "this notebook keeps the same interactive snapshot under each panel, for nbviewer, "
        "`jupyter nbconvert --to html`, Quarto or VS Code."
    ),
    new_code_cell(
        "report = Path('quickstart_report.html')\n"
        "nbviz.export_html(LOGDIR, report)\n"
        "print(f'wrote {report} ({report.stat().st_size / 1e6:.1f} MB)')"
    ),
]


if __name__ == "__main__":
    print("wrote", write_notebook("quickstart.ipynb", CELLS))
