"""What every explainer shares: input checking, the device and mode of the model (set for the
call, restored afterwards), batching and the class score of one task.

The pattern follows tangermeme (jmschrei/tangermeme): functions take ``model, X`` with ``X`` one-hot
``(N, 4, L)`` (numpy or tensor), work in batches on ``device`` (``None``: wherever the model's
parameters are) and return numpy arrays on the CPU.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import numpy as np
import torch

from deemo_gui.core.device import full_float32
from deemo_gui.core.errors import ConfigError, DataError


def as_onehot(X, name: str = "X") -> torch.Tensor:
    """``X`` as a float32 CPU tensor of shape (N, 4, L); a single (4, L) sequence gets N = 1."""
    t = X.detach() if torch.is_tensor(X) else torch.as_tensor(np.asarray(X))
    t = t.to("cpu", torch.float32)
    if t.ndim == 2:
        t = t.unsqueeze(0)
    if t.ndim != 3 or t.shape[1] != 4:
        raise DataError(f"{name} must be one-hot DNA of shape (N, 4, L) with rows A C G T, got {tuple(t.shape)}")
    if t.shape[2] == 0:
        raise DataError(f"{name} has sequences of length 0")
    return t.contiguous()


def check_target(model: torch.nn.Module, target: int) -> int:
    """The task index ``target`` as an int, or ConfigError naming the valid range."""
    n_tasks = int(getattr(model, "n_tasks", 1))
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= int(target) < n_tasks:
        raise ConfigError(f"target must be a task index 0..{n_tasks - 1} of this model, got {target!r}")
    return int(target)


def task_index(model: torch.nn.Module, task) -> int:
    """The output index of ``task``: an index, its text ("2") or a task name from the model's
    metadata ("REST"); ConfigError listing the model's tasks otherwise."""
    n_tasks = int(getattr(model, "n_tasks", 1))
    names = list((getattr(model, "metadata", None) or {}).get("task_names") or [])
    names = names or [f"task{i}" for i in range(n_tasks)]  # the names the app shows for unnamed outputs
    text = str(task).strip()
    if text in names:
        return names.index(text)
    if text.isdigit():
        return check_target(model, int(text))
    listed = ", ".join(f"{i} {n}" for i, n in enumerate(names))
    raise ConfigError(f"no task {text!r} in this model; its tasks: {listed}")


def check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@contextlib.contextmanager
def evaluating(model: torch.nn.Module, device=None) -> Iterator[torch.device]:
    """Put ``model`` in eval mode on ``device`` (None: its own) for the block; restore both after.

    Eval mode matters: dropout off, batch norm on its running statistics, so each sequence's score
    depends on that sequence alone and batching does not change any result.
    """
    old_device, was_training = model_device(model), model.training
    device = full_float32(torch.device(device) if device is not None else old_device)
    # Touch the model only when something changes: `.to()` re-flattens LSTM weights, which breaks a
    # forward pass running on the same model in another thread (the app's parallel workers).
    if was_training:
        model.eval()
    if device != old_device:
        model.to(device)
    try:
        yield device
    finally:
        if device != old_device:
            model.to(old_device)
        if was_training:
            model.train()


def grad_context(device: torch.device, model: torch.nn.Module):
    """cuDNN's LSTM has no backward pass in eval mode ("cudnn RNN backward can only be called in
    training mode"); on CUDA, gradients through a model with an LSTM/GRU use PyTorch's own kernels.

    The switch is global (``torch.backends.cudnn.flags``), so keep the block short: one batch.
    Models without recurrent layers keep cuDNN (fast convolutions).
    """
    if device.type == "cuda" and any(isinstance(m, torch.nn.RNNBase) for m in model.modules()):
        return torch.backends.cudnn.flags(enabled=False, allow_tf32=False)  # its default would turn TF32 on
    return contextlib.nullcontext()


def batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def class_score(model: torch.nn.Module, x: torch.Tensor, target: int) -> torch.Tensor:
    """The class score of task ``target``: the pre-sigmoid logit (N,), as in Simonyan et al. 2014
    and Deep Motif Dashboard sec. 3.1 (the score before the output non-linearity)."""
    return model(x)[:, target]


def logits_of(
    model: torch.nn.Module, X: torch.Tensor, target: int, batch_size: int, device: torch.device
) -> torch.Tensor:
    """Logits of task ``target`` for all of ``X`` (CPU tensor (N,)); the model is already prepared."""
    out = []
    with torch.no_grad():
        for s in batches(len(X), batch_size):
            out.append(class_score(model, X[s].to(device), target).float().cpu())
    return torch.cat(out) if out else torch.zeros(0)


def input_gradients(
    model: torch.nn.Module, X: torch.Tensor, target: int, batch_size: int, device: torch.device
) -> torch.Tensor:
    """d logit_target / d X for every sequence (CPU tensor like ``X``); model already prepared.

    Only the input gets a gradient (``torch.autograd.grad``): the parameters' ``.grad`` are left
    untouched. Summing the batch's scores is exact because in eval mode rows are independent.
    """
    out = torch.empty_like(X)
    for s in batches(len(X), batch_size):
        x = X[s].to(device).requires_grad_(True)
        with grad_context(device, model):
            (g,) = torch.autograd.grad(class_score(model, x, target).sum(), x)
        out[s] = g.detach().float().cpu()
    return out


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32, copy=False)


def private_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of `model` for methods that patch or hook its modules for one call, so that other
    threads (the app predicts and explains the same model in parallel workers) never see the patch.
    A network marked `owned` is used as it is: its caller lends it to one job at a time."""
    return model if getattr(model, _OWNED, False) else copy.deepcopy(model)


_OWNED = "_deemo_owned"


def mark_owned(model: torch.nn.Module) -> torch.nn.Module:
    """Mark `model` as a private copy that one job at a time uses (the app's model runtime):
    `private_copy` then patches it in place for a call instead of copying it."""
    setattr(model, _OWNED, True)
    return model
