#!/usr/bin/env python3
"""A learner's homework in NumPy: multi-head attention from the page's exported
inputs (the "inputs (.npz)" button), written from the formulas and sharing
nothing with the core, right and with each usual mistake of analysis/homework.h.

    homework_numpy.py INPUTS.npz OUT_DIR SIZES_JSON

SIZES_JSON: {"dtype": "float32" | "float64", "n_heads", "n_kv_heads", "d_head",
"scale", "dropout", "fully_masked": "zero" | "nan" | "uniform"}. Writes
OUT_DIR/<target>-<mistake>.npy for the targets weights, context and output and
every mistake that applies to the target ("right" for none, "batched" for the
right one with PyTorch's batch axis). Used by tests/test_homework.cpp and
tests/e2e/homework.test.mjs.
"""
import json
import sys

import numpy as np

d = np.load(sys.argv[1]); out = sys.argv[2]; c = json.loads(sys.argv[3])
f = np.dtype(c["dtype"]).type
H, G, dh, p = c["n_heads"], c["n_kv_heads"], c["d_head"], c["dropout"]
lin = lambda a, n: a[0].astype(f) @ d["w_" + n].astype(f).T + d["b_" + n].astype(f)
Q, K, V = lin(d["x"], "q"), lin(d["x_kv"], "k"), lin(d["x_kv"], "v")
n, m = Q.shape[0], K.shape[0]
blocked = ~d["attn_mask"]
keep = d["dropout_keep"][0].astype(f)

def split(P, heads, rows, view_only):
    return P.reshape(heads, rows, dh) if view_only else P.reshape(rows, heads, dh).transpose(1, 0, 2)

def softmax(s, axis, fully_masked):
    top = s.max(axis=axis, keepdims=True)
    none = np.isneginf(top)  # every entry blocked
    e = np.exp(s - np.where(none, 0, top))
    with np.errstate(invalid="ignore"):
        w = e / e.sum(axis=axis, keepdims=True)
    if fully_masked == "zero": w = np.where(none, 0, w)
    elif fully_masked == "uniform": w = np.where(none, f(1) / s.shape[axis], w)
    else: w = np.where(none, np.nan, w)
    return w.astype(f)

def weights(mistake):
    view_only = mistake == "split_without_transpose"
    q, k = split(Q, H, n, view_only), np.repeat(split(K, G, m, view_only), H // G, axis=0)
    s = q @ k.transpose(0, 2, 1)
    if mistake != "unscaled": s = s * f(c["scale"])
    if mistake in ("no_mask", "mask_after_softmax"):
        w = softmax(s, -1, c["fully_masked"])
        return np.where(blocked, f(0), w) if mistake == "mask_after_softmax" else w
    s = np.where(blocked, f(-np.inf), s)
    if mistake == "no_softmax": return s
    if mistake == "softmax_over_queries": return softmax(s, -2, "nan")
    return softmax(s, -1, c["fully_masked"])

def context(mistake):
    w = weights(mistake)
    if p > 0 and mistake != "no_dropout":
        w = w * keep / (f(1) if mistake == "dropout_not_rescaled" else f(1 - p))
    v = np.repeat(split(V, G, m, mistake == "split_without_transpose"), H // G, axis=0)
    return w @ v

def output(mistake):
    ctx = context(mistake)
    view_only = mistake in ("merge_without_transpose", "split_without_transpose")
    concat = ctx.reshape(n, H * dh) if view_only else ctx.transpose(1, 0, 2).reshape(n, H * dh)
    if mistake == "no_output_projection": return concat
    return concat @ d["w_o"].astype(f).T + d["b_o"].astype(f)

common = ["right", "unscaled", "mask_after_softmax", "no_mask", "softmax_over_queries", "split_without_transpose"]
dropout = ["no_dropout", "dropout_not_rescaled"]
targets = {"weights": (weights, common + ["no_softmax"]), "context": (context, common + dropout),
           "output": (output, common + dropout + ["merge_without_transpose", "no_output_projection"])}
for name, (fn, mistakes) in targets.items():
    for mistake in mistakes:
        np.save("%s/%s-%s.npy" % (out, name, mistake), fn(mistake))
    right = fn("right")
    np.save("%s/%s-transposed.npy" % (out, name), np.swapaxes(right, -1, -2))
    np.save("%s/%s-batched.npy" % (out, name), right[None])
