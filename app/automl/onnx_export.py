"""ONNX export of a fitted model, wherever one graph computes what the server computes.

`to_onnx(model)` gives the bytes of one ONNX model that takes the model's inputs and gives
what `FittedModel.predict` / `predict_proba` give: the feature encoding, every member and
their weighted blend are in the graph.

Inputs (their names and order are also in the model's metadata_props, `automl.inputs`):

* ``features`` (or ``numeric_features`` when an attribute is called ``features``): a double
  tensor [n, n_numeric], the numeric columns in the model's order (`automl.numeric_features`;
  unnamed columns are f0, f1, ...). NaN means missing, and so does +-inf, as on the server.
  Absent when the model has no numeric columns.
* one string tensor [n] per categorical attribute the model uses (`automl.categorical_features`,
  in that order), each cell the category as the server keys it: strings as they are, numbers
  as their canonical text ("3" for 3 and 3.0, "2.5" for 2.5, Python's repr of other floats),
  booleans "True"/"False"; "" is missing. Unseen categories count as missing, as on the server.

Outputs: classification ``label`` [n] (int64, double or string, as the classes are) and
``probabilities`` double [n, n_classes] in the model's class order (`automl.classes`);
regression ``value`` double [n].

Precision: everything is computed in double, as on the server. The encoding, the linear
members and the blend are the server's operations in the same order; LightGBM's trees are
read from `Booster.dump_model()` (double thresholds and leaf values, LightGBM's missing-value
and categorical rules) into an ai.onnx.ml TreeEnsemble (opset 5), so LightGBM and linear
members agree with the server to rounding (1e-15 measured). CatBoost's trees come from its own
ONNX exporter, fed the float32-rounded features CatBoost itself reads; that exporter stores
leaf values as float32, so CatBoost members agree to about 1e-8 (probabilities 3e-9, values
of size 10 within 1e-7 measured).

Refused (`NotExportable`, naming the member and why): stacked members (they need the first
level's predictions as features, which this graph does not build), CatBoost members trained
with categorical features (CatBoost's ONNX export has no categorical features), LightGBM
linear trees or zero-as-missing splits, and models wider than MAX_NUMERIC_COLUMNS numeric
columns.

The onnx package is imported only here, lazily: without it `to_onnx` raises
`OnnxUnavailable`, whose message says to install the `onnx` extra.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from .model import FittedModel, Member

OPSET = 15
ML_OPSET = 5  # TreeEnsemble with double thresholds and leaf values
# The numeric input is one dense tensor: wide sparse models (up to 2**24 columns) are refused.
MAX_NUMERIC_COLUMNS = 65_536
INSTALL_HINT = "pip install 'automl-server[onnx]'"


class NotExportable(Exception):
    """The model cannot be exported exactly; `member` names the member that prevents it
    (None: the model as a whole), `reason` says why."""

    def __init__(self, member: str | None, reason: str):
        self.member = member
        self.reason = reason
        super().__init__(f"member '{member}' {reason}" if member else reason)


class OnnxUnavailable(RuntimeError):
    """The optional ONNX packages are not installed."""

    def __init__(self, missing: str):
        super().__init__(
            f"ONNX export needs the onnx extra ({missing} is not installed): {INSTALL_HINT}"
        )


def _used_members(model: FittedModel) -> list[Member]:
    return [member for member in model.members if member.weight > 0]


def check_exportable(model: FittedModel) -> None:
    """Raise NotExportable if `to_onnx` would refuse the model (without importing onnx)."""
    n_numeric = model.encoder.n_numeric_
    if n_numeric > MAX_NUMERIC_COLUMNS:
        raise NotExportable(
            None,
            f"the model has {n_numeric:,} numeric input columns; the ONNX graph takes them as "
            f"one dense tensor, at most {MAX_NUMERIC_COLUMNS:,} columns; download format zip",
        )
    for member in _used_members(model):
        if member.stacked:
            raise NotExportable(
                member.name,
                "is a stacked model (it predicts from the other members' predictions), which "
                "the ONNX export does not build; train with mode balanced or download format "
                "zip",
            )
        for component in member.components:
            if component.family == "catboost" and component.model.get_cat_feature_indices():
                raise NotExportable(
                    member.name,
                    "uses categorical features, which CatBoost cannot export to ONNX; train "
                    "with categorical_features=[] or download format zip",
                )
            if component.family not in ("lgbm", "linear", "catboost"):
                raise NotExportable(
                    member.name, f"is of family '{component.family}', which has no ONNX export"
                )


def _numeric_input_name(model: FittedModel) -> str:
    return "numeric_features" if "features" in model.encoder.kept_categorical_ else "features"


def input_names(model: FittedModel) -> list[str]:
    """The exported graph's input names, in order (see the module docstring)."""
    numeric = [_numeric_input_name(model)] if model.encoder.n_numeric_ > 0 else []
    return numeric + list(model.encoder.kept_categorical_)


def to_onnx(model: FittedModel) -> bytes:
    """The serialized ONNX model (see the module docstring for its inputs and outputs)."""
    check_exportable(model)
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise OnnxUnavailable("onnx") from exc
    return _Exporter(model).build().SerializeToString()


class _Unsupported(Exception):
    """A tree the converter cannot express exactly."""


# ai.onnx.ml TreeEnsemble (opset 5) node modes.
_LEQ, _MEMBER = 0, 6


def _lightgbm_trees(trees: list[dict], n_targets: int, numpy_helper) -> dict:
    """Attributes of an ai.onnx.ml TreeEnsemble (opset 5: double thresholds and leaf values)
    that sums LightGBM's trees (`Booster.dump_model()["tree_info"]`) as LightGBM's
    predictor does. A numerical split: `x <= threshold` goes left; NaN goes the default way
    (missing type NaN), or counts as 0 (missing type None). A categorical split: the listed
    categories go left; NaN and negative codes go right. Tree i adds to class i % n_targets.
    """
    nodes: dict[str, list] = {k: [] for k in (
        "nodes_featureids", "nodes_splits", "nodes_modes", "nodes_truenodeids",
        "nodes_trueleafs", "nodes_falsenodeids", "nodes_falseleafs",
        "nodes_missing_value_tracks_true")}
    membership: list[float] = []
    roots: list[int] = []
    leaf_targets: list[int] = []
    leaf_weights: list[float] = []

    def leaf(value: float, target: int) -> int:
        leaf_targets.append(target)
        leaf_weights.append(float(value))
        return len(leaf_weights) - 1

    def interior() -> int:
        for values in nodes.values():
            values.append(None)
        return len(nodes["nodes_featureids"]) - 1

    def child(node: dict, target: int) -> tuple[int, int]:
        if "leaf_value" in node:
            return leaf(node["leaf_value"], target), 1
        return walk(node, target), 0

    def walk(node: dict, target: int) -> int:
        if "leaf_coeff" in node:
            raise _Unsupported("uses linear trees, which the ONNX export does not convert")
        at = interior()
        kind = node["decision_type"]
        missing = node.get("missing_type", "None")
        if kind == "<=":
            threshold = float(node["threshold"])
            if missing == "NaN":
                left_missing = bool(node["default_left"])
            elif missing == "None":  # NaN is read as 0
                left_missing = 0.0 <= threshold
            else:
                raise _Unsupported(
                    f"treats {missing} as missing in a split, which the ONNX export does not "
                    "convert"
                )
            nodes["nodes_modes"][at] = _LEQ
            nodes["nodes_splits"][at] = threshold
        elif kind == "==":
            categories = [float(int(c)) for c in str(node["threshold"]).split("||")]
            membership.extend(categories + [np.nan])  # NaN ends a node's set
            left_missing = False
            nodes["nodes_modes"][at] = _MEMBER
            nodes["nodes_splits"][at] = 0.0
        else:
            raise _Unsupported(f"has a split of type {kind!r}, which the ONNX export does not "
                               "convert")
        nodes["nodes_featureids"][at] = int(node["split_feature"])
        nodes["nodes_missing_value_tracks_true"][at] = int(left_missing)
        true_id, true_leaf = child(node["left_child"], target)
        false_id, false_leaf = child(node["right_child"], target)
        nodes["nodes_truenodeids"][at], nodes["nodes_trueleafs"][at] = true_id, true_leaf
        nodes["nodes_falsenodeids"][at], nodes["nodes_falseleafs"][at] = false_id, false_leaf
        return at

    for i, tree in enumerate(trees):
        structure = tree["tree_structure"]
        target = i % n_targets
        if "leaf_value" in structure:  # a single leaf: a split whose both ways lead to it
            at = interior()
            only = leaf(structure["leaf_value"], target)
            for key, value in (("nodes_featureids", 0), ("nodes_splits", 0.0),
                               ("nodes_modes", _LEQ), ("nodes_truenodeids", only),
                               ("nodes_trueleafs", 1), ("nodes_falsenodeids", only),
                               ("nodes_falseleafs", 1), ("nodes_missing_value_tracks_true", 0)):
                nodes[key][at] = value
            roots.append(at)
        else:
            roots.append(walk(structure, target))
    attrs: dict = {k: v for k, v in nodes.items() if k not in ("nodes_splits", "nodes_modes")}
    attrs["nodes_splits"] = numpy_helper.from_array(np.asarray(nodes["nodes_splits"], float))
    attrs["nodes_modes"] = numpy_helper.from_array(np.asarray(nodes["nodes_modes"], np.uint8))
    if membership:
        attrs["membership_values"] = numpy_helper.from_array(np.asarray(membership, float))
    attrs.update(
        tree_roots=roots,
        leaf_targetids=leaf_targets,
        leaf_weights=numpy_helper.from_array(np.asarray(leaf_weights, dtype=np.float64)),
        n_targets=n_targets,
        aggregate_function=1,  # SUM
        post_transform=0,  # NONE
    )
    return attrs


_MODES = {"BRANCH_LEQ": 0, "BRANCH_LT": 1, "BRANCH_GTE": 2, "BRANCH_GT": 3, "BRANCH_EQ": 4,
          "BRANCH_NEQ": 5}


def _legacy_trees(attrs: dict, n_targets: int, numpy_helper) -> tuple[dict, list[float]]:
    """An ai.onnx.ml TreeEnsembleClassifier/Regressor's attributes (opset 1-3) as those of
    one TreeEnsemble (opset 5) without post-transform, and its base values. A leaf of the old
    form may add to several targets; the new form's leaf adds to one, so each tree is copied
    once per target its leaves add to."""
    prefix = "class_" if "class_ids" in attrs else "target_"
    by_tree: dict[int, dict[int, int]] = {}  # tree -> node id -> position
    for k, (tree, node) in enumerate(zip(attrs["nodes_treeids"], attrs["nodes_nodeids"],
                                         strict=True)):
        by_tree.setdefault(tree, {})[node] = k
    weights: dict[tuple[int, int], dict[int, float]] = {}  # (tree, target) -> node -> weight
    for tree, node, target, weight in zip(attrs[prefix + "treeids"], attrs[prefix + "nodeids"],
                                          attrs[prefix + "ids"], attrs[prefix + "weights"],
                                          strict=True):
        leaf = weights.setdefault((tree, target), {})
        leaf[node] = leaf.get(node, 0.0) + float(weight)
    modes = [m.decode() if isinstance(m, bytes) else m for m in attrs["nodes_modes"]]
    out: dict[str, list] = {k: [] for k in (
        "nodes_featureids", "nodes_splits", "nodes_modes", "nodes_truenodeids",
        "nodes_trueleafs", "nodes_falsenodeids", "nodes_falseleafs",
        "nodes_missing_value_tracks_true")}
    roots: list[int] = []
    leaf_targets: list[int] = []
    leaf_weights: list[float] = []

    def add_node(feature, split, mode, missing) -> int:
        for key, value in (("nodes_featureids", feature), ("nodes_splits", split),
                           ("nodes_modes", mode), ("nodes_missing_value_tracks_true", missing)):
            out[key].append(value)
        for key in ("nodes_truenodeids", "nodes_trueleafs", "nodes_falsenodeids",
                    "nodes_falseleafs"):
            out[key].append(0)
        return len(out["nodes_featureids"]) - 1

    def add_leaf(weight: float, target: int) -> int:
        leaf_targets.append(target)
        leaf_weights.append(weight)
        return len(leaf_weights) - 1

    for (tree, target), leaves in sorted(weights.items()):
        positions = by_tree[tree]

        def build(node: int, tree=tree, target=target, leaves=leaves, positions=positions):
            k = positions[node]
            if modes[k] == "LEAF":
                return add_leaf(leaves.get(node, 0.0), target), 1
            if modes[k] not in _MODES:
                raise _Unsupported(f"has a split of mode {modes[k]}, which is not converted")
            at = add_node(int(attrs["nodes_featureids"][k]), float(attrs["nodes_values"][k]),
                          _MODES[modes[k]], int(attrs["nodes_missing_value_tracks_true"][k]))
            true_id, true_leaf = build(int(attrs["nodes_truenodeids"][k]))
            false_id, false_leaf = build(int(attrs["nodes_falsenodeids"][k]))
            out["nodes_truenodeids"][at], out["nodes_trueleafs"][at] = true_id, true_leaf
            out["nodes_falsenodeids"][at], out["nodes_falseleafs"][at] = false_id, false_leaf
            return at, 0

        root, is_leaf = build(0)
        if is_leaf:  # a single leaf: a split whose both ways lead to it
            at = add_node(0, 0.0, 0, 0)
            out["nodes_truenodeids"][at] = out["nodes_falsenodeids"][at] = root
            out["nodes_trueleafs"][at] = out["nodes_falseleafs"][at] = 1
            root = at
        roots.append(root)
    ensemble: dict = {k: v for k, v in out.items() if k not in ("nodes_splits", "nodes_modes")}
    ensemble.update(
        nodes_splits=numpy_helper.from_array(np.asarray(out["nodes_splits"], dtype=np.float64)),
        nodes_modes=numpy_helper.from_array(np.asarray(out["nodes_modes"], dtype=np.uint8)),
        tree_roots=roots,
        leaf_targetids=leaf_targets,
        leaf_weights=numpy_helper.from_array(np.asarray(leaf_weights, dtype=np.float64)),
        n_targets=n_targets,
        aggregate_function=1,
        post_transform=0,
    )
    base = [float(v) for v in attrs.get("base_values", [])] or [0.0] * n_targets
    return ensemble, base


class _Graph:
    """Nodes and constants of the graph being built, with unique tensor names."""

    def __init__(self):
        from onnx import TensorProto, helper, numpy_helper

        self.helper, self.numpy_helper, self.TensorProto = helper, numpy_helper, TensorProto
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value, hint: str = "const") -> str:
        array = np.asarray(value)
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, domain: str = "", **attrs):
        outputs = [self.name(op_type.lower()) for _ in range(n_out)]
        node = self.helper.make_node(
            op_type, inputs, outputs, name=self.name(f"n_{op_type}"), domain=domain, **attrs
        )
        self.nodes.append(node)
        return outputs[0] if n_out == 1 else outputs

    def to_double(self, name: str) -> str:
        return self.op("Cast", [name], to=self.TensorProto.DOUBLE)

    def to_float(self, name: str) -> str:
        return self.op("Cast", [name], to=self.TensorProto.FLOAT)


class _Exporter:
    def __init__(self, model: FittedModel):
        self.model = model
        self.encoder = model.encoder
        self.g = _Graph()
        self.inputs: list = []
        self.input_names: list[str] = []
        self._rounded: str | None = None

    # -- encoding -------------------------------------------------------------------------
    def encode(self) -> str:
        """The encoded matrix (double [n, width]) as FeatureEncoder.transform makes it."""
        g, enc, helper, TP = self.g, self.encoder, self.g.helper, self.g.TensorProto
        parts = []
        if enc.n_numeric_ > 0:
            name = _numeric_input_name(self.model)
            shape = ["n", enc.n_numeric_]
            self.inputs.append(helper.make_tensor_value_info(name, TP.DOUBLE, shape))
            self.input_names.append(name)
            x = name
            if enc.dtype_ == "float32":  # the server rounds to float32 first
                x = g.to_double(g.to_float(x))
            nan = g.const(np.array(np.nan, dtype=np.float64), "nan")
            x = g.op("Where", [g.op("IsInf", [x]), nan, x])
            if enc.kept_numeric_:
                kept = g.const(np.asarray(enc.kept_numeric_, dtype=np.int64), "kept")
                parts.append(g.op("Gather", [x, kept], axis=1))
        for attribute in enc.kept_categorical_:
            self.inputs.append(helper.make_tensor_value_info(attribute, TP.STRING, ["n"]))
            self.input_names.append(attribute)
            keys = list(enc.categories_.get(attribute, [])) or [""]
            values = list(range(len(keys))) if enc.categories_.get(attribute) else [np.nan]
            codes = g.op(
                "LabelEncoder",
                [attribute],
                domain="ai.onnx.ml",
                keys_strings=keys,
                values_floats=[float(v) for v in values],
                default_float=float("nan"),
            )
            axes = g.const(np.array([1], dtype=np.int64), "axes")
            parts.append(g.op("Unsqueeze", [g.to_double(codes), axes]))
        if len(parts) == 1:
            return parts[0]
        return g.op("Concat", parts, axis=1)

    # -- members --------------------------------------------------------------------------
    def component(self, member: Member, component, M: str) -> str:
        family = component.family
        if family == "linear":
            return self.linear(component, M)
        if family == "lgbm":
            return self.lgbm(member, component, M)
        if self._rounded is None:  # CatBoost reads its features as float32
            self._rounded = self.g.to_double(self.g.to_float(M))
        return self.catboost(member, component, self._rounded)

    def linear(self, fitted, M: str) -> str:
        g, prep = self.g, fitted.prep
        parts = []
        if prep.numeric:
            block = g.op("Gather", [M, g.const(np.asarray(prep.numeric, dtype=np.int64))], axis=1)
            if prep.sparse:
                zero = g.const(np.array(0.0))
                block = g.op("Where", [g.op("IsNaN", [block]), zero, block])
                block = g.op("Mul", [block, g.const(1.0 / prep.scale)])
            else:
                fill = g.const(np.asarray(prep.fill, dtype=np.float64))
                block = g.op("Where", [g.op("IsNaN", [block]), fill, block])
                block = g.op("Sub", [block, g.const(np.asarray(prep.center, dtype=np.float64))])
                block = g.op("Div", [block, g.const(np.asarray(prep.scale, dtype=np.float64))])
            parts.append(block)
        for j, levels in zip(prep.categorical, prep.levels, strict=True):
            if not levels:
                continue
            column = g.op("Gather", [M, g.const(np.array([j], dtype=np.int64))], axis=1)
            level_row = g.const(np.asarray(levels, dtype=np.float64)[None, :], "levels")
            parts.append(g.to_double(g.op("Equal", [column, level_row])))
        Z = parts[0] if len(parts) == 1 else g.op("Concat", parts, axis=1)
        out = g.op("MatMul", [Z, g.const(np.ascontiguousarray(fitted.coef.T))])
        out = g.op("Add", [out, g.const(np.asarray(fitted.intercept, dtype=np.float64))])
        if not fitted.n_classes:
            return g.op("Reshape", [out, g.const(np.array([-1], dtype=np.int64))])
        out = g.op("Softmax", [out], axis=1)
        # Classes unseen at fit get probability 0: a 0/1 placement matrix.
        place = np.zeros((len(fitted.present), fitted.n_classes))
        place[np.arange(len(fitted.present)), fitted.present] = 1.0
        return g.op("MatMul", [out, g.const(place, "place")])

    def lgbm(self, member: Member, fitted, M: str) -> str:
        """LightGBM's trees as one ai.onnx.ml TreeEnsemble in double (`_lightgbm_trees`), then
        its averaging (random-forest mode) and sigmoid / softmax, in double."""
        g = self.g
        booster = fitted.booster
        dump = booster.dump_model(num_iteration=fitted.num_iteration)
        n_targets = fitted.n_classes if fitted.n_classes > 2 else 1
        try:
            attrs = _lightgbm_trees(dump["tree_info"], n_targets, g.numpy_helper)
        except _Unsupported as exc:
            raise NotExportable(member.name, str(exc)) from exc
        raw = g.op("TreeEnsemble", [M], domain="ai.onnx.ml", **attrs)
        if fitted.averaged:  # random-forest mode: the mean of the trees
            raw = g.op("Div", [raw, g.const(np.array(float(fitted.num_iteration)))])
        if fitted.task == "regression":
            return g.op("Reshape", [raw, g.const(np.array([-1], dtype=np.int64))])
        if fitted.n_classes == 2:
            p = g.op("Sigmoid", [raw])
            one = g.const(np.array(1.0))
            return g.op("Concat", [g.op("Sub", [one, p]), p], axis=1)
        return g.op("Softmax", [raw], axis=1)

    def catboost(self, member: Member, fitted, rounded: str) -> str:
        """CatBoost's own ONNX export, its trees rebuilt as one double TreeEnsemble
        (`_legacy_trees`) fed the float32-rounded features CatBoost reads; the sigmoid /
        softmax in double."""
        import onnx

        g = self.g
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.onnx")
            try:
                fitted.model.save_model(path, format="onnx")
            except Exception as exc:
                reason = f"could not be exported by CatBoost: {exc}"
                raise NotExportable(member.name, reason) from exc
            sub = onnx.load(path)
        trees = [n for n in sub.graph.node if n.op_type.startswith("TreeEnsemble")]
        if len(trees) != 1:
            raise NotExportable(member.name, "was exported by CatBoost as an unexpected graph")
        attrs = {a.name: g.helper.get_attribute_value(a) for a in trees[0].attribute}
        transform = attrs.get("post_transform", b"NONE")
        transform = transform.decode() if isinstance(transform, bytes) else transform
        n_targets = len(attrs.get("classlabels_int64s", [])) or int(attrs.get("n_targets", 1))
        if fitted.n_classes and n_targets != fitted.n_classes:
            raise NotExportable(member.name, "was trained on fewer classes than the model has")
        ensemble, base = _legacy_trees(attrs, n_targets, g.numpy_helper)
        raw = g.op("TreeEnsemble", [rounded], domain="ai.onnx.ml", **ensemble)
        if any(base):
            raw = g.op("Add", [raw, g.const(np.asarray(base, dtype=np.float64))])
        if fitted.task == "regression":
            if transform != "NONE":
                raise NotExportable(member.name, f"has an unexpected output transform {transform}")
            return g.op("Reshape", [raw, g.const(np.array([-1], dtype=np.int64))])
        if transform == "LOGISTIC" and n_targets == 2:  # each class's score through a sigmoid
            return g.op("Sigmoid", [raw])
        if transform == "SOFTMAX":
            return g.op("Softmax", [raw], axis=1)
        raise NotExportable(member.name, f"has an unexpected output transform {transform}")

    # -- the whole model ------------------------------------------------------------------
    def build(self):
        g, helper, TP = self.g, self.g.helper, self.g.TensorProto
        model = self.model
        M = self.encode()
        out = None
        for member in _used_members(model):
            pred = None
            for component in member.components:
                p = self.component(member, component, M)
                pred = p if pred is None else g.op("Add", [pred, p])
            if len(member.components) > 1:
                pred = g.op("Div", [pred, g.const(np.array(float(len(member.components))))])
            weighted = g.op("Mul", [pred, g.const(np.array(float(member.weight)), "weight")])
            out = weighted if out is None else g.op("Add", [out, weighted])
        if model.task == "regression":
            g.nodes.append(helper.make_node("Identity", [out], ["value"]))
            outputs = [helper.make_tensor_value_info("value", TP.DOUBLE, ["n"])]
        else:
            classes = model.classes_
            g.nodes.append(helper.make_node("Identity", [out], ["probabilities"]))
            threshold = getattr(model, "threshold", None)
            if threshold is not None and len(classes) == 2:
                # A tuned decision threshold: class 1 when its probability is above it.
                second = g.op("Gather", [out, g.const(np.array(1, dtype=np.int64))], axis=1)
                above = g.op("Greater", [second, g.const(np.array(float(threshold)))])
                best = g.op("Cast", [above], to=TP.INT64)
            else:
                best = g.op("ArgMax", [out], axis=1, keepdims=0)
            if all(isinstance(k, int) for k in classes):
                table, label_type = np.asarray(classes, dtype=np.int64), TP.INT64
            elif all(isinstance(k, int | float) for k in classes):
                table, label_type = np.asarray(classes, dtype=np.float64), TP.DOUBLE
            else:
                table, label_type = np.asarray([str(k) for k in classes], dtype=object), TP.STRING
            g.nodes.append(helper.make_node("Gather", [g.const(table, "classes"), best],
                                            ["label"], axis=0))
            outputs = [
                helper.make_tensor_value_info("label", label_type, ["n"]),
                helper.make_tensor_value_info(
                    "probabilities", TP.DOUBLE, ["n", len(classes)]
                ),
            ]
        graph = helper.make_graph(g.nodes, "automl_model", self.inputs, outputs, g.initializers)
        onnx_model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET),
                           helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
            producer_name="automl-server",
            doc_string="AutoML model: see metadata_props automl.* for the inputs and outputs",
        )
        onnx_model.ir_version = 8
        helper.set_model_props(onnx_model, self.metadata())
        from onnx import checker

        checker.check_model(onnx_model)
        return onnx_model

    def metadata(self) -> dict[str, str]:
        model, enc = self.model, self.encoder
        return {
            "automl.inputs": json.dumps(input_names(model)),
            "automl.numeric_input": json.dumps(
                _numeric_input_name(self.model) if enc.n_numeric_ else None
            ),
            "automl.numeric_features": json.dumps(enc.numeric_names_),
            "automl.categorical_features": json.dumps(list(enc.kept_categorical_)),
            "automl.task": model.task,
            "automl.decision_threshold": json.dumps(getattr(model, "threshold", None)),
            "automl.classes": json.dumps(model.classes_),
            "automl.outputs": json.dumps(
                ["value"] if model.task == "regression" else ["label", "probabilities"]
            ),
            "automl.members": json.dumps(
                [{"name": m.name, "weight": m.weight} for m in _used_members(model)]
            ),
        }
