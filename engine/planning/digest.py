"""The content digest that seals plan files (``plan_digest``, ``fleet_digest``) and that approvals sign."""

from __future__ import annotations

import hashlib
import json


def content_digest(body: dict) -> str:
    """sha256 of a plan document's content, independent of key order and layout."""
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
