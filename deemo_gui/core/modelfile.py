"""Safe model files: one safetensors file whose header metadata holds a JSON description.

Reading metadata needs neither torch nor the weights (the model picker lists files instantly).
Loading never unpickles: weights are read by `safetensors`, the network is rebuilt from the preset
and hyperparameters in the metadata, and a SHA-256 of the weights guards against tampering.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import struct

from deemo_gui.core.errors import ConfigError, ModelFileError

FORMAT = "deemo-model"
FORMAT_VERSION = 1
_METADATA_KEY = "deemo"
# Keys that describe the network and its weights: `update_metadata` refuses to change them.
PROTECTED_KEYS = ("format", "format_version", "preset", "hparams", "n_tasks", "input_length", "alphabet",
                  "weights_sha256")


def weights_digest(state: dict) -> str:
    """SHA-256 over tensor names, dtypes, shapes and bytes, in name order."""
    import torch

    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_model(model, path: str, metadata: dict | None = None) -> str:
    """Write `model` (a registry network) and its metadata to `path`; returns the path."""
    from safetensors.torch import save_file

    from deemo_gui import __version__

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = dict(getattr(model, "metadata", {}) or {})
    meta.update(metadata or {})
    meta.update(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        preset=model.preset,
        hparams=model.hparams,
        n_tasks=model.n_tasks,
        input_length=model.input_length,
        alphabet="ACGT",
        package_version=__version__,
        weights_sha256=weights_digest(state),
    )
    meta.setdefault("task_names", ["bound"] * model.n_tasks if model.n_tasks == 1 else [f"task{i}" for i in range(model.n_tasks)])
    meta.setdefault("saved", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_file(state, path, metadata={_METADATA_KEY: json.dumps(meta, sort_keys=True)})
    return path


def read_metadata(path: str) -> dict:
    """The JSON metadata of a model file, checked for format; weights are not read."""
    path = os.fspath(path)
    header = _read_header(path)
    raw = (header.get("__metadata__") or {}).get(_METADATA_KEY)
    if raw is None:
        raise ModelFileError(f"{path}: a safetensors file but not a deemo model (no deemo metadata)")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise ModelFileError(f"{path}: damaged deemo metadata (not JSON)") from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a deemo model file (format {meta.get('format')!r})")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: made by a newer deemo (format {meta['format_version']}); update deemo-gui to open it"
        )
    return meta


def update_metadata(path: str, extra: dict) -> str:
    """Merge ``extra`` into a model file's metadata in place; returns the path.

    Only the header is rewritten: the tensor bytes are copied unchanged, so the weights and their
    checksum stay identical. Keys in ``PROTECTED_KEYS`` cannot be changed. The new file is checked
    before it replaces the old one.
    """
    path = os.fspath(path)
    meta = read_metadata(path)
    clash = sorted(k for k in extra if k in PROTECTED_KEYS and extra[k] != meta.get(k))
    if clash:
        raise ConfigError(f"{path}: metadata keys {', '.join(clash)} describe the weights and cannot be changed")
    meta.update(extra)
    header = _read_header(path)
    try:
        header.setdefault("__metadata__", {})[_METADATA_KEY] = json.dumps(meta, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"metadata must be JSON-serialisable ({exc})") from None
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes
    tmp = path + ".tmp"
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            src.seek(8 + struct.unpack("<Q", src.read(8))[0])
            dst.write(struct.pack("<Q", len(raw)) + raw)
            shutil.copyfileobj(src, dst)
        read_metadata(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_model(path: str, device="cpu"):
    """The network (`torch.nn.Module`) in eval mode with `.metadata` attached; `ModelFileError` for
    anything unsafe or wrong."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from deemo_gui.core.networks import build_network

    path = os.fspath(path)
    meta = read_metadata(path)
    try:
        state = load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: damaged weights ({exc})") from None
    if weights_digest(state) != meta.get("weights_sha256"):
        raise ModelFileError(f"{path}: weights do not match their checksum — the file was changed or damaged")
    try:
        model = build_network(meta["preset"], n_tasks=meta["n_tasks"], input_length=meta["input_length"], **meta["hparams"])
    except (ConfigError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: cannot rebuild the network ({exc})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ModelFileError(f"{path}: weights do not fit preset {meta['preset']!r} ({first})") from None
    model.metadata = meta
    return model.eval().to(device)


def _read_header(path: str) -> dict:
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a folder, not a model file")
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(9)
        n = struct.unpack("<Q", head[:8])[0] if len(head) == 9 else 0
        if not (0 < n <= min(size - 8, 100_000_000) and head[8:9] == b"{"):
            if head[:1] == b"\x80" or head[:4] == b"PK\x03\x04":
                raise ModelFileError(
                    f"{path}: a pickled PyTorch checkpoint; deemo never unpickles files (they can run code) — "
                    "save models with `deemo train` or deemo_gui.save_model"
                )
            raise ModelFileError(f"{path}: not a safetensors model file")
        raw = head[8:] + fh.read(n - 1)
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelFileError(f"{path}: not a safetensors model file (unreadable header)") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: not a safetensors model file")
    return header
