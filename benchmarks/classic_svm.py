"""The RBF SVM of OpenCV's classic digit recipe, with or without ``cv2.ml``.

OpenCV's ``samples/python/digits.py`` classifies with ``cv2.ml.SVM`` (C-SVC, RBF kernel
``exp(-gamma |x - y|^2)``, one-vs-one voting over the 45 class pairs: libsvm's
formulation). OpenCV 5 moved the ``ml`` module out of the main package (to
opencv-contrib), so where ``cv2.ml`` is missing :class:`RbfSvm` trains the same model
with numpy: the SMO solver of libsvm (Chang & Lin 2011) with its second-order working
set selection (Fan, Chen & Lin, JMLR 2005), tolerance 1e-3, and predicts by the same
one-vs-one vote. :func:`make_svm` picks ``cv2.ml`` when it is there.
"""

from __future__ import annotations

import logging
from itertools import combinations
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

#: libsvm's stopping tolerance on the KKT gap and its floor for a non-positive curvature.
EPS = 1e-3
TAU = 1e-12
#: Largest matrix product (M * N * K multiply-adds) OpenBLAS keeps on the calling thread
#: (``SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD`` = 65536 * 4 in its default build).
SINGLE_THREAD_MNK = 65536 * 4


class DigitSvm(Protocol):
    """What the classic reader needs from an SVM."""

    backend: str

    def predict(self, features: np.ndarray) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...


def _solve_pair(k: np.ndarray, y: np.ndarray, c: float, max_iter: int) -> tuple[np.ndarray, float]:
    """libsvm's SMO for one binary C-SVC: ``min 1/2 a'Qa - e'a``, ``0 <= a <= c``, ``y'a = 0``.

    Args:
        k: float64 (n, n) kernel matrix.
        y: float64 (n,) labels in {+1, -1}.
        c: the box constraint C.
        max_iter: iteration cap (a warning when reached).

    Returns:
        ``(alpha, rho)``: float64 (n,) multipliers and the bias; the decision is
        ``sum_i alpha_i y_i K(x_i, x) - rho``.
    """
    n = len(y)
    a = np.zeros(n)
    g = -np.ones(n)  # gradient Q a - e
    diag = np.diag(k).copy()
    for _ in range(max_iter):
        yg = y * g
        up = ((y > 0) & (a < c)) | ((y < 0) & (a > 0))
        low = ((y > 0) & (a > 0)) | ((y < 0) & (a < c))
        if not up.any() or not low.any():
            break
        cand = np.where(up, -yg, -np.inf)
        i = int(np.argmax(cand))
        gmax = cand[i]
        gmax2 = np.max(np.where(low, yg, -np.inf))
        if gmax + gmax2 < EPS:
            break
        b = gmax + yg
        quad = np.maximum(diag[i] + diag - 2 * k[i], TAU)
        obj = np.where(low & (b > 0), -(b * b) / quad, np.inf)
        j = int(np.argmin(obj))
        qi, qj = y[i] * y * k[i], y[j] * y * k[j]  # rows i, j of Q
        ai, aj = a[i], a[j]
        if y[i] != y[j]:
            delta = (-g[i] - g[j]) / max(diag[i] + diag[j] + 2 * qi[j], TAU)
            diff = ai - aj
            ni, nj = ai + delta, aj + delta
            if diff > 0 and nj < 0:
                nj, ni = 0.0, diff
            elif diff <= 0 and ni < 0:
                ni, nj = 0.0, -diff
            if diff > 0 and ni > c:
                ni, nj = c, c - diff
            elif diff <= 0 and nj > c:
                nj, ni = c, c + diff
        else:
            delta = (g[i] - g[j]) / max(diag[i] + diag[j] - 2 * qi[j], TAU)
            total = ai + aj
            ni, nj = ai - delta, aj + delta
            if total > c and ni > c:
                ni, nj = c, total - c
            elif total <= c and nj < 0:
                nj, ni = 0.0, total
            if total > c and nj > c:
                nj, ni = c, total - c
            elif total <= c and ni < 0:
                ni, nj = 0.0, total
        a[i], a[j] = ni, nj
        g += qi * (ni - ai) + qj * (nj - aj)
    else:
        log.warning("SMO stopped after %d iterations before reaching tolerance %g", max_iter, EPS)
    yg = y * g
    free = (a > 0) & (a < c)
    if free.any():
        rho = float(yg[free].mean())
    else:
        at_up = ((a >= c) & (y < 0)) | ((a <= 0) & (y > 0))
        at_low = ((a >= c) & (y > 0)) | ((a <= 0) & (y < 0))
        ub = float(yg[at_up].min()) if at_up.any() else np.inf
        lb = float(yg[at_low].max()) if at_low.any() else -np.inf
        rho = (ub + lb) / 2
    return a, rho


def rbf_kernel(x: np.ndarray, z: np.ndarray, gamma: float) -> np.ndarray:
    """``exp(-gamma |x_i - z_j|^2)``: float64 (len(x), len(z)) from (N, D) and (M, D)."""
    x64, z64 = np.asarray(x, np.float64), np.asarray(z, np.float64)
    d2 = (x64 * x64).sum(1)[:, None] + (z64 * z64).sum(1)[None, :] - 2 * x64 @ z64.T
    return np.exp(-gamma * np.maximum(d2, 0.0))


class RbfSvm:
    """A one-vs-one RBF C-SVC in numpy, the model ``cv2.ml.SVM`` trains (module docstring).

    Attributes:
        support: float32 (S, D) support vectors (of any pair).
        coef: float32 (S, P) ``alpha * y`` of each support vector in each of the P class pairs.
        rho: float64 (P,) biases.
        classes: int32 (K,) labels; pair p is ``pairs[p] = (a, b)``, a positive decision
            votes for ``classes[a]``.
        gamma: the kernel's gamma.
    """

    backend = "numpy SMO (libsvm formulation)"

    def __init__(
        self, support: np.ndarray, coef: np.ndarray, rho: np.ndarray, classes: np.ndarray, gamma: float
    ) -> None:
        self.support = np.asarray(support, np.float32)
        self.coef = np.asarray(coef, np.float32)
        self.rho = np.asarray(rho, np.float64)
        self._rho = self.rho.astype(np.float32)
        self._sq = (self.support * self.support).sum(1)[None, :]
        self._support_t = np.ascontiguousarray(self.support.T)
        self.classes = np.asarray(classes, np.int32)
        self.gamma = float(gamma)
        self.pairs = list(combinations(range(len(self.classes)), 2))
        self._first = np.array([p[0] for p in self.pairs], np.intp)
        self._second = np.array([p[1] for p in self.pairs], np.intp)

    @classmethod
    def train(
        cls, features: np.ndarray, labels: np.ndarray, *, c: float, gamma: float, max_iter: int = 100_000
    ) -> RbfSvm:
        """Train on float32 (N, D) features and int (N,) labels (one SMO per class pair)."""
        x = np.asarray(features, np.float64)
        lab = np.asarray(labels).astype(np.int32)
        classes = np.unique(lab)
        if len(classes) < 2:
            raise ValueError(f"an SVM needs at least two classes, got {classes.tolist()}")
        full = rbf_kernel(x, x, gamma)
        coefs: dict[int, dict[int, float]] = {}
        rhos = []
        for p, (a, b) in enumerate(combinations(range(len(classes)), 2)):
            idx = np.flatnonzero((lab == classes[a]) | (lab == classes[b]))
            y = np.where(lab[idx] == classes[a], 1.0, -1.0)
            alpha, rho = _solve_pair(full[np.ix_(idx, idx)], y, c, max_iter)
            rhos.append(rho)
            for t in np.flatnonzero(alpha > 0):
                coefs.setdefault(int(idx[t]), {})[p] = float(alpha[t] * y[t])
        sv = np.array(sorted(coefs), np.intp)
        coef = np.zeros((len(sv), len(rhos)), np.float32)
        for r, s in enumerate(sv):
            for p, v in coefs[int(s)].items():
                coef[r, p] = v
        return cls(x[sv], coef, np.array(rhos), classes, gamma)

    def decision(self, features: np.ndarray) -> np.ndarray:
        """float32 (N, P) pairwise decision values of float32 (N, D) features.

        In float32, as ``cv2.ml`` computes its kernel. The two products are cut into
        blocks of at most :data:`SINGLE_THREAD_MNK` multiply-adds, which OpenBLAS runs on
        the calling thread: its worker threads, woken for anything bigger, cost tens of
        milliseconds per call on a busy machine (measured p99 37 ms instead of 0.4 ms).
        """
        x = np.ascontiguousarray(features, np.float32)
        n, d = x.shape
        s = self._support_t.shape[1]
        step = max(1, SINGLE_THREAD_MNK // max(1, n * d))
        dot = np.concatenate([x @ self._support_t[:, i : i + step] for i in range(0, s, step)], axis=1)
        d2 = np.maximum(self._sq - 2 * dot + (x * x).sum(1, keepdims=True), 0)
        k = np.exp(d2 * np.float32(-self.gamma))
        rows = max(1, SINGLE_THREAD_MNK // (s * self.coef.shape[1]))
        return np.concatenate([k[i : i + rows] @ self.coef for i in range(0, n, rows)]) - self._rho

    def predict(self, features: np.ndarray) -> np.ndarray:
        """int32 (N,) labels by one-vs-one vote (ties: the lower class index, as libsvm)."""
        dec = self.decision(features)
        winner = np.where(dec > 0, self._first, self._second)
        votes = np.zeros((len(dec), len(self.classes)), np.int32)
        np.add.at(votes, (np.arange(len(dec))[:, None], winner), 1)
        return self.classes[np.argmax(votes, axis=1)]

    def save(self, path: Path) -> None:
        """Write the model as an ``.npz`` file."""
        with open(path, "wb") as f:
            np.savez(
                f,
                support=self.support,
                coef=self.coef,
                rho=self.rho,
                classes=self.classes,
                gamma=np.float64(self.gamma),
            )

    @classmethod
    def load(cls, path: Path) -> RbfSvm:
        """Read a model written by :meth:`save`."""
        with np.load(path) as z:
            return cls(z["support"], z["coef"], z["rho"], z["classes"], float(z["gamma"]))


class OpenCvSvm:
    """``cv2.ml.SVM`` (C-SVC, RBF) behind the :class:`DigitSvm` interface."""

    backend = "cv2.ml.SVM"

    def __init__(self, svm: Any) -> None:
        self.svm = svm

    @classmethod
    def train(cls, features: np.ndarray, labels: np.ndarray, *, c: float, gamma: float) -> OpenCvSvm:
        svm = cv2.ml.SVM_create()  # type: ignore[attr-defined]
        svm.setType(cv2.ml.SVM_C_SVC)  # type: ignore[attr-defined]
        svm.setKernel(cv2.ml.SVM_RBF)  # type: ignore[attr-defined]
        svm.setC(c)
        svm.setGamma(gamma)
        svm.train(np.asarray(features, np.float32), cv2.ml.ROW_SAMPLE, np.asarray(labels, np.int32))  # type: ignore[attr-defined]
        return cls(svm)

    def predict(self, features: np.ndarray) -> np.ndarray:
        _, out = self.svm.predict(np.asarray(features, np.float32))
        return out.ravel().astype(np.int32)

    def save(self, path: Path) -> None:
        self.svm.save(str(path))

    @classmethod
    def load(cls, path: Path) -> OpenCvSvm:
        return cls(cv2.ml.SVM_load(str(path)))  # type: ignore[attr-defined]


def has_cv2_ml() -> bool:
    """Whether this OpenCV build has the ``ml`` module (OpenCV 4, or opencv-contrib)."""
    return hasattr(cv2, "ml") and hasattr(cv2.ml, "SVM_create")


def svm_suffix(use_cv2: bool | None = None) -> str:
    """File suffix of a saved model of the backend in use: ``.yml`` (cv2.ml) or ``.npz``."""
    return ".yml" if (has_cv2_ml() if use_cv2 is None else use_cv2) else ".npz"


def make_svm(features: np.ndarray, labels: np.ndarray, *, c: float, gamma: float) -> DigitSvm:
    """Train with ``cv2.ml`` when present, else with :class:`RbfSvm`."""
    if has_cv2_ml():
        return OpenCvSvm.train(features, labels, c=c, gamma=gamma)
    return RbfSvm.train(features, labels, c=c, gamma=gamma)


def load_svm(path: Path) -> DigitSvm:
    """Read a model saved by :func:`make_svm`'s backend (by the file's suffix)."""
    return OpenCvSvm.load(path) if path.suffix == ".yml" else RbfSvm.load(path)
