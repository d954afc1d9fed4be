"""Buy-till-you-die models: BG/NBD for visits and Gamma-Gamma for spend.

Both are fitted by maximum likelihood with analytic gradients (L-BFGS-B on
log-parameters, so every parameter stays positive) over the *unique* rows of
the summary with their counts as weights: a shop's 200,000 clients collapse to
far fewer distinct (frequency, recency, age) rows, and each likelihood
evaluation is one vectorised pass.

References: Fader, Hardie & Lee (2005), "Counting your customers the easy way:
an alternative to the Pareto/NBD model"; Fader & Hardie (2013), "The
Gamma-Gamma model of monetary value". Time is in whatever unit the inputs use
(days in this application, weeks for the CDNOW reference data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

# Log-parameters stay within e^20 (about 5e8) of their start: far outside any fitted shop
# or CDNOW, but it keeps a degenerate history (dropout indistinguishable from 0 or 1, as
# in a shop's first weeks) from stepping exp() into overflow.
LOG_BOUND = 20.0


def _unique_rows(*columns: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, ...]:
    frame = pd.DataFrame({f"c{i}": np.asarray(c, dtype=float) for i, c in enumerate(columns)})
    frame["w"] = 1.0 if weights is None else np.asarray(weights, dtype=float)
    grouped = frame.groupby([f"c{i}" for i in range(len(columns))], sort=False)["w"].sum()
    keys = grouped.index.to_frame(index=False).to_numpy().T
    return (*keys, grouped.to_numpy())


def _maximise(objective, start: np.ndarray) -> OptimizeResult:
    """L-BFGS-B over log-parameters kept within LOG_BOUND of the start.

    The bounds keep a shop's first weeks, which say little, from driving a
    parameter to overflow; the line search may try extreme steps, hence errstate.
    """
    with np.errstate(all="ignore"):
        return minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(v - LOG_BOUND, v + LOG_BOUND) for v in start],
            options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-14},
        )


def _converged(result: OptimizeResult) -> bool:
    """At an optimum: the optimiser says so, or its line search gave up only because the
    gradient (per client, on log-parameters) is already flat to machine precision."""
    return bool(result.success) or float(np.max(np.abs(result.jac))) < 1e-6


@dataclass
class BetaGeoModel:
    """BG/NBD: Poisson visits with a Gamma(r, alpha) rate; dropout after each repeat visit
    with a Beta(a, b) probability."""

    penalizer: float = 0.0
    r: float = field(default=np.nan, init=False)
    alpha: float = field(default=np.nan, init=False)
    a: float = field(default=np.nan, init=False)
    b: float = field(default=np.nan, init=False)
    log_likelihood: float = field(default=np.nan, init=False)
    converged: bool = field(default=False, init=False)
    iterations: int = field(default=0, init=False)

    @staticmethod
    def _loglik_and_grad(
        params: np.ndarray,
        x: np.ndarray,
        tx: np.ndarray,
        T: np.ndarray,
        w: np.ndarray,
        by_x: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood and the weighted gradient.

        ``by_x`` = (distinct x values, row -> distinct index): the special functions
        depend on x alone, so they are evaluated once per distinct visit count (a few
        hundred) instead of once per row, which is most of the fit's speed.
        """
        r, alpha, a, b = params
        ux, inv = by_x if by_x is not None else np.unique(x, return_inverse=True)
        a1_x = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        a2_x = betaln(a, b + ux) - betaln(a, b)
        dr_x = digamma(r + ux) - digamma(r) + np.log(alpha)
        da_x = digamma(a + b) - digamma(a + b + ux)
        db_x = digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_bx1 = np.log(b + ux - 1)  # used only where x > 0
        repeat = x > 0
        log_t = np.log(alpha + T)
        log_tx = np.log(alpha + tx)
        rx = r + x
        a3 = -rx * log_t
        a4 = np.where(repeat, np.log(a) - log_bx1[inv] - rx * log_tx, -np.inf)
        mix = np.logaddexp(a3, a4)
        ll = a1_x[inv] + a2_x[inv] + mix
        w3 = np.exp(a3 - mix)
        w4 = np.where(repeat, 1.0 - w3, 0.0)
        d_r = dr_x[inv] - w3 * log_t - w4 * log_tx
        d_alpha = r / alpha - w3 * rx / (alpha + T) - w4 * rx / (alpha + tx)
        d_a = da_x[inv] + w4 / a
        with np.errstate(divide="ignore", invalid="ignore"):
            d_b = db_x[inv] - np.where(repeat, w4 / (b + x - 1), 0.0)
        grads = np.stack([d_r, d_alpha, d_a, d_b])
        return ll, grads @ w

    def fit(
        self,
        frequency: np.ndarray | pd.Series,
        recency: np.ndarray | pd.Series,
        T: np.ndarray | pd.Series,
        weights: np.ndarray | pd.Series | None = None,
    ) -> BetaGeoModel:
        x, tx, age, w = _unique_rows(frequency, recency, T, weights=weights)
        scale = max(float(np.max(age)), 1.0) / 10.0  # keeps alpha near 1 for the optimiser
        by_x = np.unique(x, return_inverse=True)

        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            scaled = params.copy()
            scaled[1] = params[1] / scale
            ll, grad = self._loglik_and_grad(scaled, x, tx / scale, age / scale, w, by_x)
            grad = grad.copy()
            grad[1] = grad[1] / scale
            total = float(ll @ w)
            penalty = self.penalizer * float(np.sum(params**2))
            d_penalty = 2 * self.penalizer * params
            return -(total - penalty) / w.sum(), -(grad - d_penalty) * params / w.sum()

        result = _maximise(objective, np.log([1.0, scale, 1.0, 1.0]))
        self.r, self.alpha, self.a, self.b = (float(v) for v in np.exp(result.x))
        self.converged = _converged(result)
        self.iterations = int(result.nit)
        ll, _ = self._loglik_and_grad(self.params, x, tx, age, w, by_x)
        self.log_likelihood = float(ll @ w)
        return self

    @property
    def params(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])

    def _posterior(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        """The odds term of P(alive): zero for clients with no repeat visit."""
        r, alpha, a, b = self.params
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            odds = (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x)
        return np.where(x > 0, odds, 0.0)

    def p_alive(self, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
        x, tx, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        return 1.0 / (1.0 + self._posterior(x, tx, age))

    def expected_visits(
        self, t: float | np.ndarray, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """Expected visits in the next ``t`` time units, given each client's history."""
        r, alpha, a, b = self.params
        x, tx, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        t = np.asarray(t, dtype=float)
        z = t / (alpha + age + t)
        ratio = ((alpha + age) / (alpha + age + t)) ** (r + x)
        numerator = (a + b + x - 1) / (a - 1) * (1 - ratio * hyp2f1(r + x, b + x, a + b + x - 1, z))
        return numerator / (1.0 + self._posterior(x, tx, age))

    def p_no_visit(
        self, t: float, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """P(no visit in the next ``t``): gone, or still around but not coming in time."""
        r, alpha, _, _ = self.params
        x, tx, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        alive = self.p_alive(x, tx, age)
        quiet = ((alpha + age) / (alpha + age + t)) ** (r + x)
        return 1.0 - alive + alive * quiet


@dataclass
class GammaGammaModel:
    """Gamma-Gamma: spend per visit ~ Gamma(p, nu), nu ~ Gamma(q, gamma) across clients.

    Fitted on clients with at least one repeat visit; assumes spend and visit
    frequency are independent, which ``frequency_monetary_correlation`` reports.
    """

    penalizer: float = 0.0
    p: float = field(default=np.nan, init=False)
    q: float = field(default=np.nan, init=False)
    gamma: float = field(default=np.nan, init=False)
    log_likelihood: float = field(default=np.nan, init=False)
    converged: bool = field(default=False, init=False)
    frequency_monetary_correlation: float = field(default=np.nan, init=False)

    @staticmethod
    def _loglik_and_grad(
        params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        p, q, g = params
        px = p * x
        ll = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(g)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(g + m * x)
        )
        d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(g + m * x))
        d_q = digamma(px + q) - digamma(q) + np.log(g) - np.log(g + m * x)
        d_g = q / g - (px + q) / (g + m * x)
        return ll, np.stack([d_p, d_q, d_g]) @ w

    def fit(
        self,
        frequency: np.ndarray | pd.Series,
        monetary: np.ndarray | pd.Series,
        weights: np.ndarray | pd.Series | None = None,
    ) -> GammaGammaModel:
        freq = np.asarray(frequency, dtype=float)
        money = np.asarray(monetary, dtype=float)
        keep = (freq > 0) & (money > 0)
        wts = None if weights is None else np.asarray(weights, dtype=float)[keep]
        x, m, w = _unique_rows(freq[keep], money[keep], weights=wts)
        self.frequency_monetary_correlation = float(np.corrcoef(freq[keep], money[keep])[0, 1])
        scale = float(np.average(m, weights=w))

        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            scaled = params.copy()
            scaled[2] = params[2] / scale
            ll, grad = self._loglik_and_grad(scaled, x, m / scale, w)
            grad = grad.copy()
            grad[2] = grad[2] / scale
            penalty = self.penalizer * float(np.sum(params**2))
            d_penalty = 2 * self.penalizer * params
            return (-(float(ll @ w) - penalty) / w.sum(), -(grad - d_penalty) * params / w.sum())

        result = _maximise(objective, np.log([1.0, 1.0, scale]))
        self.p, self.q, self.gamma = (float(v) for v in np.exp(result.x))
        self.converged = _converged(result)
        ll, _ = self._loglik_and_grad(np.array([self.p, self.q, self.gamma]), x, m, w)
        self.log_likelihood = float(ll @ w)
        return self

    @property
    def population_mean_spend(self) -> float:
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def expected_spend(self, frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
        """Expected spend per visit; clients with no repeat visit get the population mean."""
        x = np.asarray(frequency, dtype=float)
        m = np.nan_to_num(np.asarray(monetary, dtype=float))
        conditional = (self.gamma + m * x) * self.p / (self.p * x + self.q - 1)
        return np.where(x > 0, conditional, self.population_mean_spend)
