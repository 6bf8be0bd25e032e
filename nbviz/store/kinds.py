"""Record kinds: the one spelling of every kind's name (docs/store.md), the kinds
``nbviz.read`` offers and which record kind each reads, and which record kind each
TensorBoard plugin's data becomes.

>>> READ_KINDS["pr_curves"]
'pr_curve'
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "AUDIO",
    "CUSTOM_SCALARS",
    "EMBEDDING",
    "FINDING",
    "GRAPH",
    "HISTOGRAM",
    "HPARAMS",
    "IMAGE",
    "KINDS",
    "MESH",
    "PROFILE",
    "PR_CURVE",
    "READ_KINDS",
    "RUN_CONFIG",
    "SCALAR",
    "SPRITE",
    "STATS",
    "TABLE",
    "TB_KINDS",
    "TB_PLUGIN_KINDS",
    "TENSOR",
    "TEXT",
    "VIDEO",
    "Kind",
]

Kind = Literal["scalar", "histogram", "pr_curve", "stats", "finding", "text", "image", "audio",
               "embedding", "sprite", "graph", "hparams", "video", "mesh", "tensor",
               "custom_scalars", "profile", "table"]
KINDS: Final[frozenset[str]] = frozenset(get_args(Kind))

SCALAR: Final = "scalar"
HISTOGRAM: Final = "histogram"
PR_CURVE: Final = "pr_curve"
STATS: Final = "stats"
FINDING: Final = "finding"
TEXT: Final = "text"
IMAGE: Final = "image"
AUDIO: Final = "audio"
EMBEDDING: Final = "embedding"
SPRITE: Final = "sprite"
GRAPH: Final = "graph"
HPARAMS: Final = "hparams"
VIDEO: Final = "video"
MESH: Final = "mesh"
TENSOR: Final = "tensor"
CUSTOM_SCALARS: Final = "custom_scalars"
PROFILE: Final = "profile"  # step-timer marker and torch.profiler captures (nbviz's own)
TABLE: Final = "table"
# Not a record kind: a run started with a non-empty config= (what the Dashboard's HParams
# tab needs besides hparams records).
RUN_CONFIG: Final = "config"

# Kinds a TensorBoard logdir can hold (stats, findings, profiles and tables are nbviz's own).
TB_KINDS: Final[frozenset[str]] = KINDS - {STATS, FINDING, PROFILE, TABLE}

# nbviz.read(kind=...) -> stored record kind; "scalars" and "custom_scalars" are special.
READ_KINDS: Final[dict[str, str]] = {
    "histograms": HISTOGRAM, "pr_curves": PR_CURVE, "text": TEXT, "hparams": HPARAMS,
    "images": IMAGE, "audio": AUDIO, "videos": VIDEO, "graphs": GRAPH,
    "embeddings": EMBEDDING, "meshes": MESH, "tensors": TENSOR, "stats": STATS,
    "tables": TABLE,
}

# TensorBoard plugin name -> record kind ("meta": custom-scalars layouts).
TB_PLUGIN_KINDS: Final[dict[str, str]] = {
    "histograms": HISTOGRAM, "pr_curves": PR_CURVE, "text": TEXT, "images": IMAGE,
    "audio": AUDIO, "mesh": MESH, "custom_scalars": "meta", "hparams": HPARAMS,
    "tensor": TENSOR, "": TENSOR,
    "graph_keras_model": GRAPH, "graph_run_metadata_graph": GRAPH,
}
