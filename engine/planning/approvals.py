"""Signed approvals of a plan file: ``recon approve`` signs it, apply counts the signatures it trusts.

``approve(plan_path, key_path)`` signs the plan's digest, recomputed from the file's content
(a plan edited after signing has another digest, whoever recomputes its seal), with
``ssh-keygen -Y sign -n recon-plan`` (the SSH signature format git uses for signed commits),
and appends it to the sidecar ``PLANFILE.approvals``. The sidecar holds no identity: only the
signed digest, the key's fingerprint and the signature. Who signed is decided where apply runs,
by an allowed-signers file (``ssh-keygen`` format, ``RECON_ALLOWED_SIGNERS`` or
``--allowed-signers``): ``verify`` checks each signature with ``ssh-keygen -Y find-principals``
and ``-Y verify`` and counts distinct principals; ``require`` refuses (exit 3) fewer than
``max(1, approvals.required)`` of the plan's environment, naming what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from ..errors import ReportError, SafetyRefusal, UsageError
from .digest import content_digest

NAMESPACE = "recon-plan"
SIDECAR_FORMAT = "recon.approvals/v1"
ALLOWED_SIGNERS_ENV = "RECON_ALLOWED_SIGNERS"
SEALS = {"recon.plan/v1": "plan_digest", "recon.fleet-plan/v1": "fleet_digest"}  # the documents one can approve, and their seal


@dataclass(frozen=True)
class Approval:
    """One signature of a plan: what was signed, with which key, when (no principal: the deploy side names it)."""

    plan_id: str | None
    digest: str  # the plan's content digest the signature is over, as the signer's recon computed it
    key: str  # the signing key's fingerprint (SHA256:...), as ssh-keygen read it from the signature
    signature: str  # the armored SSH signature (-----BEGIN SSH SIGNATURE-----)
    signed_at: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Approvals:
    """The signatures a plan carries in its sidecar file (``source`` None: there is none)."""

    source: str | None = None
    entries: tuple[Approval, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """What apply made of a plan's approvals: whom it counts, what it did not count and why."""

    checked: bool  # False: no allowed signers where apply runs, so nothing was verified
    required: int
    approvers: tuple[str, ...] = ()  # distinct principals with a valid signature, in sidecar order
    problems: tuple[str, ...] = ()  # one sentence per signature not counted
    sidecar: str | None = None
    signatures: int = 0
    allowed_signers: str | None = None

    @property
    def ok(self) -> bool:
        return not self.checked or len(self.approvers) >= self.required

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for the apply report."""
        if not self.checked:
            held = f"{self.signatures} approval(s) in {self.sidecar}" if self.signatures else "no approvals"
            return f"approvals: not checked ({held}; no allowed signers: set {ALLOWED_SIGNERS_ENV} or --allowed-signers)"
        return f"approved by {', '.join(self.approvers)} ({len(self.approvers)} of {self.required} required; allowed signers {self.allowed_signers})"


def sidecar_path(plan_path: str) -> str:
    return f"{plan_path}.approvals"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- signing -------------------------------------------------------------------------------

def sealed_digest(data, source: str) -> str:
    """The content digest of a plan (or fleet plan) document, refusing one whose seal does not match it."""
    seal = SEALS.get(data.get("format")) if isinstance(data, dict) else None
    if seal is None:
        raise ReportError(f"{source}: not a recon plan (expected format 'recon.plan/v1' or 'recon.fleet-plan/v1')")
    digest = content_digest({k: v for k, v in data.items() if k != seal})
    if data.get(seal) != digest:
        raise SafetyRefusal(f"{source} was changed after recon plan wrote it ({seal} does not match): approve only a plan as it was made")
    return digest


def message(digest: str) -> bytes:
    """The bytes signed and verified: the plan's content digest."""
    return f"{digest}\n".encode()


def ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if not found:
        raise UsageError("ssh-keygen is not installed: approvals are SSH signatures (install openssh-client)")
    return found


def _run(args: list[str], data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([ssh_keygen(), *args], input=data, capture_output=True, timeout=60, check=False)


def _said(done: subprocess.CompletedProcess) -> str:
    """ssh-keygen's own words (its 'Signing data on standard input' note left out)."""
    text = (done.stderr + done.stdout).decode(errors="replace")
    return "; ".join(line.strip() for line in text.splitlines() if line.strip() and "on standard input" not in line)


def sign(digest: str, key_path: str, plan_id: str | None) -> Approval:
    """Sign ``digest`` with the SSH key at ``key_path`` (a private key, or a public key whose private half is in ssh-agent)."""
    if not os.path.isfile(key_path):
        raise UsageError(f"--key {key_path}: no such key file")
    done = _run(["-Y", "sign", "-f", key_path, "-n", NAMESPACE], message(digest))
    signature = done.stdout.decode(errors="replace")
    if done.returncode != 0 or "BEGIN SSH SIGNATURE" not in signature:
        raise UsageError(f"--key {key_path}: ssh-keygen could not sign with it ({_said(done) or f'exit {done.returncode}'})")
    with tempfile.TemporaryDirectory() as tmp:
        sig = os.path.join(tmp, "sig")
        with open(sig, "w", encoding="utf-8") as fh:
            fh.write(signature)
        checked = _run(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", sig], message(digest))
    return Approval(plan_id, digest, _fingerprint(checked.stdout.decode(errors="replace")), signature, now())


def _fingerprint(said: str) -> str:
    """``SHA256:...`` from ssh-keygen's 'Good "recon-plan" signature ... key SHA256:...' line ('' if absent)."""
    words = said.split()
    return next((w for w in words if w.startswith("SHA256:")), "")


@dataclass(frozen=True)
class Approved:
    """What ``recon approve`` did: the plan signed, the sidecar written, the new signature, how many it holds."""

    plan: str
    sidecar: str
    approval: Approval
    signatures: int

    def to_dict(self) -> dict:
        return {"format": "recon.approve/v1", "plan": self.plan, "sidecar": self.sidecar, "plan_id": self.approval.plan_id,
                "digest": self.approval.digest, "key": self.approval.key, "signed_at": self.approval.signed_at,
                "signatures": self.signatures}


def approve(plan_path: str, key_path: str) -> Approved:
    """Sign the plan file at ``plan_path`` with ``key_path`` and append the signature to ``PLANFILE.approvals``
    (owner-only). Who signed is not written: apply's allowed signers name the key's principal."""
    data = _read_json(plan_path, "plan file")
    digest = sealed_digest(data, plan_path)
    held = read_sidecar(plan_path)  # a damaged sidecar is refused before anything is signed
    approval = sign(digest, key_path, data.get("plan_id"))
    path = sidecar_path(plan_path)
    entries = held.entries + (approval,)
    _write_private(path, json.dumps({"format": SIDECAR_FORMAT, "approvals": [e.to_dict() for e in entries]}, indent=2) + "\n")
    return Approved(plan_path, path, approval, len(entries))


def _write_private(path: str, text: str) -> None:
    """Write through a temporary file beside it, owner-only, then rename: a sidecar is never half written."""
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _read_json(path: str, what: str):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: not a readable {what} ({exc})") from None


def read_sidecar(plan_path: str) -> Approvals:
    """The approvals beside ``plan_path`` (``Approvals()`` when it has no sidecar)."""
    path = sidecar_path(plan_path)
    if not os.path.exists(path):
        return Approvals()
    data = _read_json(path, "approvals file")
    if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
        raise ReportError(f"{path}: not a recon approvals file (expected format {SIDECAR_FORMAT!r})")
    try:
        return Approvals(path, tuple(Approval(**e) for e in data["approvals"]))
    except (KeyError, TypeError) as exc:
        raise ReportError(f"{path}: malformed approvals file ({exc})") from None


# -- verifying, where apply runs --------------------------------------------------------------

def allowed_signers(given: str | None = None) -> str | None:
    """The allowed-signers file apply trusts: ``given`` (``--allowed-signers``), else ``RECON_ALLOWED_SIGNERS``, else None."""
    path = given or os.environ.get(ALLOWED_SIGNERS_ENV) or None
    if path is not None and not os.path.isfile(path):
        source = "--allowed-signers" if given else f"${ALLOWED_SIGNERS_ENV}"
        raise UsageError(f"{source} names {path}, which is not a file: apply checks approvals against it (nothing was applied)")
    return path


def required(gates) -> int:
    return max(1, gates.approvals_required or 0)


@dataclass
class _Count:
    """Running tally of ``verify``: principals counted, keys seen, problems."""

    approvers: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def verify(digest: str, approvals: Approvals, gates, allowed: str | None) -> Verdict:
    """Check every signature of ``approvals`` against ``digest`` (the plan's own, recomputed from its content)
    and the allowed-signers file ``allowed``; without one nothing is checked (``Verdict.checked`` False)."""
    need = required(gates) if allowed else gates.approvals_required
    common = {"required": need, "sidecar": approvals.source, "signatures": len(approvals.entries), "allowed_signers": allowed}
    if not allowed:
        return Verdict(False, **common)
    tally = _Count()
    with tempfile.TemporaryDirectory() as tmp:
        for number, entry in enumerate(approvals.entries, 1):
            sig = os.path.join(tmp, f"{number}.sig")
            with open(sig, "w", encoding="utf-8") as fh:
                fh.write(entry.signature)
            _count(tally, entry, number, sig, digest, allowed)
    return Verdict(True, **common, approvers=tuple(tally.approvers), problems=tuple(tally.problems))


def _count(tally: _Count, entry: Approval, number: int, sig: str, digest: str, allowed: str) -> None:
    """Count one signature for its principal, or say why it does not count."""
    key = entry.key or f"signature {number}"
    found = _run(["-Y", "find-principals", "-s", sig, "-f", allowed], b"")
    principals = [p.strip() for p in found.stdout.decode(errors="replace").splitlines() if p.strip()] if found.returncode == 0 else []
    if not principals:
        tally.problems.append(f"signer with key {key} is unknown: not in the allowed signers {allowed}")
        return
    results = []
    for principal in principals:
        results.append((principal, _run(["-Y", "verify", "-f", allowed, "-I", principal, "-n", NAMESPACE, "-s", sig], message(digest))))
        if results[-1][1].returncode == 0:
            break
    else:
        why = (f"it was made for {entry.digest}, this plan's content is {digest} (the plan changed after signing)"
               if entry.digest != digest else f"ssh-keygen: {_said(results[-1][1]) or 'it does not verify'}")
        said = why.lower()
        fault = "is not allowed for recon plans" if "namespace" in said else "does not match this plan"
        tally.problems.append(f"signature of {principals[0]} (key {key}) {fault}: {why}")
        return
    good = results[-1]
    principal, fingerprint = good[0], _fingerprint(good[1].stdout.decode(errors="replace")) or key
    if principal in tally.approvers or fingerprint in tally.keys:
        tally.problems.append(f"{principal} signed more than once: counted once")
        return
    tally.approvers.append(principal)
    tally.keys[fingerprint] = principal


def require(verdict: Verdict, what: str, saved: bool = True) -> None:
    """Refuse (exit 3) a plan (``what``: ``plan ID``) with fewer valid approvals than required, naming what is missing;
    ``saved`` False: a plan made on the spot, which no one could sign."""
    if verdict.ok:
        return
    have = len(verdict.approvers)
    head = f"approvals: {what} has {have} valid of {verdict.required} required (distinct principals of {verdict.allowed_signers})"
    if not saved:
        head += ("; a plan made on the spot has no approvals: save it with `recon plan --out FILE`, have FILE approved, "
                 "then apply FILE")
    elif verdict.sidecar is None:
        head += "; it has no approvals file (PLANFILE.approvals, written by `recon approve PLANFILE --key KEY`)"
    counted = f"; counted: {', '.join(verdict.approvers)}" if have else ""
    problems = "".join(f"\n  {p}" for p in verdict.problems)
    raise SafetyRefusal(f"{head}{counted}{problems}\nhave the plan approved with `recon approve PLANFILE --key KEY`, "
                        "then apply it again (nothing was applied)")
