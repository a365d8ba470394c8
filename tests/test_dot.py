"""Programs as pictures: lg.analysis.to_dot, its rendering, and `lambdagrad dot`."""

import re
import shutil
import sys

import pytest

import lambdagrad as lg
from lambdagrad.cli import main

HAS_DOT = shutil.which("dot") is not None
needs_graphviz = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")

PROGRAM = """
def @pick(%c: bool, %x: Tensor[(3), float32]) -> Tensor[(3), float32] {
  if (%c) { tanh(%x) } else { negative(%x) }
}

def @main(%x: Tensor[(3), float32], %xs: List[Tensor[(3), float32]]) -> float32 {
  let %r = ref(%x);
  let %step = fn (%h: Tensor[(3), float32], %v: Tensor[(3), float32]) { add(%h, %v) };
  let %_ = ref_write(%r, @foldl(%step, ref_read(%r), %xs));
  match (%xs) {
    Cons(%head, _) => sum(multiply(%head, ref_read(%r))),
    Nil => sum(@pick(True, %x)),
  }
}
"""


def labels(dot: str) -> list[str]:
    return re.findall(r'label="([^"]*)"', dot)


@pytest.fixture(scope="module")
def mod():
    return lg.parse(PROGRAM, prelude=True)


def test_globals_and_closures_are_clusters(mod):
    dot = lg.analysis.to_dot(lg.IRModule({g: mod[g] for g in ("main", "pick")}))
    assert dot.startswith("digraph program {") and dot.rstrip().endswith("}")
    assert dot.count("subgraph cluster_") == 3  # @main, @pick and the closure %step
    assert {"@main", "@pick", "fn"} <= set(labels(dot))


def test_lets_name_the_node_of_their_value_and_uses_point_to_it(mod):
    dot = lg.analysis.to_dot(mod["main"])
    step = re.search(r'(n\d+) \[label="%step = fn"', dot)
    assert step, dot
    call = re.search(r'(n\d+) \[label="@foldl"', dot).group(1)
    assert f"{step.group(1)} -> {call};" in dot


def test_control_flow_is_drawn_with_branch_labels(mod):
    pick = lg.analysis.to_dot(mod["pick"])
    assert 'label="if", shape="diamond"' in pick
    assert {"cond", "then", "else"} <= set(labels(pick))
    main_dot = lg.analysis.to_dot(mod["main"])
    assert 'label="match", shape="diamond"' in main_dot
    assert {"Cons(%head, _)", "Nil", "%head"} <= set(labels(main_dot))


def test_refs_are_marked(mod):
    dot = lg.analysis.to_dot(mod["main"])
    ref_nodes = [line for line in dot.splitlines() if 'color="darkorange"' in line]
    assert len(ref_nodes) == 4  # ref, ref_write and two ref_reads
    assert all('shape="cylinder"' in line for line in ref_nodes)


def test_shared_subexpressions_appear_once():
    x = lg.var("x", shape=(2,))
    shared = lg.op.tanh(x)
    dot = lg.analysis.to_dot(lg.Function([x], shared * shared))
    assert labels(dot).count("tanh") == 1


def test_a_long_let_chain_does_not_recurse():
    x = lg.var("x", shape=(2,))
    names = [lg.var(f"v{i}", shape=(2,)) for i in range(5000)]
    body = names[-1]
    for i in reversed(range(5000)):
        body = lg.Let(names[i], lg.op.tanh(names[i - 1] if i else x), body)
    assert lg.analysis.to_dot(lg.Function([x], body)).count("tanh") == 5000


def test_to_dot_rejects_what_is_not_a_program():
    with pytest.raises(lg.Error, match="expression or a module"):
        lg.analysis.to_dot("def @main() { 1 }")


@needs_graphviz
def test_render_makes_svg(mod):
    svg = lg.analysis.render(lg.analysis.to_dot(mod["main"]))
    assert b"<svg" in svg and b"ref_write" in svg


def test_render_names_the_missing_dot_program(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot on PATH
    with pytest.raises(lg.Error, match="Graphviz's dot program.*apt-get install graphviz"):
        lg.analysis.render("digraph { a -> b }")


def test_render_names_the_missing_python_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError
    with pytest.raises(lg.Error, match="pip install graphviz"):
        lg.analysis.render("digraph { a -> b }")


@needs_graphviz
def test_render_rejects_an_unknown_format():
    with pytest.raises(lg.Error, match="cannot render 'nope'"):
        lg.analysis.render("digraph { a -> b }", "nope")


@pytest.fixture
def rly(tmp_path):
    path = tmp_path / "prog.rly"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    status = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_prints_dot_text_of_the_file_s_own_globals(capsys, rly):
    status, out, _ = run_cli(capsys, "dot", rly)
    assert status == 0 and out.count("subgraph cluster_") == 3  # not the prelude's globals
    assert '    label="@main"; ' in out and '    label="@pick"; ' in out


def test_cli_draws_one_global(capsys, rly):
    status, out, _ = run_cli(capsys, "dot", rly, "--global", "pick")
    assert status == 0 and "@pick" in labels(out) and "@main" not in labels(out)


def test_cli_draws_the_raw_and_the_optimized_gradient(capsys, rly):
    _, raw, _ = run_cli(capsys, "dot", rly, "--global", "pick", "--gradient", "--no-optimize")
    _, optimized, _ = run_cli(capsys, "dot", rly, "--global", "pick", "--gradient")
    assert "@pick_gradient" in labels(raw) and "ref_write" in raw
    assert "@pick_gradient" in labels(optimized) and "ref_write" not in optimized


def test_cli_writes_dot_text_by_suffix(capsys, rly, tmp_path):
    out = tmp_path / "prog.dot"
    status, printed, _ = run_cli(capsys, "dot", rly, "-o", out)
    assert status == 0 and printed.strip() == f"wrote {out}"
    assert out.read_text(encoding="utf-8").startswith("digraph program {")


@needs_graphviz
def test_cli_writes_svg(capsys, rly, tmp_path):
    out = tmp_path / "grad.svg"
    status, _, _ = run_cli(capsys, "dot", rly, "--gradient", "-o", out)
    assert status == 0 and out.read_bytes().lstrip().startswith(b"<?xml")


def test_cli_reports_an_unknown_global(capsys, rly):
    status, _, err = run_cli(capsys, "dot", rly, "--global", "nope")
    assert status == 1 and "no global function @nope" in err
