"""Persistent request cache (SQLite): a repeated run costs no model calls.

The key hashes the model's identity (provider, weights, settings that change the
answer), the request, and the epoch, so epochs of a sampled task stay distinct and
two differently configured models never share answers. Reads and writes are
batched: one query per chunk of keys, one transaction per flush.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assay.models.base import Request, Response


def default_cache_dir() -> Path:
    env = os.environ.get("ASSAY_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "assay"


def request_key(identity: dict[str, Any], request: Request, epoch: int) -> str:
    blob = json.dumps([identity, request.to_dict(), epoch], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class RequestCache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_cache_dir() / "requests.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL)")
        self._pending: list[tuple[str, str]] = []

    def get_many(self, keys: Iterable[str]) -> dict[str, Response]:
        keys = list(keys)
        found: dict[str, Response] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, response FROM responses WHERE key IN ({marks})", chunk):
                response = Response.from_dict(json.loads(blob))
                response.cached = True
                found[key] = response
        return found

    def put(self, key: str, response: Response) -> None:
        self._pending.append((key, json.dumps(response.to_dict(), ensure_ascii=False)))

    def flush(self) -> None:
        if self._pending:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?)", self._pending)
            self._pending.clear()

    def close(self) -> None:
        self.flush()
        self._db.close()
