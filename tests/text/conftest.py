"""Test-only operators with attributes of every kind (names start with ``test.``)."""

import pytest

from lambdagrad.ops.registry import AttrSpec, register_op


def _first_type(arg_types, attrs):
    return arg_types[0]


def _first(x, **attrs):
    return x


@pytest.fixture(autouse=True)
def attr_ops():
    """``test.reduce(x, axis=None, keepdims=False)`` and ``test.opts(x, ...)``, registered for
    each test (the root conftest removes them after it, so other tests see the library only)."""
    register_op(
        "test.reduce",
        1,
        _first_type,
        attrs={"axis": AttrSpec("axis", None), "keepdims": AttrSpec("bool", False)},
        impl=_first,
    )
    register_op(
        "test.opts",
        1,
        _first_type,
        impl=_first,
        attrs={
            "n": AttrSpec("int"),
            "scale": AttrSpec("float", 1.0),
            "mode": AttrSpec("str", "fast"),
            "dtype": AttrSpec("dtype", "float32"),
            "shape": AttrSpec("shape", ()),
            "pads": AttrSpec("pairs", ()),
        },
    )
