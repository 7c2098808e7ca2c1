"""An independent, deliberately naive RTRL for the paper's RNN, written from the index form.

Transcribes THEORY.md sections 4-5 literally with Python loops over (k, i, j): no matrix form, no
structured blocks, no shared code with ``rtrl_theory.engine``. Used as a second implementation in
the tests (small sizes only).
"""

from __future__ import annotations

import numpy as np


def naive_rtrl(model, params, X, Y, *, order=1):
    """Return (loss, grad (P,), hess (P, P) or None, J history list, H history list)."""
    alpha, W, B = params.alpha, params.W, params.B
    f, g = model.f, model.g
    N, d = W.shape
    T = X.shape[0]
    sig = lambda u: 1.0 / (1.0 + np.exp(-u))  # noqa: E731
    fB, gW = f.value(B), g.value(W)
    fpB, gpW = f.deriv(B, 1), g.deriv(W, 1)
    fppB, gppW = f.deriv(B, 2), g.deriv(W, 2)
    # parameter list in Notation 2.11 order for the cell part: W (column-stacked) then B.
    plist = [("W", i, j) for j in range(d) for i in range(N)] + [
        ("B", i, j) for j in range(N) for i in range(N)
    ]
    Pc = len(plist)
    S = np.zeros(N)
    dS = np.zeros((N, Pc))
    d2S = np.zeros((N, Pc, Pc))
    loss = 0.0
    grad = np.zeros(N + Pc)
    hess = np.zeros((N + Pc, N + Pc))
    Js = []
    for t in range(T):
        x = X[t]
        z = np.array(
            [
                sum(fB[k, l] * S[l] for l in range(N)) + sum(gW[k, j] * x[j] for j in range(d))
                for k in range(N)
            ]
        )
        Sn = sig(z)
        s1 = Sn * (1 - Sn)
        s2 = s1 * (1 - 2 * Sn)
        dz = np.zeros((N, Pc))
        for k in range(N):
            for p, (kind, i, j) in enumerate(plist):
                v = sum(fB[k, l] * dS[l, p] for l in range(N))
                if k == i:
                    v += gpW[i, j] * x[j] if kind == "W" else fpB[i, j] * S[j]
                dz[k, p] = v
        dSn = s1[:, None] * dz
        if order == 2:
            d2Sn = np.zeros_like(d2S)
            for k in range(N):
                for p, (ka, i, j) in enumerate(plist):
                    for q, (kb, i2, j2) in enumerate(plist):
                        v = sum(fB[k, l] * d2S[l, p, q] for l in range(N))
                        if ka == "W" and kb == "W":
                            if k == i and i == i2 and j == j2:
                                v += gppW[i, j] * x[j]
                        elif ka == "W" and kb == "B":
                            if k == i2:
                                v += fpB[i2, j2] * dS[j2, p]
                        elif ka == "B" and kb == "W":
                            if k == i:
                                v += fpB[i, j] * dS[j, q]
                        else:
                            if k == i and i == i2 and j == j2:
                                v += fppB[i, j] * S[j]
                            if k == i:
                                v += fpB[i, j] * dS[j, q]
                            if k == i2:
                                v += fpB[i2, j2] * dS[j2, p]
                        d2Sn[k, p, q] = s2[k] * dz[k, p] * dz[k, q] + s1[k] * v
            d2S = d2Sn
        S, dS = Sn, dSn
        Js.append(dS.copy())
        yhat = alpha @ S
        r = yhat - Y[t]
        loss += 0.5 * r * r
        gy = np.concatenate([S, dS.T @ alpha])  # grad of yhat (2.22)
        grad += r * gy
        if order == 2:
            hy = np.zeros((N + Pc, N + Pc))  # (3.57)
            hy[:N, N:] = dS
            hy[N:, :N] = dS.T
            hy[N:, N:] = np.einsum("k,kpq->pq", alpha, d2S)
            hess += np.outer(gy, gy) + r * hy  # (3.56)
    return loss / T, grad / T, (hess / T if order == 2 else None), Js
