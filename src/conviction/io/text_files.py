"""Read a user's text file: every way it can fail becomes a ``FormatError`` naming it.

Files are UTF-8; a byte order mark at the start (Notepad writes one) is dropped. A
folder, a FIFO or device, a symlink loop, a missing or unreadable file, or bytes that are
not UTF-8 are all reported as the project's own error, never as a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from conviction.errors import FormatError

__all__ = ["read_text_file"]


def read_text_file(path: str | Path) -> str:
    """The text of ``path`` decoded as UTF-8 (a leading BOM dropped), newlines kept as is."""
    path = Path(path)
    try:
        # stat first: opening a FIFO would wait for a writer forever
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise FormatError("is a folder, expected a file", file=path)
        if not stat.S_ISREG(mode):
            raise FormatError("not a regular file (a FIFO, socket or device?)", file=path)
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise FormatError("file not found", file=path) from None
    except PermissionError:
        raise FormatError("permission denied: cannot read the file", file=path) from None
    except IsADirectoryError:
        raise FormatError("is a folder, expected a file", file=path) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FormatError("symbolic link loop", file=path) from None
        reason = exc.strerror or str(exc)
        raise FormatError(f"cannot read the file ({reason})", file=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(
            f"not a UTF-8 text file (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            file=path,
            line=line,
        ) from None
