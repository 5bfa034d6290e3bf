"""The one atomic writer: every output file is written beside itself, synced, then renamed into place."""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


def fsync(path: str | Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):  # file systems that cannot sync a folder
            raise
    finally:
        os.close(fd)


def stage(path: Path, write) -> str:
    """Write `path`'s content to a temporary file beside it, on disk; returns the temporary file's path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the mode any new file would get
        fsync(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return tmp


class StagedInChild:
    """`stage` run in a forked process, so a slow file is written while the others are.

    The child reports back only an errno or an exception's class name (a message could quote
    note text) and prints nothing; its temporary file is removed if it fails or is abandoned.
    """

    def __init__(self, path: Path, write):
        import multiprocessing as mp
        self.path = path
        self.reader, writer_end = mp.Pipe(duplex=False)
        self.process = mp.get_context("fork").Process(target=self._run, args=(path, write, writer_end), daemon=True)
        self.process.start()
        writer_end.close()

    @staticmethod
    def _run(path: Path, write, conn) -> None:
        try:
            conn.send(("ok", stage(path, write)))
        except OSError as e:
            conn.send(("oserror", e.errno))
        except BaseException as e:  # noqa: BLE001 - reported by class name to the parent
            conn.send(("error", e.__class__.__name__))
        finally:
            conn.close()

    def result(self) -> str:
        """The temporary file's path, once the child has written it; raises what the child met."""
        try:
            kind, value = self.reader.recv()
        except EOFError:
            kind, value = "error", "ChildProcessError"  # the child died without a word
        self.process.join()
        if kind == "ok":
            return value
        if kind == "oserror":
            raise OSError(value, os.strerror(value) if value else "write failed", str(self.path))
        raise RuntimeError(f"writing {self.path.name} failed ({value})")

    def abandon(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)


def atomic_write(path: Path, write) -> None:
    """Write `path` through a temporary file beside it (`write(tmp)` fills it), synced, then renamed: a reader
    sees the old file or the whole new one, never half a file."""
    os.replace(stage(path, write), path)
