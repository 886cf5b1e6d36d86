"""A progress bar for the long stages: tqdm's when it is installed, else lines on stderr."""

from __future__ import annotations

import sys


class Progress:
    """tqdm's bar when tqdm is installed; otherwise a line on stderr every 5%."""

    def __init__(self, total: int, enabled: bool, what: str):
        self.total, self.enabled, self.what, self.bar = total, enabled, what, None
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc=what, leave=False)
            except ImportError:
                pass

    def update(self, done: int, loss: float | None = None, n: int = 1) -> None:
        """``done`` units of ``total`` are finished, the last ``n`` of them just now."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            if loss is not None:
                self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        elif done // max(1, self.total // 20) != (done - n) // max(1, self.total // 20) or done == self.total:
            tail = "" if loss is None else f"  loss {loss:.4f}"
            print(f"{self.what}: {done}/{self.total}{tail}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
