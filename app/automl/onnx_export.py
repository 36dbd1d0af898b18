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

What is exact: the encoding and the linear members are computed in double, as the server
does. Tree members run in ONNX's float trees (LightGBM through onnxmltools, CatBoost through
its own exporter), their raw scores summed in float32: probabilities agree with the server
to about 1e-7, values to float32's relative precision (about 1e-7 of the raw score). CatBoost
itself reads features as float32, so its splits are the same; a LightGBM split compares in
float32 where LightGBM compares in double, which can only differ for a value within float32
rounding of a threshold.

Refused (`NotExportable`, naming the member and why): stacked members (they need the first
level's predictions as features, which this graph does not build), CatBoost members trained
with categorical features (CatBoost's ONNX export has no categorical features), members
whose converter fails, and models wider than MAX_NUMERIC_COLUMNS numeric columns.

The onnx and onnxmltools packages are imported only here, lazily: without them `to_onnx`
raises `OnnxUnavailable`, whose message says to install the `onnx` extra.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from .model import FittedModel, Member

OPSET = 15
ML_OPSET = 3
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


def to_onnx(model: FittedModel) -> bytes:
    """The serialized ONNX model (see the module docstring for its inputs and outputs)."""
    check_exportable(model)
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise OnnxUnavailable("onnx") from exc
    return _Exporter(model).build().SerializeToString()


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

    def inline(self, sub, input_name: str, prefix: str) -> list[str]:
        """Copy the graph of ModelProto `sub` in, its (single) input fed `input_name`; its
        output names, prefixed."""
        from onnx import compose

        sub = compose.add_prefix(sub, prefix)
        graph = sub.graph
        self.nodes.append(self.helper.make_node("Identity", [input_name], [graph.input[0].name]))
        self.nodes.extend(graph.node)
        self.initializers.extend(graph.initializer)
        return [output.name for output in graph.output]


class _Exporter:
    def __init__(self, model: FittedModel):
        self.model = model
        self.encoder = model.encoder
        self.g = _Graph()
        self.inputs: list = []
        self.input_names: list[str] = []

    # -- encoding -------------------------------------------------------------------------
    def _numeric_input_name(self) -> str:
        names = set(self.encoder.kept_categorical_)
        return "features" if "features" not in names else "numeric_features"

    def encode(self) -> str:
        """The encoded matrix (double [n, width]) as FeatureEncoder.transform makes it."""
        g, enc, helper, TP = self.g, self.encoder, self.g.helper, self.g.TensorProto
        parts = []
        if enc.n_numeric_ > 0:
            name = self._numeric_input_name()
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
        axes = g.const(np.array([1], dtype=np.int64), "axes")
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
            parts.append(g.op("Unsqueeze", [g.to_double(codes), axes]))
        if len(parts) == 1:
            return parts[0]
        return g.op("Concat", parts, axis=1)

    # -- members --------------------------------------------------------------------------
    def component(self, member: Member, component, M: str, M32: str, index: str) -> str:
        family = component.family
        if family == "linear":
            return self.linear(component, M)
        if family == "lgbm":
            return self.lgbm(member, component, M32, index)
        return self.catboost(member, component, M32, index)

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

    def lgbm(self, member: Member, fitted, M32: str, index: str) -> str:
        """Raw scores from onnxmltools' tree ensemble (rebuilt as a regressor without its
        post-transform), then LightGBM's averaging and sigmoid / softmax in double."""
        import lightgbm as lgb

        try:
            from onnxmltools import convert_lightgbm
            from onnxmltools.convert.common.data_types import FloatTensorType
        except ImportError as exc:
            raise OnnxUnavailable("onnxmltools") from exc
        g = self.g
        booster = lgb.Booster(
            model_str=fitted.booster.model_to_string(num_iteration=fitted.num_iteration)
        )
        width = booster.num_feature()
        try:
            sub = convert_lightgbm(
                booster,
                initial_types=[("input", FloatTensorType([None, width]))],
                zipmap=False,
                target_opset=OPSET,
            )
        except Exception as exc:  # the converter's own words say what it could not do
            reason = f"could not be converted by onnxmltools: {exc}"
            raise NotExportable(member.name, reason) from exc
        trees = [n for n in sub.graph.node if n.op_type.startswith("TreeEnsemble")]
        if len(trees) != 1:
            raise NotExportable(member.name, "converted to an unexpected ONNX graph")
        attrs = {a.name: g.helper.get_attribute_value(a) for a in trees[0].attribute}
        n_targets = fitted.n_classes if fitted.n_classes > 2 else 1
        if trees[0].op_type == "TreeEnsembleClassifier":
            leaf = {
                "target_ids": attrs["class_ids"],
                "target_nodeids": attrs["class_nodeids"],
                "target_treeids": attrs["class_treeids"],
                "target_weights": attrs["class_weights"],
            }
        else:
            leaf = {k: attrs[k] for k in ("target_ids", "target_nodeids", "target_treeids",
                                          "target_weights")}
        if attrs.get("base_values") and any(v != 0 for v in attrs["base_values"]):
            raise NotExportable(member.name, "converted with base values, which is unexpected")
        nodes = {k: v for k, v in attrs.items() if k.startswith("nodes_")}
        raw = g.op(
            "TreeEnsembleRegressor",
            [M32],
            domain="ai.onnx.ml",
            n_targets=n_targets,
            aggregate_function="SUM",
            post_transform="NONE",
            **nodes,
            **leaf,
        )
        raw = g.to_double(raw)
        if fitted.averaged:  # random-forest mode: the mean of the trees
            raw = g.op("Div", [raw, g.const(np.array(float(fitted.num_iteration)))])
        if fitted.task == "regression":
            return g.op("Reshape", [raw, g.const(np.array([-1], dtype=np.int64))])
        if fitted.n_classes == 2:
            p = g.op("Sigmoid", [raw])
            one = g.const(np.array(1.0))
            return g.op("Concat", [g.op("Sub", [one, p]), p], axis=1)
        return g.op("Softmax", [raw], axis=1)

    def catboost(self, member: Member, fitted, M32: str, index: str) -> str:
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
        graph = sub.graph
        # Drop the ZipMap (a list of dicts): keep the probability tensor.
        zipmaps = [n for n in graph.node if n.op_type == "ZipMap"]
        if zipmaps:
            tensor = zipmaps[0].input[0]
            kept = [n for n in graph.node if n.op_type != "ZipMap"]
            del graph.node[:]
            graph.node.extend(kept)
            del graph.output[:]
            graph.output.extend(
                [g.helper.make_tensor_value_info(tensor, g.TensorProto.FLOAT, None)]
            )
            if fitted.n_classes and len(fitted.model.classes_) != fitted.n_classes:
                raise NotExportable(member.name, "was trained on fewer classes than the model has")
        outputs = g.inline(sub, M32, f"{index}_")
        out = g.to_double(outputs[-1])
        if fitted.task == "regression":
            return g.op("Reshape", [out, g.const(np.array([-1], dtype=np.int64))])
        return out

    # -- the whole model ------------------------------------------------------------------
    def build(self):
        g, helper, TP = self.g, self.g.helper, self.g.TensorProto
        model = self.model
        M = self.encode()
        M32 = g.to_float(M)
        out = None
        for m, member in enumerate(_used_members(model)):
            pred = None
            for c, component in enumerate(member.components):
                p = self.component(member, component, M, M32, f"m{m}c{c}")
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
            "automl.inputs": json.dumps(self.input_names),
            "automl.numeric_input": json.dumps(
                self._numeric_input_name() if enc.n_numeric_ else None
            ),
            "automl.numeric_features": json.dumps(enc.numeric_names_),
            "automl.categorical_features": json.dumps(list(enc.kept_categorical_)),
            "automl.task": model.task,
            "automl.classes": json.dumps(model.classes_),
            "automl.outputs": json.dumps(
                ["value"] if model.task == "regression" else ["label", "probabilities"]
            ),
            "automl.members": json.dumps(
                [{"name": m.name, "weight": m.weight} for m in _used_members(model)]
            ),
        }
