"""The namespace generated code runs in: helpers, constants, constructors and bound ops.

Generated source refers to every value by a name from here, never by its text: constants
(``_c1``, and ``_k1`` for a 0-d constant as a numpy scalar), the ops whose attributes are
bound once (``_sum1``), constructors, and `canonical`, which `match` compares constructors
through.
"""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..ir.expr import Call, Constructor, GlobalVar
from ..ir.types import TensorType
from .codegen import Atom
from .interpreter import ConstructorFunction, no_match
from .naming import Namer
from .opcalls import OpForm, float_divide, float_sqrt, op_form
from .values import ConstructorValue, RefValue


class Namespace:
    """The values generated code refers to by name, shared by every unit of a program."""

    HELPERS = {
        "np": np,
        "ConstructorValue": ConstructorValue,
        "RefValue": RefValue,
        "EvaluationError": EvaluationError,
        "no_match": no_match,
        "float": float,
        "float_sqrt": float_sqrt,
        "float_divide": float_divide,
    }

    def __init__(self):
        self.values: dict[str, object] = dict(self.HELPERS)
        self.canonical = CanonicalConstructors()
        self.values["canonical"] = self.canonical
        self.namer = Namer(reserved=self.values)
        self.globals: dict[GlobalVar, str] = {}
        # the globals sharing a tail-call loop, worked out for the module when first needed
        self.tail_groups: dict[GlobalVar, tuple[GlobalVar, ...]] | None = None
        self._constants: dict[object, tuple[np.ndarray, Atom]] = {}
        self._objects: dict[int, tuple[object, str]] = {}
        self._ops: dict[tuple, tuple[OpForm, str | None]] = {}
        self._functions: dict[Constructor, str] = {}

    def add(self, hint: str, value, private: bool = True) -> str:
        """A new name for `value`."""
        name = self.namer.fresh(hint, private=private)
        self.values[name] = value
        return name

    def name_of(self, value, hint: str, private: bool = True) -> str:
        """The name of `value` (an object used as it is), given on first use."""
        found = self._objects.get(id(value))
        if found is None:
            found = self._objects[id(value)] = (value, self.add(hint, value, private))
        return found[1]

    def constant(self, data: np.ndarray) -> Atom:
        """The atom of a constant array (and of its numpy scalar, if it is 0-d, and its Python
        float, if it is a float64 scalar).

        Small constants equal in dtype, shape and contents share one name.
        """
        key = (data.dtype.str, data.shape, data.tobytes()) if data.size <= 16 else id(data)
        found = self._constants.get(key)
        if found is None:
            scalar = self.add("k", data[()]) if data.ndim == 0 else None
            number = self.add("f", float(data)) if _is_float64_scalar(data) else None
            atom = Atom(self.add("c", data), scalar_form=scalar, float_form=number)
            found = self._constants[key] = (data, atom)
        return found[1]

    def constructor(self, ctor: Constructor) -> str:
        """The name under which generated code builds values of `ctor`."""
        return self.name_of(ctor, ctor.name_hint, private=False)

    def constructor_function(self, ctor: Constructor) -> str:
        """The name of `ctor` used as a function value."""
        found = self._functions.get(ctor)
        if found is None:
            found = self._functions[ctor] = self.add(ctor.name_hint, ConstructorFunction(ctor))
        return found

    def pattern_constructor(self, ctor: Constructor) -> str:
        """The name a `match` compares ``canonical[value.constructor]`` with."""
        return self.constructor(self.canonical[ctor])

    def op(self, call: Call) -> tuple[OpForm, str | None]:
        """How to write `call`, and the name of the callable it needs, if any."""
        key = _op_key(call)
        found = self._ops.get(key) if key is not None else None
        if found is None:
            form = op_form(call)
            name = None if form.bound is None else self.add(call.op.name, form.bound)
            found = (form, name)
            if key is not None and not form.per_site:
                self._ops[key] = found
        return found


class CanonicalConstructors(dict):
    """Maps every constructor object to one standing for all with its name and ADT.

    The interpreter matches constructors by name and ADT, not by identity: a program may be
    rebuilt (``check_grad`` promotes its ADTs to float64) while values keep the constructors
    they were made with. Generated code compares ``canonical[value.constructor]`` by identity.
    """

    def __init__(self):
        super().__init__()
        self._by_key: dict[tuple, Constructor] = {}

    def __missing__(self, ctor: Constructor) -> Constructor:
        found = self[ctor] = self._by_key.setdefault((ctor.name_hint, ctor.belong_to), ctor)
        return found


def _is_float64_scalar(data: np.ndarray) -> bool:
    return data.shape == () and data.dtype == np.float64


def _op_key(call: Call) -> tuple | None:
    """What the form of an op call depends on: op, attributes, argument dtypes and ranks,
    result dtype and rank."""
    result = call.checked_type
    key = (
        call.op,
        call.attrs or None,  # most ops have none; Attrs hash and compare slowly
        tuple((getattr(a.checked_type, "dtype", None), _rank(a.checked_type)) for a in call.args),
        (getattr(result, "dtype", None), _rank(result)),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _rank(ty) -> int | None:
    return ty.ndim if isinstance(ty, TensorType) else None
