"""Write notebooks/projector.ipynb from the cell sources below (keeps them reviewable).

    python scripts/make_projector_notebook.py
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

CELLS = [
    new_markdown_cell(
        "# Embedding projector: watch a network learn to separate digits\n\n"
        "We train a small network on scikit-learn's bundled *digits* (8x8 images, no "
        "download) and, after every epoch, log the activations of its **penultimate layer** "
        "for all 1,797 digits with `run.log_embedding` — with the true label as metadata and "
        "the digit itself as a thumbnail. `nbviz.Projector` shows them as a WebGL point "
        "cloud, **live while the training cell runs**: PCA of every new epoch is computed "
        "in the kernel on a background thread, so it appears even though the kernel is busy."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import torch\n"
        "from sklearn.datasets import load_digits\n"
        "from sklearn.manifold import trustworthiness\n\n"
        "import nbviz\n\n"
        "torch.manual_seed(0)\n"
        "torch.set_num_threads(1)\n"
        "digits = load_digits()\n"
        "x = torch.tensor(digits.data / 16.0, dtype=torch.float32)\n"
        "y = torch.tensor(digits.target)\n"
        "thumbs = digits.images / 16.0          # [N, 8, 8] grey images in [0, 1]\n"
        "model = torch.nn.Sequential(\n"
        "    torch.nn.Linear(64, 128), torch.nn.ReLU(),\n"
        "    torch.nn.Linear(128, 32), torch.nn.ReLU(),   # the penultimate layer we project\n"
        "    torch.nn.Linear(32, 10),\n"
        ")\n"
        "penultimate = model[:4]\n"
        "print(f'{len(x)} digits, {x.shape[1]} pixels each')"
    ),
    new_markdown_cell(
        "Display the panel first, then train. **Drag** to orbit (3-D) or pan (2-D), **wheel** "
        "to zoom, **hover** a point for its label and thumbnail, **click** one to list its "
        "nearest neighbours in the original 32-dimensional space (cosine or euclidean), type "
        "a regex such as `^[38]$` in the search box (column *label*) to highlight those "
        "digits, and move the **step slider** (or press ▶) to replay the epochs — points "
        "glide from one epoch's layout to the next."
    ),
    new_code_cell(
        "run = nbviz.init('digits-mlp', logdir='runs/projector', if_exists='overwrite')\n"
        "panel = nbviz.Projector(run, title='Penultimate-layer activations, epoch by epoch',\n"
        "                        color_by='label', label_by='label')\n"
        "panel"
    ),
    new_code_cell(
        "optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)\n"
        "for epoch in range(8):\n"
        "    for batch in torch.randperm(len(x)).split(64):\n"
        "        loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "    with torch.no_grad():\n"
        "        features = penultimate(x)\n"
        "        correct = model(x).argmax(1) == y\n"
        "        accuracy = correct.float().mean().item()\n"
        "    run.log({'loss': loss.item(), 'accuracy': accuracy}, step=epoch)\n"
        "    run.log_embedding('penultimate', features, step=epoch, images=thumbs,\n"
        "                      metadata={'label': y, 'correct': correct.numpy()})\n"
        "    print(f'epoch {epoch}: loss {loss.item():.3f}, accuracy {accuracy:.1%}')\n"
        "run.flush()"
    ),
    new_markdown_cell(
        "Once the cell has finished the kernel is idle, so the **t-SNE** and **UMAP** buttons "
        "work: the page asks the kernel, which computes the reduction on a background "
        "thread (progress and a *Cancel* button in the panel) and sends the positions back "
        "as one binary buffer. Each step starts from the previous step's layout and is "
        "rotated onto it, so the step slider still animates smoothly. The same reductions "
        "are plain functions in `nbviz.reduce`; here we check that t-SNE of the last epoch "
        "keeps neighbourhoods (trustworthiness 1.0 = every 10-nearest neighbour kept):"
    ),
    new_code_cell(
        "from nbviz import reduce\n\n"
        "final = penultimate(x).detach().numpy()\n"
        "pca = reduce.pca(final, 2)\n"
        "tsne = reduce.tsne(final, 2, perplexity=30, n_iter=300)\n"
        "explained = sum(pca.info['explained_variance_ratio'])\n"
        "print(f'PCA explains {explained:.0%} of the variance, '\n"
        "      f'trustworthiness {trustworthiness(final, pca.positions, n_neighbors=10):.3f}')\n"
        "print(f't-SNE ({tsne.seconds:.1f} s): trustworthiness '\n"
        "      f'{trustworthiness(final, tsne.positions, n_neighbors=10):.3f}')\n"
        "neighbours, distances = reduce.nearest_neighbors(final, 0, k=5, metric='cosine')\n"
        "print('digit 0 is a', int(y[0]), '- its nearest neighbours are',\n"
        "      [int(y[i]) for i in neighbours])"
    ),
    new_markdown_cell(
        "The panel can also show a matrix directly, without a run: "
        "`nbviz.Projector(features, metadata={'label': labels}, images=thumbnails)`. "
        "From a TensorBoard-style script, `SummaryWriter.add_embedding(mat, metadata, "
        "label_img, global_step, tag)` writes the same records, and `%nbviz runs` shows them "
        "in the dashboard's *Projector* tab."
    ),
    new_code_cell(
        "nbviz.Projector(final, metadata={'label': y}, images=thumbs, dims=2,\n"
        "                title='The last epoch as a matrix (2-D)')"
    ),
]


if __name__ == "__main__":
    print("wrote", write_notebook("projector.ipynb", CELLS))
