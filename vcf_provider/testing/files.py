"""Whole-file writes that readers, crashes and concurrent writers never see half done."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Writes `data` to `path` through a temporary file of its own, then renames it into place.

    Each call gets a unique temporary name (mkstemp), so writers in several threads or processes
    never share one: the last rename wins and no rename finds its file gone. Callers that need the
    newest data to land last serialize their writes themselves.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes it 0600; widen to `mode` for files others read (the CA certificate).
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
