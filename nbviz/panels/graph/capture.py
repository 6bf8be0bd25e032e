"""Capture the graph of any ``torch.nn.Module``: ``torch.fx``, then (when fx fails or
hides structure) a module-hook trace, then ``torch.export`` and ``torch.jit.trace``, each
falling back to the next with the reason kept; when the forward raises, the partial
graph of what ran plus the error.

Why fx before export: on CPU ``torch.export`` costs 3-4x an fx symbolic trace (it traces
with fake tensors through dynamo and decomposes to aten ops: ResNet-50 7.6 s against
2.5 s, a 24-layer GPT 7.7 s against 2.3 s on this project's machines; the fx graph is
the one a reader wants anyway, one node per leaf module). An fx trace is complete or
raises; when it raises (control flow on tensor values, untraceable calls), the
module-hook trace goes next (one eager forward), and export / jit only when that
gives no graph. Same when fx's graph hides structure: fx keeps torch.nn's own
containers (e.g. ``nn.TransformerEncoder``) as one opaque node; when such a node holds
modules that hold modules, the module-hook trace (0.5 s on a 6-layer encoder where
export took 15 s) draws their inside, and fx's coarse graph stays the answer when
nothing else completes. What the order gives up: export's aten-level view (every op decomposed,
e.g. 776 nodes for the 24-layer GPT against fx's 202), which ``methods=("torch.export",
...)`` still asks for.

The result is the shared graph form (docs/store.md, "Graph form"): nodes with
``name``, ``op``, ``inputs`` (edges), ``scope`` (the module path the node runs in),
``outputs`` (shape + dtype per output tensor) and ``attrs``, plus a ``modules``
table (type, own parameter count, hyperparameters of every module) and a
``capture`` record (method used, the reasons each earlier method failed, error).

>>> graph = capture_graph(model, torch.zeros(1, 3, 32, 32))  # doctest: +SKIP
>>> graph["capture"]["method"], len(graph["nodes"])          # doctest: +SKIP
('torch.fx', 57)

torch is imported lazily: this module is only imported when a model is captured.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import io
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nbviz._validate import describe
from nbviz.panels.graph.modules import module_table
from nbviz.panels.graph.nested import arguments, flatten_tensors, named_inputs, tensor_info

__all__ = ["FORMAT", "METHODS", "capture_graph"]

FORMAT = "nbviz.graph"
METHODS = ("torch.fx", "torch.export", "torch.jit", "hooks")
_REASON_LIMIT = 400


def _reason(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:_REASON_LIMIT]


class _Builder:
    """Accumulates nodes with unique names."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.names: set[str] = set()

    def unique(self, name: str) -> str:
        base, count = name or "node", 1
        candidate = base
        while candidate in self.names:
            count += 1
            candidate = f"{base}#{count}"
        self.names.add(candidate)
        return candidate

    def add(self, name: str, op: str, inputs: Sequence[str], scope: str,
            outputs: list[dict[str, Any]], attrs: dict[str, Any] | None = None,
            kind: str = "op") -> str:
        unique = self.unique(name)
        node: dict[str, Any] = {"name": unique, "op": op, "inputs": list(dict.fromkeys(inputs)),
                                "scope": scope, "kind": kind, "outputs": outputs}
        if attrs:
            node["attrs"] = attrs
        self.nodes.append(node)
        return unique


def _shape_info(value: Any) -> list[dict[str, Any]]:
    return [tensor_info(t, path) for path, t in flatten_tensors(value)]


# -- torch.export ------------------------------------------------------------------------------


def _scope_of_stack(stack: Any) -> str:
    if not stack:
        return ""
    last = list(stack.values())[-1]
    return str(last[0]) if isinstance(last, tuple) and last else ""


def _op_name(target: Any) -> str:
    opname = getattr(target, "_opname", None)  # an aten OpOverload: "mean", not "mean.dim"
    if isinstance(opname, str) and opname:
        return opname
    name = getattr(target, "__name__", None) or str(target)
    for prefix in ("aten.", "torch.ops.aten."):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name.endswith(".default") or name.endswith(".Tensor"):
        name = name.rsplit(".", 1)[0]
    return str(name)


def _from_export(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    import torch

    program = torch.export.export(model, args, kwargs)
    signature = program.graph_signature
    hidden = set(signature.inputs_to_parameters) | set(signature.inputs_to_buffers)
    hidden |= set(getattr(signature, "inputs_to_lifted_tensor_constants", {}) or {})
    builder = _Builder()
    rename: dict[str, str] = {}
    outputs: list[str] = []
    inputs: list[str] = []
    for node in program.graph.nodes:
        if node.op == "placeholder":
            if node.name in hidden:
                continue
            rename[node.name] = builder.add(node.name, "input", [], "", _shape_info(
                node.meta.get("val")), kind="input")
            inputs.append(rename[node.name])
        elif node.op == "call_function":
            sources = [rename[n.name] for n in node.all_input_nodes if n.name in rename]
            op = _op_name(node.target)
            if op == "getitem" and sources:  # tuple unpacking: pass the producer through
                rename[node.name] = sources[0]
                continue
            rename[node.name] = builder.add(node.name, op, sources,
                                            _scope_of_stack(node.meta.get("nn_module_stack")),
                                            _shape_info(node.meta.get("val")))
        elif node.op == "output":
            sources = [rename[n.name] for n in node.all_input_nodes if n.name in rename]
            outputs.append(builder.add("output", "output", sources, "", [], kind="output"))
    return {"nodes": builder.nodes, "inputs": inputs, "outputs": outputs}


# -- torch.fx ----------------------------------------------------------------------------------


def _from_fx(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    import torch

    class _Tracer(torch.fx.Tracer):
        """Leaves: torch's (every torch.nn module but Sequential) plus childless modules."""

        def is_leaf_module(self, m: Any, module_qualified_name: str) -> bool:
            return (next(m.children(), None) is None
                    or bool(super().is_leaf_module(m, module_qualified_name)))

    traced = torch.fx.GraphModule(model, _Tracer().trace(model))
    named = dict(model.named_modules())
    opaque = sorted(str(n.target) for n in traced.graph.nodes
                    if n.op == "call_module" and _nested(named.get(str(n.target))))
    placeholders = [n for n in traced.graph.nodes if n.op == "placeholder"]
    bound = inspect.signature(model.forward).bind(*args, **kwargs)
    bound.apply_defaults()
    values = list(bound.arguments.values())[: len(placeholders)]

    class _Shapes(torch.fx.Interpreter):
        """Runs the traced graph on the real inputs and keeps each node's value."""

        def run_node(self, n: Any) -> Any:
            result = super().run_node(n)
            n.meta["nbviz_value"] = result
            return result

    _Shapes(traced).run(*values)  # a forward that fails on these inputs fails here
    builder = _Builder()
    rename: dict[str, str] = {}
    inputs: list[str] = []
    outputs: list[str] = []
    for node in traced.graph.nodes:
        info = _shape_info(node.meta.pop("nbviz_value", None))
        sources = [rename[n.name] for n in node.all_input_nodes if n.name in rename]
        if node.op == "placeholder":
            rename[node.name] = builder.add(node.name, "input", [], "", info, kind="input")
            inputs.append(rename[node.name])
        elif node.op == "call_module":
            path = str(node.target)
            module = named.get(path)
            op = type(module).__name__ if module is not None else path
            rename[node.name] = builder.add(path, op, sources, path, info, kind="module")
        elif node.op in ("call_function", "call_method"):
            op = _op_name(node.target)
            if op == "getitem" and sources:
                rename[node.name] = sources[0]
                continue
            rename[node.name] = builder.add(node.name, op, sources,
                                            _scope_of_stack(node.meta.get("nn_module_stack")),
                                            info)
        elif node.op == "output":
            outputs.append(builder.add("output", "output", sources, "", [], kind="output"))
    return {"nodes": builder.nodes, "inputs": inputs, "outputs": outputs, "opaque": opaque}


def _nested(module: Any) -> bool:
    """A module fx kept as one node although it holds modules that hold modules
    (``nn.TransformerEncoder``, ``nn.TransformerEncoderLayer``): structure is hidden."""
    return module is not None and any(next(c.children(), None) is not None
                                      for c in module.children())


# -- torch.jit.trace ---------------------------------------------------------------------------


def _jit_scope(scope: str) -> str:
    last = scope.rsplit("/", 1)[-1]
    return last[len("__module."):] if last.startswith("__module.") else ""


def _from_jit(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    import torch

    jit: Any = torch.jit  # untyped in torch's stubs
    if kwargs:
        traced = jit.trace(model, example_kwarg_inputs=kwargs, strict=False)
    else:
        traced = jit.trace(model, args, strict=False)
    graph = traced.graph
    torch._C._jit_pass_inline(graph)
    builder = _Builder()
    producers: dict[str, list[str]] = {}  # value name -> kept nodes that produced it
    inputs: list[str] = []
    for index, value in enumerate(graph.inputs()):
        if index == 0:  # self
            continue
        info = _jit_value_info(value)
        name = builder.add(value.debugName(), "input", [], "", [info] if info else [],
                           kind="input")
        producers[value.debugName()] = [name]
        inputs.append(name)
    for node in graph.nodes():
        kind = node.kind()
        sources = [p for v in node.inputs() for p in producers.get(v.debugName(), [])]
        if kind.startswith("prim::"):
            for value in node.outputs():
                producers[value.debugName()] = list(dict.fromkeys(sources))
            continue
        outputs = [_jit_value_info(v) for v in node.outputs()]
        first = next(iter(node.outputs()), None)
        op = kind.split("::", 1)[-1]
        base = first.debugName() if first is not None else op
        name = builder.add(f"{op}_{base}" if base.isdigit() else base, op, sources,
                           _jit_scope(node.scopeName()), [o for o in outputs if o])
        for value in node.outputs():
            producers[value.debugName()] = [name]
    ends = [p for v in graph.outputs() for p in producers.get(v.debugName(), [])]
    output = builder.add("output", "output", ends, "", [], kind="output")
    return {"nodes": builder.nodes, "inputs": inputs, "outputs": [output]}


def _jit_value_info(value: Any) -> dict[str, Any]:
    kind = value.type()
    sizes = getattr(kind, "sizes", None)
    if not callable(sizes):
        return {}
    try:
        shape = sizes()
        dtype = kind.scalarType()
    except RuntimeError:
        return {}
    if shape is None:
        return {}
    return {"shape": [int(d) for d in shape], "dtype": str(dtype).lower()}


# -- module-hook trace -------------------------------------------------------------------------


class _HookTrace:
    """One eager forward with module hooks (scopes, leaf-module nodes) and a
    ``TorchFunctionMode`` (the functional ops between modules: adds, reshapes …);
    edges follow tensor identity. Whatever ran before an exception stays recorded."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.builder = _Builder()
        self.producer: dict[int, str] = {}
        self.keep: list[Any] = []  # tensors kept alive so their ids stay unique
        self.stack: list[str] = []
        self.paths = {id(m): p for p, m in model.named_modules()}
        self.leaves = {id(m) for m in model.modules() if next(m.children(), None) is None}
        self.inside_leaf = 0

    def sources(self, value: Any) -> list[str]:
        found = [self.producer.get(id(t)) for _, t in flatten_tensors(value)]
        return [f for f in found if f is not None]

    def produce(self, value: Any, name: str) -> None:
        for _, tensor in flatten_tensors(value):
            self.producer[id(tensor)] = name
            self.keep.append(tensor)

    def pre(self, module: Any, args: Any, kwargs: Any) -> None:
        self.stack.append(self.paths.get(id(module), ""))
        if id(module) in self.leaves:
            self.inside_leaf += 1

    def post(self, module: Any, args: Any, kwargs: Any, output: Any) -> None:
        path = self.stack.pop() if self.stack else ""
        if id(module) not in self.leaves:
            return
        self.inside_leaf -= 1
        if self.inside_leaf:
            return
        name = self.builder.add(path or type(module).__name__, type(module).__name__,
                                self.sources((args, kwargs)), path, _shape_info(output),
                                kind="module")
        self.produce(output, name)

    def function(self, func: Any, args: Any, kwargs: Any, result: Any) -> None:
        if self.inside_leaf:
            return
        tensors = flatten_tensors(result)
        if not tensors:
            return
        sources = self.sources((args, kwargs))
        if not sources:
            return  # a constant or a parameter read: not data flow
        scope = self.stack[-1] if self.stack else ""
        op = getattr(func, "__name__", None) or str(func)
        name = self.builder.add(f"{scope}.{op}" if scope else op, op, sources, scope,
                                _shape_info(result))
        self.produce(result, name)

    def run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any],
                                                                           str | None]:
        import torch
        from torch.overrides import TorchFunctionMode

        trace = self

        class _Mode(TorchFunctionMode):
            def __torch_function__(self, func: Any, types: Any, args: Any = (),
                                   kwargs: Any = None) -> Any:
                result = func(*args, **(kwargs or {}))
                if getattr(func, "__name__", "") not in ("__get__", "__set__"):
                    trace.function(func, args, kwargs or {}, result)
                return result

        inputs: list[str] = []
        for path, tensor in named_inputs(self.model, args, kwargs):
            name = self.builder.add(path or "input", "input", [], "", [tensor_info(tensor, "")],
                                    kind="input")
            self.producer[id(tensor)] = name
            inputs.append(name)
        handles = []
        for module in self.model.modules():
            handles.append(module.register_forward_pre_hook(self.pre, with_kwargs=True))
            handles.append(module.register_forward_hook(self.post, with_kwargs=True,
                                                        always_call=False))
        error: str | None = None
        output: Any = None
        try:
            with torch.no_grad(), _Mode():
                output = self.model(*args, **kwargs)
        except Exception as exc:  # the partial graph of what ran is the answer
            error = _reason(exc)
        finally:
            for handle in handles:
                handle.remove()
        outputs: list[str] = []
        if error is None:
            ends = self.sources(output)
            outputs.append(self.builder.add("output", "output", ends, "", [], kind="output"))
        self.keep.clear()
        return {"nodes": self.builder.nodes, "inputs": inputs, "outputs": outputs}, error


def _from_hooks(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                ) -> tuple[dict[str, Any], str | None]:
    return _HookTrace(model).run(args, kwargs)


# -- the public entry --------------------------------------------------------------------------


_NOISY_LOGGERS = ("torch", "torch._subclasses.fake_tensor", "torch.fx.experimental.symbolic_shapes",
                  "torch._dynamo", "torch.export", "torch._export", "torch.fx.passes.shape_prop")


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """The tracers log their failures at ERROR with tracebacks; the reason is kept instead."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


_TRACERS: dict[str, Callable[[Any, tuple[Any, ...], dict[str, Any]], dict[str, Any]]] = {
    "torch.export": _from_export, "torch.fx": _from_fx, "torch.jit": _from_jit,
}


@dataclasses.dataclass
class _Attempt:
    method: str
    reason: str


def _run_method(model: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
                ) -> tuple[dict[str, Any] | None, str | None, str | None, list[str]]:
    """One capture method: (graph or None, the forward's error, why it failed, warnings)."""
    import torch

    error: str | None = None
    graph: dict[str, Any] | None = None
    failed: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if method == "hooks":  # what ran, even when it raised
                graph, error = _from_hooks(model, args, kwargs)
            else:
                # export prints its partial graph to stderr on failure: the reason is kept
                with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
                    graph = _TRACERS[method](model, args, kwargs)
                _validate_graph(graph)
        except Exception as exc:
            failed, graph = _reason(exc), None
    notes = [f"{method}: {str(w.message).splitlines()[0][:_REASON_LIMIT]}"
             for w in caught[:3] if str(w.message)]
    return graph, error, failed, notes


def _try_methods(model: Any, chosen: tuple[str, ...], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> tuple[dict[str, Any] | None, str, str | None,
                                                  list[_Attempt], list[str]]:
    """Each method in turn until one gives a graph: (graph, method, error, failed, warnings).

    When fx fails, or gives a graph that keeps torch.nn containers opaque (see the module
    docstring; that graph is held back), the module-hook trace goes next: one eager
    forward, a fraction of export's time (a transformers GPT-2: fx fails at once, export
    and jit each fail after seconds on its output types). A hook trace whose forward
    raised is partial, and every other method runs that same forward: the held fx graph
    (complete, only coarse) or else the partial graph is the answer, the rest not tried.
    """
    attempts: list[_Attempt] = []
    notes: list[str] = []
    queue = list(chosen)
    held: tuple[dict[str, Any], list[_Attempt]] | None = None
    while queue:
        method = queue.pop(0)
        graph, error, failed, caught = _run_method(model, method, args, kwargs)
        notes.extend(caught)
        if graph is None:
            attempts.append(_Attempt(method, failed or "no graph"))
            if method == "torch.fx" and "hooks" in queue:
                queue.insert(0, queue.pop(queue.index("hooks")))
            continue
        opaque = graph.pop("opaque", [])
        if opaque and len(queue) > 0:
            held = graph, list(attempts)
            attempts.append(_Attempt(method, f"kept the torch.nn container(s) "
                                             f"{', '.join(opaque[:3])} as one node each: "
                                             f"looking inside"))
            if "hooks" in queue:
                queue.insert(0, queue.pop(queue.index("hooks")))
            continue
        if error is not None and queue:
            notes.append(f"{', '.join(queue)}: not tried, the forward raised on these inputs")
        if error is not None and held is not None:
            notes.append(f"{method}: the forward raised: {error} (torch.fx's graph kept)"
                         [:_REASON_LIMIT])
            break
        return graph, method, error, attempts, notes
    if held is not None:
        notes.extend(f"{a.method}: {a.reason} (torch.fx's graph kept)"[:_REASON_LIMIT]
                     for a in attempts[len(held[1]) + 1:])
        return held[0], "torch.fx", None, held[1], notes
    return None, "none", None, attempts, notes


def _check_methods(methods: Any) -> tuple[str, ...]:
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, (tuple, list)) or not methods or any(
            m not in METHODS for m in methods):
        raise ValueError(f"capture_graph(): 'methods' must be a non-empty sequence of "
                         f"{METHODS}, got {describe(methods)}.")
    return tuple(methods)


def _validate_graph(graph: dict[str, Any]) -> None:
    real = [n for n in graph["nodes"] if n["kind"] not in ("input", "output")]
    if not real:
        raise RuntimeError("the trace holds no operations")


def capture_graph(model: Any, inputs: Any, *, methods: Any = METHODS,
                  where: str = "capture_graph()", inputs_name: str = "inputs") -> dict[str, Any]:
    """The graph of ``model`` run on ``inputs``, in nbviz's graph form.

    ``inputs``: a tensor (``model(x)``), a tuple or list (``model(*inputs)``), a dict
    (``model(**inputs)`` when its keys are ``forward``'s parameter names, else
    ``model(inputs)``) or any other object, e.g. a dataclass (``model(obj)``); nested
    tuples / lists / dicts / dataclasses of tensors anywhere. ``methods``: the capture
    methods to try, in order (default: all of :data:`METHODS`). The model is put in
    eval mode for the capture and restored. ``where`` / ``inputs_name``: how errors name
    the calling function and its inputs argument.

    >>> g = capture_graph(torch.nn.Linear(4, 2), torch.zeros(1, 4))  # doctest: +SKIP
    >>> g["capture"]["method"]                                       # doctest: +SKIP
    'torch.fx'
    """
    try:
        import torch
    except ImportError as missing:  # pragma: no cover - nbviz can run without torch
        raise ImportError("capture_graph() needs torch (pip install torch)") from missing
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{where}: 'model' must be a torch.nn.Module, got "
                        f"{describe(model)}; pass the model itself, e.g. capture_graph(net, x).")
    chosen = _check_methods(methods)
    args, kwargs = arguments(model, inputs, where=where, name=inputs_name)
    was_training = model.training
    model.eval()
    try:
        with _quiet_logs():
            graph, used, error, attempts, notes = _try_methods(model, chosen, args, kwargs)
    finally:
        model.train(was_training)
    if graph is not None and error is not None and not any(
            n["kind"] not in ("input", "output") for n in graph["nodes"]):
        raise TypeError(f"{where}: the forward of {type(model).__name__} raised on "
                        f"'{inputs_name}' before any operation ran ({error}); pass inputs "
                        f"that {type(model).__name__}.forward accepts.")
    if graph is None:
        graph = {"nodes": [], "inputs": [], "outputs": []}
        used = "none"
        error = error or (attempts[-1].reason if attempts else "nothing was captured")
    graph["name"] = type(model).__name__
    graph["modules"] = module_table(model)
    graph["capture"] = {
        "method": used,
        "fallbacks": [{"method": a.method, "reason": a.reason} for a in attempts],
        "error": error,
        "partial": error is not None,
        "warnings": notes[:10],
    }
    _attach_module_attrs(graph)
    return graph


def _attach_module_attrs(graph: dict[str, Any]) -> None:
    """Module nodes (a leaf module called as one node) carry their module's data."""
    modules = graph["modules"]
    for node in graph["nodes"]:
        if node.get("kind") == "module":
            info = modules.get(node["scope"])
            if info is not None:
                attrs = dict(info.get("attrs", {}))
                attrs["parameters"] = info.get("params", 0)
                node["attrs"] = attrs
