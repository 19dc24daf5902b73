"""Vanilla RNN: forward, full and truncated BPTT, path contributions, output layer."""

import numpy as np
import pytest

from lecturelib import (
    rnn_backward,
    rnn_forward,
    rnn_forward_naive,
    rnn_output_backward,
    rnn_output_forward,
    rnn_weight_gradient_contributions,
)
from lecturelib.gradients import check_gradient, numerical_gradient, relative_error


def make_rnn(T=4, N=2, D=3, H=5, seed=0, scale=0.8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, N, D))
    h0 = rng.normal(size=(N, H)) * 0.5
    U = rng.normal(size=(D, H)) * scale
    W = rng.normal(size=(H, H)) * scale / np.sqrt(H) * 2
    b = rng.normal(size=H) * 0.1
    grad_h = rng.normal(size=(T, N, H))
    return x, h0, U, W, b, grad_h


def test_forward_matches_the_recurrence_written_out():
    x, h0, U, W, b, _ = make_rnn()
    h, cache = rnn_forward(x, h0, U, W, b)
    reference, _ = rnn_forward_naive(x, h0, U, W, b)  # the loop of rnn_step
    np.testing.assert_allclose(h, reference, rtol=1e-13, atol=1e-14)
    assert cache["activation"] == "tanh"
    assert h.dtype == np.float64


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_full_bptt_passes_the_gradient_check(activation):
    x, h0, U, W, b, grad_h = make_rnn(T=5, N=2, D=3, H=4, seed=1)
    _, cache = rnn_forward(x, h0, U, W, b, activation=activation)
    grads = rnn_backward(grad_h, cache)

    def loss():
        h, _ = rnn_forward(x, h0, U, W, b, activation=activation)
        return float(np.sum(h * grad_h))

    for name, array in {"x": x, "h0": h0, "U": U, "W": W, "b": b}.items():
        assert grads[name].shape == array.shape
        check_gradient(loss, array, grads[name], tolerance=1e-7)


def truncated_loss_direct(x, h0, U, W, b, grad_h, k, frozen_states):
    """sum_t grad_h[t] . h_t, with the loss at step t built explicitly from its last k steps.

    h[t-k] is read from ``frozen_states`` (computed once, before any
    perturbation), so no gradient reaches it or anything before it.
    """
    total = 0.0
    for t in range(x.shape[0]):
        start = t - k + 1
        if start <= 0:
            h, start = h0, 0
        else:
            h = frozen_states[start - 1]
        for s in range(start, t + 1):
            h = np.tanh(x[s] @ U + h @ W + b)
        total += float(np.sum(grad_h[t] * h))
    return total


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_truncated_bptt_matches_a_direct_computation_of_each_truncated_loss(k):
    x, h0, U, W, b, grad_h = make_rnn(T=6, N=2, D=3, H=4, seed=2, scale=1.2)
    h, cache = rnn_forward(x, h0, U, W, b)
    frozen = h.copy()
    grads = rnn_backward(grad_h, cache, truncate=k)
    # the direct definition gives the forward's own loss when nothing is perturbed
    assert np.isclose(
        truncated_loss_direct(x, h0, U, W, b, grad_h, k, frozen), float(np.sum(h * grad_h))
    )
    for name, array in {"x": x, "h0": h0, "U": U, "W": W, "b": b}.items():
        numeric = numerical_gradient(
            lambda: truncated_loss_direct(x, h0, U, W, b, grad_h, k, frozen), array
        )
        assert relative_error(grads[name], numeric) < 1e-7, name


def test_truncation_really_changes_the_gradient_and_grows_towards_full_bptt():
    x, h0, U, W, b, grad_h = make_rnn(T=6, N=2, D=3, H=4, seed=3, scale=1.2)
    _, cache = rnn_forward(x, h0, U, W, b)
    full = rnn_backward(grad_h, cache)
    differences = [
        np.abs(rnn_backward(grad_h, cache, truncate=k)["W"] - full["W"]).max() for k in range(1, 6)
    ]
    assert all(d > 1e-6 for d in differences)
    for k in (6, 7, 100):
        for name in full:
            np.testing.assert_allclose(rnn_backward(grad_h, cache, truncate=k)[name], full[name])


def test_truncate_one_keeps_only_the_direct_terms():
    x, h0, U, W, b, grad_h = make_rnn(T=5, seed=4)
    h, cache = rnn_forward(x, h0, U, W, b)
    grads = rnn_backward(grad_h, cache, truncate=1)
    previous = np.concatenate([h0[None], h[:-1]])
    grad_a = grad_h * (1 - h**2)
    np.testing.assert_allclose(grads["W"], np.einsum("tni,tnj->ij", previous, grad_a))
    np.testing.assert_allclose(grads["U"], np.einsum("tnd,tnj->dj", x, grad_a))
    np.testing.assert_allclose(grads["x"], grad_a @ U.T)
    np.testing.assert_allclose(grads["h0"], grad_a[0] @ W.T)  # only the loss at step 0


def test_contributions_take_the_sum_over_paths_apart():
    x, h0, U, W, b, grad_h = make_rnn(T=5, N=2, seed=5)
    _, cache = rnn_forward(x, h0, U, W, b)
    T = x.shape[0]
    for param in ("W", "U", "b"):
        terms = rnn_weight_gradient_contributions(grad_h, cache, param=param, matrices=True)
        assert terms.shape == (T, T) + cache[param].shape
        # the loss at step t does not reach later steps
        for t in range(T):
            assert np.all(terms[t, t + 1 :] == 0)
        # row t sums to the gradient of L_t alone
        for t in range(T):
            only_t = np.zeros_like(grad_h)
            only_t[t] = grad_h[t]
            np.testing.assert_allclose(
                terms[t].sum(axis=0), rnn_backward(only_t, cache)[param], atol=1e-12
            )
        np.testing.assert_allclose(terms.sum(axis=(0, 1)), rnn_backward(grad_h, cache)[param])
        norms = rnn_weight_gradient_contributions(grad_h, cache, param=param)
        np.testing.assert_allclose(
            norms, np.sqrt(np.sum(terms.reshape(T, T, -1) ** 2, axis=-1)), atol=1e-14
        )


def test_the_lectures_L4_has_four_terms_and_the_first_is_the_direct_one():
    # The loss at step 4 (index 3) only: dL_4/dW is a sum of four path terms.
    x, h0, U, W, b, grad_h = make_rnn(T=4, N=1, seed=6)
    h, cache = rnn_forward(x, h0, U, W, b)
    grad_h[:3] = 0
    terms = rnn_weight_gradient_contributions(grad_h, cache, matrices=True)[3]
    assert all(np.abs(term).max() > 0 for term in terms)
    direct = np.outer(h[2, 0], grad_h[3, 0] * (1 - h[3, 0] ** 2))  # d+h_4/dW, h_3 held fixed
    np.testing.assert_allclose(terms[3], direct)
    np.testing.assert_allclose(terms.sum(axis=0), rnn_backward(grad_h, cache)["W"])


def test_output_layer_gradients():
    rng = np.random.default_rng(7)
    h = rng.normal(size=(3, 2, 4))
    V = rng.normal(size=(4, 5))
    c = rng.normal(size=5)
    grad_logits = rng.normal(size=(3, 2, 5))
    grads = rnn_output_backward(grad_logits, h, V)

    def loss():
        return float(np.sum(rnn_output_forward(h, V, c) * grad_logits))

    for name, array in {"h": h, "V": V, "c": c}.items():
        check_gradient(loss, array, grads[name], tolerance=1e-8)


def test_dtypes_follow_the_input():
    x, h0, U, W, b, grad_h = make_rnn()
    args32 = [a.astype(np.float32) for a in (x, h0, U, W, b)]
    h, cache = rnn_forward(*args32)
    assert h.dtype == np.float32
    grads = rnn_backward(grad_h, cache, truncate=2)
    assert all(g.dtype == np.float32 for g in grads.values())
    h64, _ = rnn_forward(x, h0, U, W, b)
    np.testing.assert_allclose(h, h64, atol=1e-5)
    h_int, _ = rnn_forward(np.ones((2, 1, 1), dtype=int), [[0]], [[1]], [[1]], [0])
    assert h_int.dtype == np.float64


def test_mismatched_shapes_are_reported_by_name():
    x, h0, U, W, b, grad_h = make_rnn(T=3, N=2, D=3, H=5)
    with pytest.raises(ValueError, match=r"U must be \(D, 5\) = \(3, 5\)"):
        rnn_forward(x, h0, U[:2], W, b)
    with pytest.raises(ValueError, match=r"h0 must be \(N, H\) = \(2, 5\)"):
        rnn_forward(x, h0[:, :4], U, W, b)
    with pytest.raises(ValueError, match=r"h0 must be \(N, H\)"):
        rnn_forward(x, h0[:1], U, W, b)
    with pytest.raises(ValueError, match=r"W must be \(H, H\)"):
        rnn_forward(x, h0, U, W[:, :4], b)
    with pytest.raises(ValueError, match=r"b must be \(5,\)"):
        rnn_forward(x, h0, U, W, b[:3])
    with pytest.raises(ValueError, match="x must have 3 dimensions"):
        rnn_forward(x[0], h0, U, W, b)
    with pytest.raises(ValueError, match="at least one step"):
        rnn_forward(x[:0], h0, U, W, b)
    with pytest.raises(TypeError, match="x must hold numbers"):
        rnn_forward(np.full((3, 2, 3), "a"), h0, U, W, b)
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn_forward(x, h0, U, W, b, activation="softplus")
    _, cache = rnn_forward(x, h0, U, W, b)
    with pytest.raises(ValueError, match="grad_h must have the shape"):
        rnn_backward(grad_h[:2], cache)
    with pytest.raises(TypeError, match="cache must be the dict returned by rnn_forward"):
        rnn_backward(grad_h, {"x": x})


@pytest.mark.parametrize(
    "truncate, error, message",
    [
        (0, ValueError, "truncate must be >= 1, got 0"),
        (-2, ValueError, "truncate must be >= 1, got -2"),
        (2.0, TypeError, "truncate must be an integer"),
        (True, TypeError, "truncate must be an integer"),
        ("3", TypeError, "truncate must be an integer"),
    ],
)
def test_bad_truncate_is_rejected(truncate, error, message):
    x, h0, U, W, b, grad_h = make_rnn(T=3)
    _, cache = rnn_forward(x, h0, U, W, b)
    with pytest.raises(error, match=message):
        rnn_backward(grad_h, cache, truncate=truncate)


def test_contribution_and_output_arguments_are_checked():
    x, h0, U, W, b, grad_h = make_rnn(T=3)
    _, cache = rnn_forward(x, h0, U, W, b)
    with pytest.raises(ValueError, match="param must be"):
        rnn_weight_gradient_contributions(grad_h, cache, param="V")
    with pytest.raises(ValueError, match="V must be"):
        rnn_output_forward(np.ones((2, 1, 3)), np.ones((4, 2)), np.ones(2))
    with pytest.raises(ValueError, match="c must be"):
        rnn_output_forward(np.ones((2, 1, 3)), np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="grad_logits must be"):
        rnn_output_backward(np.ones((2, 1, 3)), np.ones((2, 1, 3)), np.ones((3, 2)))


# --- Jacobians through time (lecturelib.jacobians) ----------------------------------------

from lecturelib.jacobians import (  # noqa: E402
    gradient_bound,
    jacobian_norms,
    jacobian_products,
    mlp_gradient_norms,
    orthogonal,
    orthogonal_init,
    scaled_random_init,
    simulate_rnn,
    step_jacobians,
)


def tail_states(cache, k, h_k):
    """Rerun the network from step k + 1 with h[k] replaced by h_k."""
    x, U, W, b = cache["x"], cache["U"], cache["W"], cache["b"]
    h, _ = rnn_forward(x[k + 1 :], h_k[None], U, W, b, activation=cache["activation"])
    return h[:, 0]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_step_jacobians_are_in_numerator_layout(activation):
    x, h0, U, W, b, _ = make_rnn(T=4, N=1, D=3, H=4, seed=8)
    h, cache = rnn_forward(x, h0, U, W, b, activation=activation)
    J = step_jacobians(cache)
    assert J.shape == (4, 1, 4, 4)
    previous = h0[0].copy()
    for t in range(4):
        numeric = np.empty((4, 4))
        for i in range(4):  # row i: gradient of h_t[i] with respect to h_{t-1}

            def unit(t=t, i=i, previous=previous):
                return float(
                    rnn_forward(x[t : t + 1], previous[None], U, W, b, activation)[0][0, 0, i]
                )

            numeric[i] = numerical_gradient(unit, previous)
        np.testing.assert_allclose(J[t, 0], numeric, atol=1e-8)
        previous = h[t, 0].copy()


def test_jacobian_products_match_a_perturbed_rerun():
    x, h0, U, W, b, _ = make_rnn(T=6, N=1, D=3, H=3, seed=9, scale=1.5)
    h, cache = rnn_forward(x, h0, U, W, b)
    k = 1
    P = jacobian_products(cache, k)
    assert P.shape == (5, 1, 3, 3)
    np.testing.assert_allclose(P[0, 0], np.eye(3))
    h_k = h[k, 0].copy()
    for s in range(1, 5):
        numeric = np.array(
            [
                numerical_gradient(
                    lambda s=s, i=i: float(tail_states(cache, k, h_k)[s - 1, i]), h_k
                )
                for i in range(3)
            ]
        )
        np.testing.assert_allclose(P[s, 0], numeric, atol=1e-8)
    J = step_jacobians(cache)
    np.testing.assert_allclose(P[3, 0], J[4, 0] @ J[3, 0] @ J[2, 0])


def test_jacobian_norms_and_the_bound():
    W = scaled_random_init(6, spectral_radius=1.2, rng=0)
    for activation in ("tanh", "sigmoid", "relu"):
        _, cache = simulate_rnn(W, steps=20, activation=activation, batch=2, rng=1)
        P = jacobian_products(cache, 2)
        spectral = jacobian_norms(cache, 2)
        np.testing.assert_allclose(spectral, np.linalg.norm(P, ord=2, axis=(-2, -1)), rtol=1e-10)
        fro = jacobian_norms(cache, 2, ord="fro")
        np.testing.assert_allclose(fro, np.linalg.norm(P, axis=(-2, -1)), rtol=1e-10)
        np.testing.assert_allclose(
            jacobian_norms(cache, 2, log10=True), np.log10(spectral), rtol=1e-10
        )
        bound = gradient_bound(W, np.arange(18), activation)
        assert np.all(spectral <= bound[:, None] * (1 + 1e-10))
    # sigmoid's gamma = 1/4 makes even an expanding W contract
    assert gradient_bound(W, [10], "sigmoid")[0] < 1 < gradient_bound(W, [10], "tanh")[0]


def test_overflow_and_underflow_are_reported_as_inf_and_zero_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = 6.0 * orthogonal((8, 8), rng=0)
        _, cache = simulate_rnn(big, steps=900, activation="relu", input_scale=1.0, rng=0)
        norms = jacobian_norms(cache)[:, 0]
        logs = jacobian_norms(cache, log10=True)[:, 0]
        P = jacobian_products(cache)
        small = 0.5 * orthogonal((8, 8), rng=0)
        _, cache_small = simulate_rnn(small, steps=1200, activation="sigmoid", rng=0)
        tiny = jacobian_norms(cache_small)[:, 0]
        tiny_logs = jacobian_norms(cache_small, log10=True)[:, 0]
        bound = gradient_bound(big, [900], "relu")
        _, cache32 = simulate_rnn(big.astype(np.float32), steps=120, activation="relu", rng=0)
        norms32 = jacobian_norms(cache32)[:, 0]
    finite_states = np.all(np.isfinite(cache["h"]), axis=(1, 2))
    assert np.isinf(norms[-1]) and np.all(np.isfinite(norms[:100]))
    last_finite = np.flatnonzero(finite_states)[-1]
    assert (
        np.isfinite(logs[last_finite]) and logs[last_finite] > 308
    )  # the true size, beyond float64
    assert np.all(np.isinf(norms[last_finite:]))
    assert not np.any(np.isnan(P))
    assert tiny[-1] == 0.0 and np.isfinite(tiny_logs[-1]) and tiny_logs[-1] < -324
    assert np.isinf(bound[0])
    assert np.isinf(norms32[-1]) and np.isfinite(norms[50])


def test_orthogonal_and_scaled_random_initialisation():
    Q = orthogonal((5, 5), rng=3)
    np.testing.assert_allclose(Q.T @ Q, np.eye(5), atol=1e-12)
    np.testing.assert_array_equal(Q, orthogonal((5, 5), rng=3))
    assert not np.allclose(Q, orthogonal((5, 5), rng=4))
    tall = orthogonal((6, 3), gain=2.0, rng=0)
    np.testing.assert_allclose(tall.T @ tall, 4 * np.eye(3), atol=1e-12)
    wide = orthogonal((2, 4), rng=0)
    np.testing.assert_allclose(wide @ wide.T, np.eye(2), atol=1e-12)
    # the sign fix: R's diagonal positive, so Q's law is uniform (no column sign bias)
    firsts = np.array([orthogonal((3, 3), rng=s)[0, 0] for s in range(400)])
    assert abs(np.mean(firsts > 0) - 0.5) < 0.1
    W = scaled_random_init(10, spectral_radius=1.7, rng=2)
    assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(1.7)
    with pytest.raises(ValueError, match="gain must be finite and >= 0"):
        orthogonal((3, 3), gain=-1)
    with pytest.raises(ValueError, match="shape must have at least 2 dimensions"):
        orthogonal((4,))
    with pytest.raises(ValueError, match="spectral_radius must be finite and >= 0"):
        scaled_random_init(3, spectral_radius=float("nan"))


def test_orthogonal_init_is_a_deprecated_name_for_orthogonal():
    with pytest.warns(DeprecationWarning, match=r"use orthogonal\(\(n, n\)"):
        old = orthogonal_init(5, rng=3, gain=1.5)
    np.testing.assert_array_equal(old, orthogonal((5, 5), gain=1.5, rng=3))


def test_mlp_gradient_norms_match_a_direct_computation_and_show_vanishing():
    result = mlp_gradient_norms(3, 4, "tanh", rng=0, batch=2)
    # redo the same network by hand: same draws in the same order
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(3, 4, 4)) / 2.0
    x = rng.normal(size=(2, 4))
    g = rng.normal(size=(2, 4))

    def loss_of(weights):
        h = x
        for Wl in weights:
            h = np.tanh(h @ Wl)
        return float(np.sum(h * g))

    for layer in range(3):
        numeric = numerical_gradient(lambda: loss_of(weights), weights[layer])
        assert result["weight_grad_norm"][layer] == pytest.approx(np.linalg.norm(numeric), rel=1e-6)
    sigmoid = mlp_gradient_norms(30, 16, "sigmoid", rng=0)
    ratios = sigmoid["weight_grad_norm"][:-1] / sigmoid["weight_grad_norm"][1:]
    assert np.median(ratios) < 0.5  # shrinks layer by layer going down
    relu = mlp_gradient_norms(30, 16, "relu", init="orthogonal", weight_scale=np.sqrt(2), rng=0)
    assert relu["weight_grad_norm"][0] > 1e-3 * relu["weight_grad_norm"][-1]
    assert not relu["overflow"]
    blown = mlp_gradient_norms(1500, 16, "relu", init="orthogonal", weight_scale=3.0, rng=0)
    assert blown["overflow"] and np.all(np.isinf(blown["weight_grad_norm"]))
    with pytest.raises(ValueError, match="init must be"):
        mlp_gradient_norms(3, 4, init="xavier")


def test_jacobian_arguments_are_checked():
    _, cache = simulate_rnn(np.eye(3), steps=4, rng=0)
    with pytest.raises(ValueError, match="k must be a step index below T = 4"):
        jacobian_products(cache, 4)
    with pytest.raises(ValueError, match="k must be >= 0"):
        jacobian_norms(cache, -1)
    with pytest.raises(ValueError, match="ord must be"):
        jacobian_norms(cache, ord="nuclear")
    with pytest.raises(ValueError, match="activation must be one of"):
        gradient_bound(np.eye(3), [1], "softsign")
    with pytest.raises(ValueError, match="steps must be >= 0"):
        gradient_bound(np.eye(3), [-1])
    with pytest.raises(ValueError, match=r"W must be square"):
        simulate_rnn(np.ones((2, 3)), steps=3)
    with pytest.raises(TypeError, match="cache must be the dict returned by rnn_forward"):
        step_jacobians({"W": np.eye(2)})
