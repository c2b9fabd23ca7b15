"""A stand-in for the few torch operations the exported script uses, on NumPy.

PyTorch cannot be installed here (no PyPI), so the end-to-end test runs the
exported script against this module to check that it reproduces the
playground's numbers. Each function follows torch's semantics for float32
tensors, including softmax giving NaN on a row of -inf.
"""
import numpy as np


def _a(x):
    return x.a if isinstance(x, Tensor) else x


class Tensor:
    def __init__(self, a):
        self.a = np.asarray(a)

    shape = property(lambda self: tuple(self.a.shape))
    T = property(lambda self: Tensor(self.a.T))

    def __matmul__(self, o): return Tensor(self.a @ _a(o))
    def __add__(self, o): return Tensor(self.a + _a(o))
    def __radd__(self, o): return Tensor(_a(o) + self.a)
    def __sub__(self, o): return Tensor(self.a - _a(o))
    def __mul__(self, o): return Tensor(self.a * _a(o))
    def __rmul__(self, o): return Tensor(_a(o) * self.a)
    def __truediv__(self, o): return Tensor(self.a / _a(o))
    def __invert__(self): return Tensor(~self.a)

    def view(self, *shape): return Tensor(self.a.reshape(shape))
    reshape = view
    def transpose(self, i, j): return Tensor(np.swapaxes(self.a, i, j))
    def contiguous(self): return Tensor(np.ascontiguousarray(self.a))
    def repeat_interleave(self, n, dim): return Tensor(np.repeat(self.a, n, axis=dim))
    def any(self, dim, keepdim=False): return Tensor(self.a.any(axis=dim, keepdims=keepdim))
    def abs(self): return Tensor(np.abs(self.a))
    def max(self): return Tensor(self.a.max())
    def item(self): return float(self.a)
    def nan_to_num(self): return Tensor(np.nan_to_num(self.a, nan=0.0))


def from_numpy(a): return Tensor(a)
def tanh(x): return Tensor(np.tanh(_a(x)))
def where(c, a, b): return Tensor(np.where(_a(c), _a(a), _a(b)))
def zeros_like(x): return Tensor(np.zeros_like(_a(x)))
def full_like(x, v): return Tensor(np.full_like(_a(x), v))


def softmax(x, dim):
    a = _a(x)
    with np.errstate(invalid="ignore"):
        m = a.max(axis=dim, keepdims=True)
        e = np.exp(a - m)  # a row of -inf gives nan, as in torch
        return Tensor(e / e.sum(axis=dim, keepdims=True))
