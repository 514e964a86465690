"""Reading and writing the files recon takes and produces (reports, plans), with clear errors."""

from __future__ import annotations

import json
import os

from ..errors import ReportError, UsageError


def read_json(path: str):
    """The JSON in ``path``; a ReportError naming the file (and line) when unreadable or not JSON."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None


def write_text(path: str, text: str) -> None:
    """Write an output file readable by its owner only (plans and reports hold row values), whatever
    the umask and whatever mode an earlier file of that name had; an unwritable path is a UsageError."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def load_plan(path: str):
    """Read a plan file written by ``recon plan --out`` (a ``Plan``; the planning stage loads only then),
    with the signed approvals of its sidecar ``PLANFILE.approvals``, if it has one."""
    from dataclasses import replace

    from ..planning.approvals import read_sidecar
    from ..planning.planfile import Plan

    return replace(Plan.from_dict(read_json(path), path), approvals=read_sidecar(path))
