"""Vanishing gradients: how far back ∂L/∂h_t reaches in an RNN, an LSTM and a GRU, and why.

Library calls: ui.shipped (cached, shared), RecallTask.check_text, seqviz.ui.recurrent (gradient_curves,
memory_paths, scaled_rnn: RecurrentNet.grad_norms_through_time / spectral_radius, G.initial_model,
G.scale_recurrent, G.rnn_jacobians, cached by text and plain values; next_example), seqviz.gradients
(reach, chain_rule_norms, spectral_norm, backward_products), plotting.gradients (gradient_curves_figure,
scaled_rnn_figure, jacobian_products_figure, jacobian_heatmap, listed, kept), plotting.tex_number.
"""

import random

import streamlit as st

from seqviz import gradients as G
from seqviz import ui
from seqviz.plotting import gradients as plots
from seqviz.plotting import tex_number as sci
from seqviz.plotting.gradients import kept, listed
from seqviz.ui import recurrent as rui
from seqviz.ui.classroom import explain, predict_then_reveal

ZEROS = "Gaps: those gradients are exactly 0, smaller than a 32-bit float can hold (about 10⁻³⁸)."
SCALES = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0]

st.title("Vanishing gradients: how far back can the error reach?")
ckpts = {cell: ui.shipped(f"recall-{cell}") for cell in G.ARCHS}
if any(c is None for c in ckpts.values()):
    st.stop()
task, vocab = ckpts["rnn"].task, ckpts["rnn"].vocab
explain(
    f"Each text starts with a symbol a-h, then {task.lag} digits follow; after the last character the model "
    "must name the first symbol. The loss $L$ is computed only there, at step $T$. Training can change how "
    "the model reads $x_1$ only through $\\partial L / \\partial h_1$, and the chain rule carries the "
    "gradient back one step at a time:")
st.latex(r"\frac{\partial L}{\partial h_{t}} = \left(\frac{\partial h_{t+1}}{\partial h_{t}}\right)^{\!\top}"
         r"\frac{\partial L}{\partial h_{t+1}}, \qquad t = T-1, \dots, 1")
explain("If every factor shrinks the vector, almost nothing reaches the first symbol: the gradient "
            "*vanishes*, and the weights get no signal about what to remember. If every factor stretches it, "
            "it *explodes*.")


left, right = st.columns([4, 1], vertical_alignment="bottom")
text = left.text_input(f"Text: one symbol a-h, then digits (the models were trained with {task.lag})",
                       task.sample(random.Random(0)), key="grad_text", bind="query-params")
right.button("Another example", on_click=rui.next_example, args=(task, "grad_text"), icon=":material/shuffle:")
check = task.check_text(text, vocab)
if check.error:
    st.error(check.error)
    st.stop()
if check.note:
    st.warning(check.note)
tokens, T = check.tokens, len(check.tokens)

# -- 1. three architectures, two stages -------------------------------------------------------------
st.header("1. The gradient at every step")
curves = rui.gradient_curves(text)
relative = st.toggle("Divide by the gradient at the last step", key="grad_relative", bind="query-params")
reach = {s: {name: G.reach(n) for name, n in by.items()} for s, by in curves.items()}
init, trained = reach[G.STAGES["init"]], reach[G.STAGES["trained"]]
best_init = max(init, key=lambda name: init[name].ratio)
predict_then_reveal(
    "gradients_q_reach", "At initialisation, before any training, which model's gradient reaches the first symbol "
                         "with the largest share of the gradient at the end?", list(init), best_init,
    lambda: st.markdown("$\\|\\partial L/\\partial h_1\\| / \\|\\partial L/\\partial h_T\\|$ at initialisation: "
                        + listed(init, "ratio") + ". Read it off the curves below, at the left end."))
fig, table = plots.gradient_curves_figure(tokens, curves, relative)
ui.plot(fig, "gradient-norms", table, key="curves",
        caption=f"The gradient norm ‖∂L/∂h_t‖ at every step for the RNN, the LSTM and the GRU, at initialisation and "
                f"trained: each point is the length of the vector for the first layer's state after reading the "
                f"character under it, on a log scale (10⁻⁶ is a millionth of 1). The loss is the cross-entropy for "
                f"the right answer, '{text[0]}'.")
accuracy = {G.ARCHS[c]: ck.meta["metrics"]["accuracy"] for c, ck in ckpts.items()}


rnn0, rnn1 = init[G.ARCHS["rnn"]], trained[G.ARCHS["rnn"]]
st.markdown(
    f"**Read the curves from right to left.** The share of the end's gradient that reaches the first symbol, "
    f"$\\|\\partial L/\\partial h_1\\| / \\|\\partial L/\\partial h_{{{T}}}\\|$, is at initialisation "
    f"{listed(init, 'ratio')}; trained {listed(trained, 'ratio')}. The median factor for one step back, "
    f"$\\|\\partial L/\\partial h_t\\| / \\|\\partial L/\\partial h_{{t+1}}\\|$, is at initialisation "
    f"{listed(init, 'typical')}; trained {listed(trained, 'typical')}. A curve can fall steeply over the last few "
    "steps and then run flat, losing nothing more: the median step shows that, the ratio hides it. Held-out "
    "accuracy: " + ", ".join(f"{name} {acc:.0%}" for name, acc in accuracy.items()) + " (chance 12.5%)."
    + (" The RNN, whose gradient barely reaches the first symbol, stayed near chance."
       if accuracy[G.ARCHS["rnn"]] < 0.3 and max(rnn0.ratio, rnn1.ratio) < 1e-4 else ""))
st.caption("A confident right answer has a small loss and a small gradient, so trained curves can sit lower "
           "overall; the toggle above divides that out and compares shapes only.")
if any(x.zeros for r in reach.values() for x in r.values()):
    st.caption(ZEROS)

st.subheader("Why the LSTM and the GRU keep the gradient")
paths0, paths = rui.memory_paths(text).values()
st.markdown("Both have a path along which the state is copied, scaled only by a gate:")
st.latex(r"\text{LSTM:}\quad c_t = f_t \odot c_{t-1} + i_t \odot g_t \;\Rightarrow\; "
         r"\left.\frac{\partial c_t}{\partial c_{t-1}}\right|_{\text{direct}} = \operatorname{diag}(f_t)")
st.latex(r"\text{GRU:}\quad h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1} \;\Rightarrow\; "
         r"\left.\frac{\partial h_t}{\partial h_{t-1}}\right|_{\text{direct}} = \operatorname{diag}(z_t)")
st.markdown(
    "A diagonal Jacobian multiplies each unit by its own gate value, with no matrix to mix and shrink the "
    "vector. The recipes set the LSTM's forget-gate bias and the GRU's update-gate bias to 3, and "
    f"σ(3) ≈ 0.95. On your text, over the {T - 1} steps from $t = 1$ to $T$: at initialisation, LSTM "
    f"{kept(paths0['lstm'])}; GRU {kept(paths0['gru'])}. Trained: LSTM {kept(paths['lstm'])}; GRU "
    f"{kept(paths['gru'])}. A few units with gates near 1 are enough to carry the symbol. The vanilla RNN "
    "has no such path: every step multiplies by a full matrix, as the next two sections show.")

# -- 2. the vanilla RNN's W_hh, scaled --------------------------------------------------------------
st.header("2. Scale the vanilla RNN's recurrent weights")
explain("Multiply $W_{hh}$ by a factor $s$ (on a copy of the model) and watch the gradient. "
            "The spectral radius $\\rho(W_{hh})$, the largest $|\\lambda|$ of its eigenvalues, says how "
            "much repeated multiplication by $W_{hh}$ stretches a vector in the long run.")
ui.drop_unusable_link_values("grad_base")
c1, c2 = st.columns([1, 2])
base = c1.segmented_control("Scale the RNN", list(G.STAGES), format_func=G.STAGES.get, default="init",
                            key="grad_base", bind="query-params", required=True)
factor = c2.select_slider("Factor s that multiplies W_hh", SCALES, 1.0, key="grad_scale", bind="query-params",
                          format_func=lambda s: f"{s:g}")  # also the URL's value: ?grad_scale=2
doubled = G.reach(G.chain_rule_norms(rui.scaled_rnn(text, base, 2.0)[3]))
doubled_verdict = "it vanishes" if doubled.per_step < 0.9 else "it explodes" if doubled.per_step > 1.1 else "it is roughly kept"
predict_then_reveal(
    "gradients_q_double", f"Double $W_{{hh}}$ of the vanilla RNN ({G.STAGES[base]}), s = 2. What happens to the gradient on "
                          "its way back?", ["it vanishes", "it is roughly kept", "it explodes"], doubled_verdict,
    lambda: st.markdown(f"At s = 2 each step back multiplies the gradient by **{doubled.per_step:.3f}** on average, and "
                        f"$\\|\\partial L/\\partial h_1\\| / \\|\\partial L/\\partial h_T\\| = {doubled.ratio:.2e}$. "
                        "Set the factor to 2 below to see the whole curve; tanh's slope $1 - h_t^2 \\le 1$ holds it back."))
norms, rho, rho1, jac = rui.scaled_rnn(text, base, float(factor))
r = G.reach(G.chain_rule_norms(jac))  # float64: still a number where float32 autograd underflows to 0
m1, m2, m3 = st.columns(3)
m1.metric("Spectral radius ρ(s·W_hh)", f"{rho:.2f}", f"= {factor:g} × {rho1:.2f}", delta_color="off",
           delta_arrow="off")
m2.metric("‖∂L/∂h_1‖ / ‖∂L/∂h_T‖", f"{r.ratio:.2e}")
m3.metric("Average factor per step back", f"{r.per_step:.3f}",  # short: a longer label is cut off on a laptop
          help="The geometric mean of the factors by which each step back scales the gradient.")
fig, table = plots.scaled_rnn_figure(tokens, norms, curves[G.STAGES[base]]["Vanilla RNN"], factor, rho, rho1)
ui.plot(fig, "gradient-scaled-rnn", table, key="scaled",
        caption=f"The vanilla RNN's gradient norm at every step with $W_{{hh}}$ multiplied by {factor:g} "
                f"(ρ = {rho:.2f}), against the unscaled model, on a log scale.")
if (norms == 0).any():
    st.caption("Gaps: exactly 0 in 32-bit floats. The numbers above come from the chain rule in 64-bit floats "
               "(section 3), which still holds them.")
verdict = "vanishes" if r.per_step < 0.9 else "explodes" if r.per_step > 1.1 else "is roughly kept"
why = ("Every step multiplies by a Jacobian $J_t = \\operatorname{diag}(1 - h_t^2) W_{hh}$ that shrinks "
       "most vectors, so the gradient fades geometrically; raise $s$ until $\\rho > 1$."
       if rho <= 1 else
       f"A linear RNN with this $W_{{hh}}$ would stretch the gradient by about $\\rho = {rho:.2f}$ a step in the "
       f"long run; the tanh RNN manages {r.per_step:.3f}. Its Jacobian scales row $i$ of $W_{{hh}}$ by the slope "
       f"$1 - h_t[i]^2 \\le 1$, which averages {jac.slope.mean():.2f} on this text, and {jac.saturated:.0%} of the "
       "unit-steps are saturated ($|h_t| > 0.95$, so $1 - h_t^2 < 0.1$): a saturated unit passes almost no gradient. "
       "The tanh limits the explosion.")
st.markdown(f"With $\\rho = {rho:.2f}$ the gradient {verdict}: each step back multiplies it by "
            f"{r.per_step:.3f} on average (geometric mean over the {T - 1} steps). {why}")
st.caption("Another fix for a vanilla RNN: with ReLU instead of tanh and W_hh starting as the identity, "
           "J_t = diag(1[a_t > 0]) W_hh passes every active unit's gradient unchanged at the start; in runs made "
           "while building seqviz such an RNN learned this task at lags 30-60, where the tanh RNN stayed near chance.")

# -- 3. the product of Jacobians -----------------------------------------------------------------------
st.header("3. Why: a product of Jacobians")
st.markdown("For the vanilla RNN, write the step as $h_t = \\tanh(a_t)$ with "
            "$a_t = W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh}$. Since $\\tanh'(a) = 1 - \\tanh^2(a)$:")
st.latex(r"J_t = \frac{\partial h_t}{\partial h_{t-1}} = \frac{\partial h_t}{\partial a_t}\,"
         r"\frac{\partial a_t}{\partial h_{t-1}} = \operatorname{diag}\!\left(1 - h_t^2\right) W_{hh}")
st.latex(r"\frac{\partial L}{\partial h_k} = \left(J_T\, J_{T-1} \cdots J_{k+1}\right)^{\!\top} "
         r"\frac{\partial L}{\partial h_T}, \qquad \left\|\frac{\partial L}{\partial h_k}\right\| \le "
         r"\left\|J_T \cdots J_{k+1}\right\| \left\|\frac{\partial L}{\partial h_T}\right\| \le "
         r"\prod_{j=k+1}^{T} \left\|J_j\right\| \left\|\frac{\partial L}{\partial h_T}\right\|")
st.caption(f"The model here is the RNN from section 2 ({G.STAGES[base]}, W_hh × {factor:g}). Norms are "
           "spectral norms, the largest singular value: the most a matrix can stretch a vector.")
ui.clamp_state("grad_k", T)
k = st.slider("Step k", 1, T, 1, key="grad_k", bind="query-params") if T > 1 else 1
fig, table = plots.jacobian_products_figure(tokens, jac, k)
products, ratio = table["||J_T...J_(t+1)||"], table["||dL/dh_t|| / ||dL/dh_T||"]
ui.plot(fig, "gradient-jacobian-products", table, key="products",
        caption=f"From the end back to each step t: the norm of the product of Jacobians $J_T \\cdots J_{{t+1}}$, "
                f"the gradient ratio it bounds, and each single $\\|J_t\\|$, on a log scale; step k = {k} marked.")
gT = jac.end_norm
st.markdown(
    f"From $T = {T}$ back to $k = {k}$: $\\|J_T \\cdots J_{{{k + 1}}}\\| = {sci(products[k - 1])}$, so "
    f"$\\|\\partial L/\\partial h_{{{k}}}\\| \\le {sci(products[k - 1])} \\times {sci(gT)} = "
    f"{sci(products[k - 1] * gT)}$; the chain rule gives ${sci(ratio[k - 1] * gT)}$ and autograd "
    f"${sci(norms[k - 1])}$. The gradient can be far below the bound when "
    "$\\partial L/\\partial h_T$ points along directions the product shrinks more.")
st.subheader(f"One step: the Jacobian $J_{{{k}}}$")
st.markdown(
    f"Row $i$ of $J_{{{k}}}$ is row $i$ of $W_{{hh}}$ times $1 - h_{{{k}}}[i]^2$. Here "
    f"$\\|J_{{{k}}}\\| = {sci(table['||J_t||'][k - 1])} \\le \\max_i(1 - h_{{{k}}}[i]^2)\\,\\|W_{{hh}}\\| = "
    f"{jac.slope[k - 1].max():.3f} \\times {sci(float(G.spectral_norm(jac.W_hh)))}$; a saturated unit "
    f"(pale row, dark cell in the left column) blocks its row.")
fig, table = plots.jacobian_heatmap(jac, k)
ui.plot(fig, f"gradient-jacobian-{k}", table, key="jacobian",
        caption=f"The Jacobian $J_{{{k}}} = \\operatorname{{diag}}(1 - h_{{{k}}}^2) W_{{hh}}$ as matrices: the slopes "
                "$1 - h^2$ (left column), $W_{hh}$, and their product, on a diverging scale.")
ui.show_code(G.rnn_jacobians, G.backward_products)
