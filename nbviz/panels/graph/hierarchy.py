"""The module hierarchy of a graph: nodes grouped by module path (or, for GraphDef and
Keras graphs, by their ``/``-separated name scopes), parameter counts per group, and a
structure signature per group so repeated blocks (12 identical layers) are recognised.

``view(graph)`` turns any graph of the shared form (docs/store.md) into what the Graph
panel draws (docs/wire.md, "Graph"): flat ``nodes`` and ``groups`` lists with indices,
and the edges as pairs of node indices.

>>> v = view({"nodes": [{"name": "x", "op": "input", "inputs": []},
...                     {"name": "fc", "op": "Linear", "inputs": ["x"], "scope": "fc",
...                      "kind": "module"}]})
>>> [n["label"] for n in v["nodes"]], v["edges"]
(['x', 'fc: Linear'], [[0, 1]])
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

__all__ = ["collapsed", "view"]

_ROOT = ""


def _shape_text(outputs: Any) -> str:
    if not isinstance(outputs, list):
        return ""
    parts = []
    for item in outputs[:4]:
        if isinstance(item, dict) and isinstance(item.get("shape"), list):
            shape = "×".join(str(d) for d in item["shape"])
            dtype = str(item.get("dtype", ""))
            parts.append(f"{shape} {dtype}".strip() if dtype and dtype != "float32"
                         else (shape or "scalar"))
    if len(outputs) > 4:
        parts.append(f"+{len(outputs) - 4}")
    return ", ".join(parts)


def _parent(path: str, sep: str) -> str:
    return path.rsplit(sep, 1)[0] if sep in path else _ROOT


def _visible_nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop TorchScript's ``prim::`` bookkeeping nodes (constants, attribute reads, list
    packing) from a ``torch.jit`` graph, wiring their consumers to their producers."""
    hidden = {str(n.get("name")): n for n in nodes if str(n.get("op", "")).startswith("prim::")}
    if not hidden:
        return nodes
    resolved: dict[str, list[str]] = {}

    def sources(name: str) -> list[str]:
        if name not in hidden:
            return [name]
        if name in resolved:
            return resolved[name]
        resolved[name] = []  # cycles cannot occur in a trace; this guards anyway
        out: list[str] = []
        for item in hidden[name].get("inputs", []) or []:
            out.extend(sources(str(item)))
        resolved[name] = list(dict.fromkeys(out))
        return resolved[name]

    kept = []
    for node in nodes:
        if str(node.get("name")) in hidden:
            continue
        inputs = [s for item in node.get("inputs", []) or [] for s in sources(str(item))]
        kept.append({**node, "inputs": list(dict.fromkeys(inputs))})
    return kept


def _scope_path(scope: str) -> str:
    """A module path; TorchScript scopes (``__module.a/__module.a.0``) to their last part."""
    last = scope.rsplit("/", 1)[-1]
    return last[len("__module."):] if last.startswith("__module.") else scope


def _placement(node: dict[str, Any], sep: str, scoped: bool) -> tuple[str, str]:
    """(group path the node sits in, the module path its statistics are looked up by)."""
    name = str(node.get("name", ""))
    if scoped:
        scope = _scope_path(str(node.get("scope") or ""))
        if node.get("kind") == "module":
            return _parent(scope, sep) if scope else _ROOT, scope
        return scope, scope
    return _parent(name, "/"), _parent(name, "/")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def view(graph: dict[str, Any]) -> dict[str, Any]:
    """The drawable form of ``graph`` (any source's graph form): nodes, groups, edges.

    Node: ``label``, ``op``, ``group`` (index into ``groups``, -1 = top level), ``key``
    (module path for statistics), ``shape``, ``kind``, ``attrs``. Group: ``path``,
    ``label``, ``type``, ``parent`` (-1 = top level), ``params``, ``nodes`` (count under
    it), ``repeat`` (how many siblings share its structure; 1 = unique), ``depth``.
    """
    raw_nodes = _visible_nodes([n for n in graph.get("nodes", []) if isinstance(n, dict)])
    scoped = any("scope" in n for n in raw_nodes)
    sep = "." if scoped else "/"
    modules: dict[str, Any] = graph.get("modules") or {}
    placed = [_placement(n, sep, scoped) for n in raw_nodes]

    # groups: every prefix of every placement path
    members: dict[str, list[int]] = defaultdict(list)
    for index, (group, _) in enumerate(placed):
        members[group].append(index)
    paths: set[str] = set()
    for group in list(members):
        path = group
        while path and path not in paths:
            paths.add(path)
            path = _parent(path, sep)
    children: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        children[_parent(path, sep)].append(path)

    # a group holding one node and nothing else is that node (a leaf module's one op)
    for path in sorted(paths, key=lambda p: -p.count(sep)):
        if not children.get(path) and len(members.get(path, [])) == 1:
            only = members.pop(path)[0]
            up = _parent(path, sep)
            members[up].append(only)
            children[up].remove(path)
            paths.discard(path)
            raw_nodes[only] = {**raw_nodes[only], "_module": path}
    ordered = sorted(paths, key=lambda p: (p.count(sep), min(
        (i for i in _all_members(p, members, children)), default=0)))
    group_index = {path: i for i, path in enumerate(ordered)}

    node_names = {str(n.get("name", "")): i for i, n in enumerate(raw_nodes)}
    nodes: list[dict[str, Any]] = []
    node_group = [-1] * len(raw_nodes)
    for group, indices in members.items():
        for index in indices:
            node_group[index] = group_index.get(group, -1)
    for index, node in enumerate(raw_nodes):
        module = str(node.get("_module", ""))
        op = str(node.get("op", ""))
        op = op.split("::", 1)[-1] if op.startswith("aten::") else op
        scope_key = placed[index][1]
        if module:
            info = modules.get(module, {})
            label = f"{module.rsplit(sep, 1)[-1]}: {info.get('type', op)}" if info else op
            scope_key = module
        elif node.get("kind") == "module":
            label = f"{scope_key.rsplit(sep, 1)[-1]}: {op}" if scope_key else op
        else:
            ends = node.get("kind") in ("input", "output") or op in ("input", "output")
            label = str(node.get("name")) if ends else op
            if not scoped:
                label = str(node.get("name", "")).rsplit("/", 1)[-1] or op
        attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
        if module and module in modules:
            attrs = {**modules[module].get("attrs", {}), "parameters": modules[module]["params"],
                     **(attrs or {})}
        nodes.append({"name": str(node.get("name", "")), "label": label, "op": op,
                      "group": node_group[index], "key": scope_key,
                      "kind": str(node.get("kind", "op")), "shape": _shape_text(
                          node.get("outputs")), "attrs": _jsonable(attrs or {})})

    edges: list[list[int]] = []
    for index, node in enumerate(raw_nodes):
        for source in node.get("inputs", []) or []:
            name = str(source).lstrip("^")
            found = node_names.get(name)
            if found is None and ":" in name:  # GraphDef "node:k" output references
                found = node_names.get(name.rsplit(":", 1)[0])
            if found is not None and found != index:
                edges.append([found, index])

    params = _group_params(modules, sep)
    groups = []
    for path in ordered:
        info = modules.get(path, {})
        groups.append({"path": path, "label": path.rsplit(sep, 1)[-1],
                       "type": str(info.get("type", "")) if info else "",
                       "parent": group_index.get(_parent(path, sep), -1),
                       "params": int(params.get(path, 0)), "depth": path.count(sep),
                       "nodes": len(list(_all_members(path, members, children))),
                       "repeat": 1, "signature": ""})
    _signatures(groups, nodes, edges)
    total = int(sum(int(m.get("params", 0)) for m in modules.values()))
    return {"name": str(graph.get("name", "")), "nodes": nodes, "groups": groups,
            "edges": edges, "separator": sep, "params": total,
            "capture": graph.get("capture") or {}}


def _all_members(path: str, members: dict[str, list[int]],
                 children: dict[str, list[str]]) -> list[int]:
    out: list[int] = []
    stack = [path]
    while stack:
        current = stack.pop()
        out.extend(members.get(current, []))
        stack.extend(children.get(current, []))
    return out


def _group_params(modules: dict[str, Any], sep: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for path, info in modules.items():
        count = int(info.get("params", 0)) if isinstance(info, dict) else 0
        if not count:
            continue
        current = path
        while current:
            totals[current] += count
            current = _parent(current, sep)
    return totals


def _signatures(groups: list[dict[str, Any]], nodes: list[dict[str, Any]],
                edges: list[list[int]]) -> None:
    """Bottom-up structure signatures; siblings sharing one get ``repeat`` = their count."""
    kids: dict[int, list[str]] = defaultdict(list)
    for node in nodes:
        attrs = {k: v for k, v in node["attrs"].items() if k != "parameters"}
        kids[node["group"]].append(f"{node['op']}{json.dumps(attrs, sort_keys=True)}")
    inner: dict[int, int] = defaultdict(int)
    for source, target in edges:
        if nodes[source]["group"] == nodes[target]["group"]:
            inner[nodes[source]["group"]] += 1
    for index in sorted(range(len(groups)), key=lambda i: -groups[i]["depth"]):
        group = groups[index]
        text = f"{group['type']}|{inner[index]}|" + ";".join(kids[index])
        group["signature"] = _digest(text)
        kids[group["parent"]].append(f"[{group['signature']}]")
    by_parent: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        if group["nodes"] > 1:
            by_parent[(group["parent"], group["signature"])].append(index)
    for indices in by_parent.values():
        for index in indices:
            groups[index]["repeat"] = len(indices)


def _jsonable(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in list(attrs.items())[:40]:
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[str(key)] = value
        elif isinstance(value, (list, tuple)) and len(value) <= 16 and all(
                isinstance(v, (str, int, float, bool)) for v in value):
            out[str(key)] = list(value)
        else:
            text = json.dumps(value, default=str)
            out[str(key)] = text if len(text) <= 200 else text[:197] + "…"
    return out


def collapsed(drawable: dict[str, Any], open_groups: frozenset[int] = frozenset()
              ) -> tuple[list[tuple[str, int]], list[tuple[int, int]]]:
    """The visible items of ``view(...)`` with only ``open_groups`` expanded: items as
    ``("node" | "group", index)`` and edges between item positions (deduplicated) — what
    the page lays out, and what the static picture draws with no group open.

    >>> items, edges = collapsed(view({"nodes": [{"name": "x", "op": "input", "inputs": []}]}))
    >>> items, edges
    ([('node', 0)], [])
    """
    groups = drawable["groups"]
    nodes = drawable["nodes"]

    def representative_group(group: int) -> int:
        """The outermost closed group on the path from the top down to ``group`` (or -1)."""
        chain = []
        while group != -1:
            chain.append(group)
            group = groups[group]["parent"]
        for candidate in reversed(chain):
            if candidate not in open_groups:
                return candidate
        return -1

    items: list[tuple[str, int]] = []
    position: dict[tuple[str, int], int] = {}
    node_item: list[int] = []
    for index, node in enumerate(nodes):  # items in the order their first node ran
        closed = representative_group(node["group"]) if node["group"] != -1 else -1
        item = ("node", index) if closed == -1 else ("group", closed)
        if item not in position:
            position[item] = len(items)
            items.append(item)
        node_item.append(position[item])
    seen: set[tuple[int, int]] = set()
    edges: list[tuple[int, int]] = []
    for source, target in drawable["edges"]:
        pair = (node_item[source], node_item[target])
        if pair[0] != pair[1] and pair not in seen:
            seen.add(pair)
            edges.append(pair)
    return items, edges
