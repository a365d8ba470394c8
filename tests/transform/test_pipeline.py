"""optimize's levels: 0 is the identity, 1 the local passes (no partial evaluation), 2 all."""

import pytest

import lambdagrad as lg

REFS = {"RefCreate", "RefRead", "RefWrite"}


SQUARE = "fn (%x: Tensor[(3), float32]) { multiply(%x, %x) }"


def square_gradient() -> lg.Function:
    return lg.transform.gradient(lg.parse_expr(SQUARE))


def test_level_0_returns_the_input_itself():
    grad = square_gradient()
    assert lg.transform.optimize(grad, level=0) is grad


def test_level_1_keeps_the_refs_that_only_partial_evaluation_removes():
    grad = square_gradient()
    assert lg.analysis.features(lg.transform.optimize(grad, level=1)) >= REFS
    assert not REFS & lg.analysis.features(lg.transform.optimize(grad, level=2))


@pytest.mark.parametrize("level", [-1, 3, "2"])
def test_an_unknown_level_is_an_lg_error(level):
    with pytest.raises(lg.Error, match="optimize: level must be 0, 1 or 2"):
        lg.transform.optimize(square_gradient(), level=level)
