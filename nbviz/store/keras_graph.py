"""Keras model configs (``model.to_json()``) as nbviz graphs: layers and their connections.

Keras 3's TensorBoard callback writes its model graph as the ``graph_keras_model`` plugin:
the model config JSON, not a GraphDef. :func:`keras_model_graph` turns that config into the
node form every ``graph`` record uses (docs/store.md, "Graph form"): one node per layer
with ``name``, ``op`` (the layer class), ``inputs`` (names of the nodes feeding it) and
``attrs`` (the layer's config), plus the model's ``inputs`` / ``outputs``.

- ``Sequential``: layers chained in order.
- ``Functional`` / ``Model``: edges from each layer's ``inbound_nodes`` — Keras 3's
  ``{"args": [... {"class_name": "__keras_tensor__", "config": {"keras_history":
  [layer, node, tensor]}} ...], "kwargs": {...}}`` and Keras 2's ``[[[layer, node, tensor,
  kwargs], ...]]`` both.
- A model used as a layer is expanded: its layers become ``<model>/<layer>`` nodes; edges
  into it go to its input layers, edges out of it leave from its output layers.

Pure Python on the parsed JSON (no Keras or TensorFlow needed).

>>> graph = keras_model_graph({"class_name": "Sequential", "config": {"name": "m", "layers": [
...     {"class_name": "InputLayer", "config": {"name": "x"}},
...     {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}})
>>> [(n["name"], n["op"], n["inputs"]) for n in graph["nodes"]]
[('x', 'InputLayer', []), ('d', 'Dense', ['x'])]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["keras_model_graph"]

_MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})


def keras_model_graph(model: Any) -> dict[str, Any]:
    """A Keras model config (the dict of ``json.loads(model.to_json())``) as
    ``{"name", "nodes": [{name, op, inputs, attrs}], "inputs", "outputs"}``.

    Raises ``ValueError`` naming what is missing when ``model`` is not a model config.

    >>> keras_model_graph({"class_name": "Dense"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: keras_model_graph(): 'model' is a 'Dense' config without 'layers'; ...
    """
    if not isinstance(model, Mapping):
        raise TypeError(f"keras_model_graph(): 'model' must be a dict (json.loads of "
                        f"model.to_json()), got {type(model).__name__}.")
    if not _is_model(model):
        raise ValueError(f"keras_model_graph(): 'model' is a {model.get('class_name')!r} "
                         "config without 'layers'; pass the config of a Sequential or "
                         "Functional model (model.to_json()).")
    nodes: list[dict[str, Any]] = []
    inputs, outputs = _add_model(model, "", [], nodes)
    config = model.get("config") or {}
    return {"name": str(config.get("name", "")), "nodes": nodes, "inputs": inputs,
            "outputs": outputs}


def _is_model(layer: Mapping[str, Any]) -> bool:
    config = layer.get("config")
    return (isinstance(config, Mapping) and isinstance(config.get("layers"), list)
            and (layer.get("class_name") in _MODEL_CLASSES or "layers" in config))


def _layer_name(layer: Mapping[str, Any], index: int) -> str:
    config = layer.get("config")
    name = layer.get("name") or (config.get("name") if isinstance(config, Mapping) else None)
    return str(name) if name else f"layer_{index}"


def _attrs(layer: Mapping[str, Any]) -> dict[str, Any]:
    config = layer.get("config")
    attrs = {k: v for k, v in config.items() if k != "name"} if isinstance(config, Mapping) else {}
    build = layer.get("build_config")
    if isinstance(build, Mapping) and "input_shape" in build:
        attrs["input_shape"] = build["input_shape"]
    return attrs


def _add_model(model: Mapping[str, Any], prefix: str, feeds: list[str],
               nodes: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Append the model's layers to ``nodes``; ``feeds`` are the outer nodes feeding its
    inputs. Returns (input node names, output node names)."""
    config = model["config"]
    layers = [layer for layer in config["layers"] if isinstance(layer, Mapping)]
    names = [_layer_name(layer, i) for i, layer in enumerate(layers)]
    # What downstream layers connect to, per layer name: itself, or a nested model's outputs.
    ends: dict[str, list[str]] = {}
    if model.get("class_name") == "Sequential" or not any("inbound_nodes" in la for la in layers):
        previous = list(feeds)
        first: list[str] = []
        for layer, name in zip(layers, names, strict=True):
            starts, previous = _add_layer(layer, prefix + name, previous, nodes)
            first = first or starts
        return first, previous
    for layer, name in zip(layers, names, strict=True):
        sources = list(dict.fromkeys(_inbound_layers(layer.get("inbound_nodes"))))
        wired = [end for source in sources for end in ends.get(source, [prefix + source])]
        if layer.get("class_name") == "InputLayer" and not wired:
            wired = list(feeds)
        _, ends[name] = _add_layer(layer, prefix + name, wired, nodes)
    inputs = [prefix + n for n in _layer_refs(config.get("input_layers"))]
    outputs = [end for n in _layer_refs(config.get("output_layers"))
               for end in ends.get(n, [prefix + n])]
    return inputs, outputs


def _add_layer(layer: Mapping[str, Any], name: str, inputs: list[str],
               nodes: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """One layer (or a nested model, expanded). Returns (its first nodes, its last nodes)."""
    if _is_model(layer):
        starts, ends = _add_model(layer, name + "/", inputs, nodes)
        return starts, ends
    nodes.append({"name": name, "op": str(layer.get("class_name", "")), "inputs": inputs,
                  "attrs": _attrs(layer)})
    return [name], [name]


def _inbound_layers(inbound: Any) -> Iterator[str]:
    """Names of the layers feeding a layer, from Keras 3 or Keras 2 ``inbound_nodes``."""
    if isinstance(inbound, Mapping):
        if inbound.get("class_name") == "__keras_tensor__":
            history = (inbound.get("config") or {}).get("keras_history")
            if isinstance(history, list) and history and isinstance(history[0], str):
                yield history[0]
            return
        for value in inbound.values():
            yield from _inbound_layers(value)
    elif isinstance(inbound, list):
        if len(inbound) >= 3 and isinstance(inbound[0], str) and isinstance(inbound[1], int):
            yield inbound[0]  # Keras 2: [layer, node index, tensor index, kwargs]
            return
        for item in inbound:
            yield from _inbound_layers(item)


def _layer_refs(refs: Any) -> list[str]:
    """``input_layers`` / ``output_layers``: ``[name, node, tensor]`` or a list of them."""
    if not isinstance(refs, list):
        return []
    if len(refs) >= 1 and isinstance(refs[0], str):
        return [refs[0]]
    return [ref[0] for ref in refs if isinstance(ref, list) and ref and isinstance(ref[0], str)]
