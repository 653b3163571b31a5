"""Safe model files: one safetensors file whose header metadata holds a JSON description.

Reading metadata needs neither torch nor the weights (the model picker lists files instantly).
Loading never unpickles: weights are read by `safetensors`, the network is rebuilt from the preset
and hyperparameters in the metadata, and a SHA-256 of the weights guards against tampering.

Format 2 also covers the metadata (hyperparameters, task names, test metrics, provenance) with a
SHA-256 (`metadata_sha256`), so an edited AUROC or task name is refused like edited weights. Format 1
files still load; they are *unsigned* (`is_signed` is False) and saying so is the caller's job.
The metadata is checked against a schema with bounds (`modelschema`) and the tensor shapes in the
header against a network built on torch's meta device before any weight is allocated, so a crafted
`hidden_units: 1000000000` is refused in milliseconds.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import shutil
import struct
from typing import TYPE_CHECKING

from deemo_gui.core.atomic import atomic_path
from deemo_gui.core.errors import ConfigError, DataError, ModelFileError
from deemo_gui.core.inputfile import check_regular_file
from deemo_gui.core.modelschema import validate_metadata

if TYPE_CHECKING:
    from deemo_gui.core.networks.base import SequenceNetwork

log = logging.getLogger(__name__)

FORMAT = "deemo-model"
FORMAT_VERSION = 2
_METADATA_KEY = "deemo"
_DIGEST_KEY = "metadata_sha256"
# Keys that describe the network and its weights: `update_metadata` refuses to change them.
PROTECTED_KEYS = (
    "format",
    "format_version",
    "preset",
    "hparams",
    "n_tasks",
    "input_length",
    "alphabet",
    "weights_sha256",
    _DIGEST_KEY,
)


def metadata_digest(meta: dict) -> str:
    """SHA-256 of the canonical JSON of `meta` without its own digest (covers weights_sha256 too)."""
    body = {k: v for k, v in meta.items() if k != _DIGEST_KEY}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=False).encode()).hexdigest()


def is_signed(meta: dict) -> bool:
    """Whether the metadata is covered by its checksum (format 2 and later; checked on read)."""
    return bool(meta.get(_DIGEST_KEY)) and meta.get("format_version", 1) >= 2


def _signed_json(meta: dict) -> str:
    meta = {k: v for k, v in meta.items() if k != _DIGEST_KEY}
    meta.update(format_version=FORMAT_VERSION)
    meta[_DIGEST_KEY] = metadata_digest(meta)
    return json.dumps(meta, sort_keys=True, allow_nan=False)


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
    from safetensors.torch import save

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
    meta.setdefault(
        "task_names", ["bound"] * model.n_tasks if model.n_tasks == 1 else [f"task{i}" for i in range(model.n_tasks)]
    )
    meta.setdefault("saved", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    try:
        text = _signed_json(meta)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model metadata must be JSON without NaN/Inf ({exc})") from None
    path = os.fspath(path)
    data = save(state, metadata={_METADATA_KEY: text})
    # Bytes into our temporary file: safetensors' own save_file writes a private (0600) temporary file of
    # its own, which a kill leaves behind under a name unrelated to the model's
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return path


def read_metadata(path: str | os.PathLike) -> dict:
    """The JSON metadata of a model file, checked for format, schema and checksum; weights are not read."""
    path = os.fspath(path)
    header = _read_header(path)
    extra = header.get("__metadata__")
    raw = extra.get(_METADATA_KEY) if isinstance(extra, dict) else None
    if not isinstance(raw, str):
        raise ModelFileError(f"{path}: a safetensors file but not a deemo model (no deemo metadata)")
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError):
        raise ModelFileError(f"{path}: damaged deemo metadata (not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFileError(f"{path}: not a deemo model file (format {str(found)[:40]!r})")
    version = meta.get("format_version")
    if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1):
        raise ModelFileError(f"{path}: damaged deemo metadata (format_version {str(version)[:40]!r})")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: made by a newer deemo (format {version}); update deemo-gui to open it")
    if version >= 2:
        try:
            ok = meta.get(_DIGEST_KEY) == metadata_digest(meta)
        except ValueError:  # NaN/Inf cannot have been written by save_model
            ok = False
        if not ok:
            raise ModelFileError(
                f"{path}: metadata do not match their checksum — the file was edited or damaged; "
                "use the original file or retrain"
            )
    validate_metadata(meta, path)
    return meta


def update_metadata(path: str | os.PathLike, extra: dict) -> str:
    """Merge ``extra`` into a model file's metadata in place; returns the path.

    Only the header is rewritten: the tensor bytes are copied unchanged, so the weights and their
    checksum stay identical; the metadata checksum is renewed (a format-1 file becomes format 2).
    Keys in ``PROTECTED_KEYS`` cannot be changed. The new file is checked before it replaces the old one.
    """
    path = os.fspath(path)
    meta = read_metadata(path)
    clash = sorted(k for k in extra if k in PROTECTED_KEYS and extra[k] != meta.get(k))
    if clash:
        raise ConfigError(f"{path}: metadata keys {', '.join(clash)} describe the weights and cannot be changed")
    meta.update(extra)
    header = _read_header(path)
    try:
        header.setdefault("__metadata__", {})[_METADATA_KEY] = _signed_json(meta)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"metadata must be JSON-serialisable, without NaN/Inf ({exc})") from None
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes
    with atomic_path(path) as tmp:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            src.seek(8 + struct.unpack("<Q", src.read(8))[0])
            dst.write(struct.pack("<Q", len(raw)) + raw)
            shutil.copyfileobj(src, dst)
        read_metadata(tmp)
    return path


def load_model(path: str | os.PathLike, device="cpu") -> SequenceNetwork:
    """The network (`torch.nn.Module`) in eval mode with `.metadata` attached; `ModelFileError` for
    anything unsafe or wrong."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from deemo_gui.core.networks import build_network, stored_hparams

    path = os.fspath(path)
    meta = read_metadata(path)
    try:
        hparams = stored_hparams(meta["preset"], meta["hparams"])
    except ConfigError as exc:
        raise ModelFileError(f"{path}: cannot rebuild the network ({exc})") from None
    build = dict(n_tasks=meta["n_tasks"], input_length=meta["input_length"], **hparams)
    stored = _tensor_shapes(_read_header(path), path)
    try:
        with torch.device("meta"):  # shapes and dtypes only: nothing is allocated
            shapes = {
                k: (tuple(v.shape), _SAFETENSORS_DTYPE.get(str(v.dtype), str(v.dtype)))
                for k, v in build_network(meta["preset"], **build).state_dict().items()
            }
    except (ConfigError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: cannot rebuild the network ({str(exc).splitlines()[0]})") from None
    if stored != shapes:
        wrong = sorted(set(stored) ^ set(shapes)) or sorted(k for k in shapes if shapes[k] != stored[k])
        raise ModelFileError(
            f"{path}: weights do not fit preset {meta['preset']!r} with its hyperparameters (first mismatch: "
            f"{wrong[0]!r}) — the file was changed or damaged"
        )
    try:
        state = load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: damaged weights ({exc})") from None
    if weights_digest(state) != meta.get("weights_sha256"):
        raise ModelFileError(f"{path}: weights do not match their checksum — the file was changed or damaged")
    bad = next((k for k, t in sorted(state.items()) if t.is_floating_point() and not torch.isfinite(t).all()), None)
    if bad is not None:
        raise ModelFileError(
            f"{path}: weights contain NaN or Inf (tensor {bad!r}) — training diverged; retrain it "
            "(a lower learning rate usually helps)"
        )
    model = build_network(meta["preset"], **build)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ModelFileError(f"{path}: weights do not fit preset {meta['preset']!r} ({first})") from None
    model.metadata = meta
    if not is_signed(meta):
        log.warning(
            "%s: format-%s model file: its metadata (task names, test AUROC, provenance) are not covered "
            "by a checksum; re-save it to sign them",
            path,
            meta["format_version"],
        )
    return model.eval().to(device)


# str(torch dtype) -> the dtype name in a safetensors header
_SAFETENSORS_DTYPE = {
    "torch.float32": "F32",
    "torch.float64": "F64",
    "torch.float16": "F16",
    "torch.bfloat16": "BF16",
    "torch.int64": "I64",
    "torch.int32": "I32",
    "torch.int16": "I16",
    "torch.int8": "I8",
    "torch.uint8": "U8",
    "torch.bool": "BOOL",
}


def _tensor_shapes(header: dict, path: str) -> dict:
    """Tensor name → (shape, dtype name) from a safetensors header, checked for type."""
    shapes = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        shape = info.get("shape") if isinstance(info, dict) else None
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise ModelFileError(f"{path}: damaged weights (tensor {str(name)[:40]!r} has no valid shape)")
        shapes[name] = (tuple(shape), info.get("dtype"))
    return shapes


_MAX_HEADER_BYTES = 16 * 1024**2  # a zoo model's header is ~10 KB


def _read_header(path: str) -> dict:
    try:
        check_regular_file(path, "model file")
    except DataError as exc:
        raise ModelFileError(str(exc)) from None
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(9)
        n = struct.unpack("<Q", head[:8])[0] if len(head) == 9 else 0
        if not (0 < n <= min(size - 8, _MAX_HEADER_BYTES) and head[8:9] == b"{"):
            if head[:1] == b"\x80" or head[:4] == b"PK\x03\x04":
                raise ModelFileError(
                    f"{path}: a pickled PyTorch checkpoint; deemo never unpickles files (they can run code) — "
                    "save models with `deemo train` or deemo_gui.save_model"
                )
            raise ModelFileError(f"{path}: not a safetensors model file")
        raw = head[8:] + fh.read(n - 1)
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError):
        raise ModelFileError(f"{path}: not a safetensors model file (unreadable header)") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: not a safetensors model file")
    return header
