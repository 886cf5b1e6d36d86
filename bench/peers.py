"""Outside implementations the tiers are checked and benchmarked against.

Each peer takes the arguments of the public function it mirrors and is ``None`` when its
library is not installed, so ``tests/`` and ``bench/`` share one table and skip together.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - optional peer
    torch = None


def _torch_loss(kind):
    if torch is None:
        return None

    def run(W, X, y):
        """Forward and backward of the data loss with autograd; returns (loss, dW)."""
        Wt = torch.from_numpy(W).requires_grad_(True)
        scores = torch.from_numpy(X) @ Wt
        target = torch.from_numpy(np.asarray(y, dtype=np.int64))
        if kind == "svm":
            loss = W.shape[1] * F.multi_margin_loss(scores, target)
        else:
            loss = F.cross_entropy(scores, target)
        loss.backward()
        return float(loss.detach()), Wt.grad.numpy()

    return run


#: loss kind -> PyTorch forward+backward (None when torch is missing)
TORCH_LOSSES = {"svm": _torch_loss("svm"), "softmax": _torch_loss("softmax")}
