"""Write notebooks/media.ipynb from the cell sources below (keeps them reviewable).

    python scripts/make_media_notebook.py
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_file import write_notebook

CELLS = [
    new_markdown_cell(
        "# Media: reconstructions, masks, boxes and a predictions table\n\n"
        "A small network on scikit-learn's bundled *digits* (8x8 images, no download) does "
        "three jobs from one 16-number code: it **reconstructs** the digit (an autoencoder), "
        "**segments** it (which pixels are ink) and **classifies** it. After every epoch we "
        "log what it outputs — every epoch is kept, nothing is sampled away:\n\n"
        "- `run.log_image` the inputs and the reconstructions, the predicted ink as a "
        "**mask** and a **box** around it labelled with the predicted digit and its score;\n"
        "- `run.log_table` the validation predictions (image, true, pred, confidence);\n"
        "- `run.log_text` a Markdown summary of the epoch."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import torch\n"
        "from sklearn.datasets import load_digits\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "import nbviz\n\n"
        "torch.manual_seed(0)\n"
        "torch.set_num_threads(1)\n"
        "digits = load_digits()\n"
        "x = torch.tensor(digits.data / 16.0, dtype=torch.float32)\n"
        "y = torch.tensor(digits.target)\n"
        "ink = (x > 0.3).float()                 # the segmentation target: ink pixels\n"
        "x_tr, x_va, y_tr, y_va, ink_tr, ink_va = train_test_split(\n"
        "    x, y, ink, test_size=0.2, random_state=0)\n\n\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self) -> None:\n"
        "        super().__init__()\n"
        "        self.encode = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(),\n"
        "                                          torch.nn.Linear(64, 16), torch.nn.ReLU())\n"
        "        self.decode = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(),\n"
        "                                          torch.nn.Linear(64, 128))  # pixels + ink\n"
        "        self.classify = torch.nn.Linear(16, 10)\n\n"
        "    def forward(self, inputs):\n"
        "        code = self.encode(inputs)\n"
        "        out = self.decode(code)\n"
        "        return torch.sigmoid(out[:, :64]), out[:, 64:], self.classify(code)\n\n\n"
        "model = Net()\n"
        "print(f'{len(x_tr)} training and {len(x_va)} validation digits')"
    ),
    new_markdown_cell(
        "Display the panels, then train: the images of each new epoch appear **while the "
        "training cell runs**. Move the step slider or type an exact epoch, press ▶ to "
        "replay, toggle the *ink* class or change the mask opacity, raise the box score "
        "threshold to hide unsure boxes, and click a digit to open it at a larger size — "
        "with one run the viewer compares this epoch with the previous one (side by side, "
        "overlay, difference or swipe)."
    ),
    new_code_cell(
        "run = nbviz.init('digits-ae', logdir='runs/media', if_exists='overwrite')\n"
        "images = nbviz.Images(run, title='Digits: input, reconstruction, predicted ink')\n"
        "images"
    ),
    new_code_cell(
        "def ink_boxes(mask):\n"
        "    \"\"\"[xmin, ymin, xmax, ymax] around each image's predicted ink (pixels).\"\"\"\n"
        "    rows, cols = mask.any(2), mask.any(1)\n"
        "    first = lambda a: a.float().argmax(1)\n"
        "    last = lambda a: 7 - a.flip(1).float().argmax(1)\n"
        "    return torch.stack([first(cols), first(rows),\n"
        "                        last(cols) + 1, last(rows) + 1], 1)\n\n\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)\n"
        "show = x_va[:8]\n"
        "run.log_image('digits/input', show.reshape(-1, 1, 8, 8), step=0)\n"
        "for epoch in range(12):\n"
        "    for i in range(0, len(x_tr), 64):\n"
        "        recon, ink_logits, logits = model(x_tr[i:i + 64])\n"
        "        loss = (torch.nn.functional.mse_loss(recon, x_tr[i:i + 64])\n"
        "                + torch.nn.functional.binary_cross_entropy_with_logits(\n"
        "                    ink_logits, ink_tr[i:i + 64])\n"
        "                + torch.nn.functional.cross_entropy(logits, y_tr[i:i + 64]))\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "    with torch.no_grad():\n"
        "        recon, ink_logits, logits = model(x_va)\n"
        "    probs = logits.softmax(1)\n"
        "    confidence, pred = probs.max(1)\n"
        "    masks = (ink_logits[:8] > 0).reshape(-1, 8, 8).long()\n"
        "    boxes = ink_boxes(masks.bool())\n"
        "    run.log_image('digits/reconstruction', recon[:8].reshape(-1, 1, 8, 8),\n"
        "                  masks=masks, class_names=['background', 'ink'],\n"
        "                  boxes=boxes[:, None], box_labels=[[f'{int(p)}'] for p in pred[:8]],\n"
        "                  box_scores=confidence[:8, None], step=epoch)\n"
        "    accuracy = (pred == y_va).float().mean().item()\n"
        "    run.log({'loss': loss.item(), 'val/accuracy': accuracy}, step=epoch)\n"
        "    run.log_table('val/predictions', {\n"
        "        'image': x_va[:64].reshape(-1, 8, 8), 'true': y_va[:64], 'pred': pred[:64],\n"
        "        'confidence': confidence[:64]}, step=epoch)\n"
        "    run.log_text('summary', f'**epoch {epoch}**: loss `{loss.item():.3f}`, '\n"
        "                 f'validation accuracy **{accuracy:.1%}**', step=epoch)\n"
        "run.flush()\n"
        "print(f'validation accuracy {accuracy:.1%}')"
    ),
    new_markdown_cell(
        "The predictions table puts the **misclassified digits first**; click a header to "
        "sort, type in the filter box to keep matching rows. The text panel renders each "
        "epoch's Markdown safely (user text never becomes HTML) and diffs two epochs."
    ),
    new_code_cell("nbviz.Table(run, title='Validation predictions')"),
    new_code_cell("nbviz.Text(run)"),
    new_markdown_cell(
        "Everything is kept, encoded (PNG for images, 16-bit WAV for audio): `nbviz.read` "
        "decodes it back into arrays (or, with `decode=False`, gives the encoded bytes)."
    ),
    new_code_cell(
        "frame = nbviz.read('runs/media', kind='images')\n"
        "recon = frame[frame.tag == 'digits/reconstruction']\n"
        "print(len(recon), 'reconstruction images over', recon.step.nunique(), 'epochs')\n"
        "last = recon[recon.step == recon.step.max()]\n"
        "error = np.mean([(img[:, :, 0] / 255 - x_va[s].reshape(8, 8).numpy()) ** 2\n"
        "                 for img, s in zip(last.image, last['sample'])])\n"
        "print(f'mean squared reconstruction error of the last epoch: {error:.4f}')\n"
        "table = nbviz.read('runs/media', kind='tables').table.iloc[-1]\n"
        "print((table.true != table.pred).sum(), 'of', len(table), 'shown digits misclassified')"
    ),
]


if __name__ == "__main__":
    print("wrote", write_notebook("media.ipynb", CELLS))
