"""Progress and status lines on stderr: the training bar (redrawn in place on a terminal, one line per
epoch otherwise: logs, CI) and the model trust verdict."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, enabled: bool = True, stream=None, width: int = 30):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width

    def step(self, event) -> None:
        if not (self.enabled and self.tty) or (event.step % 5 and event.step != event.n_steps):
            return
        filled = int(self.width * event.step / event.n_steps)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\repoch {event.epoch} [{bar}] {event.step}/{event.n_steps} loss {event.loss:.4f}")
        self.stream.flush()

    def status(self, text: str) -> None:
        if self.enabled:
            self.stream.write(("\r" + " " * (self.width + 50) + "\r" if self.tty else "") + text + "\n")
            self.stream.flush()

    def epoch(self, event) -> None:
        if not self.enabled:
            return
        mark = " *" if event.improved else ""
        line = (
            f"epoch {event.epoch}/{event.max_epochs}: loss {event.train_loss:.4f}, valid AUROC "
            f"{event.valid_auroc:.4f} AUPR {event.valid_aupr:.4f}, lr {event.lr:.2g}, "
            f"{event.seconds:.1f} s ({event.sequences_per_second:,.0f} seq/s){mark}"
        )
        self.stream.write(("\r" + " " * (self.width + 50) + "\r" if self.tty else "") + line + "\n")
        self.stream.flush()


def print_verdict(model, stream=None):
    """Print the model's trust verdict (core.verdict) on one line; returns it."""
    from deemo_gui.core.verdict import for_model

    trust = for_model(model)
    print(f"deemo: model verdict: {trust.summary}", file=stream or sys.stderr)
    return trust
