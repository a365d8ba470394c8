"""The Python generated for an optimized gradient grows linearly with the program.

Before, each backpropagator closure written to an escaped ref repeated the bodies of all
earlier ones, and each recursive global was peeled once into its callers: the treelstm
gradient was over 4,500 lines for a 63-line forward program.
"""

from pathlib import Path

import lambdagrad as lg

WORKLOADS = Path(__file__).parents[2] / "bench" / "workloads"
# Issue 14's bound: with the forward/backward split of recursive globals (ad/split.py) the
# gradient has no ref or closure per op left (it was 8.6x with them).
MAX_RATIO = 4
ADD = "add(ref_read(%acc), %x)"


def lines(text: str) -> int:
    return len(text.splitlines())


def test_treelstm_gradient_is_within_a_constant_factor_of_its_forward_program():
    mod = lg.parse((WORKLOADS / "treelstm.rly").read_text(), prelude=True)
    main = mod.get_global_var("main")
    forward = lines(lg.to_python(main, mod))
    grad = lg.transform.gradient(main, mod=mod, wrt=(1, 2, 3, 4, 5))
    func, optimized = lg.transform.optimize_program(grad, mod)
    assert lines(lg.to_python(func, optimized)) <= MAX_RATIO * forward
    assert "RefValue(" not in lg.to_python(func, optimized)  # no gradient refs either


def test_backpropagators_written_to_an_escaped_ref_are_not_copied_into_each_other():
    # AD's pattern: each step writes the ref a closure calling the one read before it; the
    # ref escapes to a call, so every closure is emitted
    steps = 30
    body = "".join(
        f"let %p{i} = ref_read(%k);\n"
        f"let %f{i} = fn () -> () {{ let %u{i} = ref_write(%acc, {ADD}); %p{i}() }};\n"
        f"let %w{i} = ref_write(%k, %f{i});\n"
        for i in range(steps)
    )
    text = f"""
    def @observe(%r: ref(fn () -> ()), %n: int32) -> () {{
      if (less(%n, 1)) {{ () }} else {{ @observe(%r, subtract(%n, 1)) }}
    }}
    def @main(%x: float32, %n: int32) -> float32 {{
      let %acc = ref(0f);
      let %k = ref(fn () -> () {{ () }});
      let %seen = @observe(%k, %n);
      {body}
      let %run = ref_read(%k)();
      ref_read(%acc)
    }}
    """
    mod = lg.parse(text)
    optimized = lg.transform.optimize(mod)
    assert lg.create_executor("compiled", optimized).evaluate()(2.0, 3) == 2.0 * steps
    assert lines(lg.to_python(optimized)) <= 12 * steps
