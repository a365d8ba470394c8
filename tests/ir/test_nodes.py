"""IR nodes: construction, immutability, identity, constants, attrs, builders."""

import dataclasses

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.ir import Attrs, TypeCall, TypeData, scalar_type


def test_nodes_are_frozen():
    x = lg.var("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        x.name_hint = "y"


def test_vars_compare_by_identity():
    a, b = lg.var("x"), lg.var("x")
    assert a == a and a != b
    assert len({a, b}) == 2


def test_global_vars_compare_by_name():
    assert lg.GlobalVar("f") == lg.GlobalVar("f")
    assert {lg.GlobalVar("f"): 1}[lg.GlobalVar("f")] == 1


def test_constant_copies_and_freezes_its_array():
    data = np.ones((2, 2), dtype="float32")
    c = lg.const(data)
    data[0, 0] = 5.0
    assert c.data[0, 0] == 1.0
    with pytest.raises(ValueError):
        c.data[0, 0] = 3.0


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (1.5, "float32"),
        (2, "int32"),
        (True, "bool"),
        ([1, 2], "int32"),
        ([1.0], "float32"),
        (np.float64(1.0), "float64"),
        (np.arange(3, dtype="int64"), "int64"),
    ],
)
def test_constant_dtype_defaults(value, dtype):
    assert lg.const(value).data.dtype == dtype


def test_const_with_dtype():
    assert lg.const(1, dtype="float64").data.dtype == "float64"


def test_var_builder_types():
    assert lg.var("x", shape=(2, 3)).type_annotation == lg.TensorType((2, 3), "float32")
    assert lg.var("n", "int64").type_annotation == scalar_type("int64")
    assert lg.var("u").type_annotation is None
    with pytest.raises(lg.Error):
        lg.var("x", "float32", shape=(2,))


def test_tensor_type_normalises_dims():
    assert lg.TensorType([np.int64(2), -1, "?"], "float32").shape == (2, None, None)
    with pytest.raises(lg.Error, match="unknown dtype"):
        lg.TensorType((2,), "float128")


def test_types_compare_structurally_except_variables():
    assert lg.TupleType([scalar_type()]) == lg.TupleType((scalar_type(),))
    assert lg.TypeVar("A") != lg.TypeVar("A")
    header = lg.GlobalTypeVar("List")
    assert TypeCall(header, [scalar_type()]) == TypeCall(lg.GlobalTypeVar("List"), (scalar_type(),))


def test_python_operators_build_op_calls():
    x, y = lg.var("x"), lg.var("y")
    cases = {"add": x + y, "subtract": x - y, "multiply": x * y, "divide": x / y}
    for name, expr in cases.items():
        assert expr.op is lg.Op.get(name) and expr.args == (x, y)
    assert (-x).op is lg.Op.get("negative")
    reflected = 2.0 * x
    assert reflected.args[1] is x and float(reflected.args[0].data) == 2.0


def test_calling_an_expression_builds_a_call():
    f, x = lg.var("f"), lg.var("x")
    call = f(x, 1.0)
    assert isinstance(call, lg.Call) and call.op is f and call.args[0] is x


def test_op_registry_lookup():
    assert lg.Op.get("add") is lg.Op.get("add")
    with pytest.raises(lg.Error, match="unknown operator 'no_such_op'"):
        lg.Op.get("no_such_op")


def test_attrs_are_immutable_hashable_mappings():
    a = Attrs({"axis": [1, 2], "keepdims": True})
    assert a.axis == (1, 2) and a["keepdims"] is True
    assert a == Attrs({"keepdims": True, "axis": (1, 2)})
    assert hash(a) == hash(Attrs({"keepdims": True, "axis": (1, 2)}))
    with pytest.raises(AttributeError):
        a.axis = 3
    assert a.with_values(axis=(0,)).axis == (0,) and a.axis == (1, 2)


def test_module_lookup_and_errors():
    x = lg.var("x", "float32")
    mod = lg.IRModule.from_expr(lg.Function([x], x))
    gvar = mod.get_global_var("main")
    assert mod["main"] is mod[gvar] and "main" in mod
    with pytest.raises(lg.Error, match="no global function @nope"):
        mod["nope"]
    with pytest.raises(lg.Error, match="no constructor Cons"):
        mod.get_constructor("Cons")


def test_module_from_expr_wraps_free_vars_into_main():
    x, y = lg.var("x"), lg.var("y")
    mod = lg.IRModule.from_expr(x + y)
    assert mod["main"].params == (x, y)


def test_module_constructors_and_types():
    a = lg.TypeVar("A")
    header = lg.GlobalTypeVar("Box")
    box = lg.Constructor("Box", [a], header)
    mod = lg.IRModule(type_definitions={header: TypeData(header, [a], [box])})
    assert mod.get_constructor("Box") is box
    assert mod.get_global_type_var("Box") == header
    copy = mod.copy()
    copy["f"] = lg.Function([], lg.Tuple([]))
    assert "f" not in mod
