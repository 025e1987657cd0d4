"""Erlang C, checked against hand-worked values and an independent textbook formula."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from placer.estimate.queueing import erlang_c, mean_wait, min_servers, wait_quantile


def textbook_erlang_c(c: int, a: float) -> float:
    """C(c, a) = (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a))."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_two_servers_unit_load_is_one_third():
    # By hand: Erlang B(2, 1) = 0.2, so C = 0.2 / (1 - 0.5 * 0.8) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)


def test_mean_wait_two_servers():
    # W = C·S/(c − a) = (1/3)·1/(2 − 1)
    assert mean_wait(2, 1.0, 1.0) == pytest.approx(1 / 3, rel=1e-12)


def test_p95_wait_two_servers():
    # P(W > t) = (1/3)·e^{−t} = 0.05  →  t = ln(20/3)
    assert wait_quantile(2, 1.0, 1.0, 0.95) == pytest.approx(math.log(20 / 3), rel=1e-12)


def test_unstable_queue_waits_forever():
    assert erlang_c(3, 3.0) == 1.0
    assert wait_quantile(3, 3.0, 1.0, 0.95) == math.inf


@given(c=st.integers(1, 40), frac=st.floats(0.01, 0.99))
def test_matches_textbook_formula(c: int, frac: float):
    a = c * frac
    assert erlang_c(c, a) == pytest.approx(textbook_erlang_c(c, a), rel=1e-9, abs=1e-12)


def test_ios_farm_size_by_hand():
    # 120 jobs over 10 h → λ = 12/h; S = 18 min = 0.3 h; a = 3.6. Target: 95 % wait ≤ 5 min.
    lam, s, target = 12.0, 0.3, 5 / 60
    c = min_servers(lam, s, target, 0.95)
    assert c == 7  # c = 6 leaves a p95 wait of 10.3 min; c = 7 gives 2.9 min
    assert wait_quantile(c, lam, s, 0.95) <= target < wait_quantile(c - 1, lam, s, 0.95)
    # Independent check of the p95 wait with the textbook C and the exponential tail.
    p = textbook_erlang_c(7, 3.6)
    assert wait_quantile(7, lam, s, 0.95) == pytest.approx(math.log(p / 0.05) / (7 / s - lam), rel=1e-9)
    assert wait_quantile(7, lam, s, 0.95) * 60 == pytest.approx(2.886, abs=1e-3)


@given(lam=st.floats(0.1, 500), s=st.floats(0.001, 2), wait=st.floats(0, 1))
def test_min_servers_is_minimal(lam: float, s: float, wait: float):
    c = min_servers(lam, s, wait, 0.95)
    assert wait_quantile(c, lam, s, 0.95) <= wait
    if c > lam * s + 1:
        assert wait_quantile(c - 1, lam, s, 0.95) > wait


def test_utilisation_cap_adds_servers():
    assert min_servers(10.0, 1.0, math.inf, 0.95, max_utilisation=0.5) == 20
