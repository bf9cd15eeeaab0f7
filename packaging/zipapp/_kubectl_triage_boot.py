"""Start-up of the kubectl-triage zipapp (scripts/dist puts this file at the archive's root).

1. Checks the Python version before anything else is imported. This file is written for every
   Python 3 (no f-strings, no annotations, nothing newer than 3.3): it must still be able to
   say "too old" on the oldest python3 that `#!/usr/bin/env python3` can find.
2. Runs the code from an unpacked copy of the archive in the user's cache folder, unpacked
   once per build. Why not from the archive itself: a zip cannot hold a bytecode cache, so on a
   Python minor version other than the build's (whose .pyc the archive carries) every run would
   compile every module again (3-5 s for a command that loads the kubernetes client, against
   0.5 s), and the shipped demo bundle must be a real folder. If the cache folder cannot be
   written, it runs from the archive anyway (slower on other versions, no `demo`).
3. Runs the CLI or the completion program.

Environment: KUBECTL_TRIAGE_ZIPAPP_CACHE (default $XDG_CACHE_HOME/kubectl-triage, else
~/.cache/kubectl-triage) is where it unpacks; KUBECTL_TRIAGE_ZIPAPP_CACHE=off runs from the
archive.
"""

import os
import sys

MINIMUM = (3, 10)
# Filled in by scripts/dist: one id per build (a digest of the archive's other files).
BUILD_ID = "@BUILD_ID@"
COMPLETE = ".complete"


def check_python(version_info=None):
    """Exit 1 with a one-line error when the running Python is older than MINIMUM."""
    version = tuple(sys.version_info if version_info is None else version_info)
    if version[:2] >= MINIMUM:
        return
    # %-formatting, not f-strings: this line must parse on the Pythons it turns away
    sys.stderr.write(
        "error: kubectl-triage needs Python >= %d.%d; the python3 on PATH is %s (%s). "  # noqa: UP031
        "Install a newer Python 3 and put it first on PATH.\n"
        % (MINIMUM[0], MINIMUM[1], ".".join(str(part) for part in version[:3]),
           sys.executable or "python3")
    )
    sys.exit(1)


def run(entry):
    """entry: "cli" for kubectl-triage, "completion" for kubectl_complete-triage."""
    check_python()
    archive = os.path.dirname(os.path.abspath(__file__))
    if os.path.isfile(archive):  # not when run from a source checkout
        unpacked = _unpacked(archive)
        if unpacked:
            sys.path[:] = [unpacked] + [
                p for p in sys.path if not p or os.path.abspath(p) != archive]
    if entry == "completion":
        from kubectl_triage.completion import main
    else:
        from kubectl_triage.cli import main
    main()


def _cache_root(env):
    root = env.get("KUBECTL_TRIAGE_ZIPAPP_CACHE")
    if root:
        return None if root == "off" else root
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kubectl-triage")


def _unpacked(archive):
    """The folder holding this build's files, unpacked now if needed; None if impossible."""
    root = _cache_root(os.environ)
    if root is None:
        return None
    target = os.path.join(root, "zipapp-" + BUILD_ID)
    try:
        if os.path.isdir(root) and not _private(root):
            return None  # someone else could plant code there: run from the archive
        if os.path.isfile(os.path.join(target, COMPLETE)):
            return target if _private(target) else None
        return _unpack(archive, root, target)
    except (OSError, ValueError):
        return None  # read-only or full disk: run from the archive


def _private(path):
    """Owned by this user and writable by no one else: code run from it is the archive's.
    A cache root in a shared folder (a world-writable XDG_CACHE_HOME, /tmp) is not."""
    if not hasattr(os, "getuid"):
        return True  # Windows: krew ships this plugin for Linux and macOS only
    info = os.lstat(path)
    return info.st_uid == os.getuid() and not info.st_mode & 0o022 and not os.path.islink(path)


def _unpack(archive, root, target):
    import shutil
    import tempfile
    import zipfile
    from importlib.util import MAGIC_NUMBER, cache_from_source

    os.makedirs(root, mode=0o700, exist_ok=True)
    if os.path.isdir(target):  # an incomplete copy (interrupted clean-up): start again
        shutil.rmtree(target, ignore_errors=True)
    work = tempfile.mkdtemp(prefix=".unpack-", dir=root)
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = info.filename
                if name.startswith("/") or ".." in name.split("/") or name.endswith("/"):
                    continue
                data = zf.read(info)
                if name.endswith(".pyc"):
                    # the archive's bytecode, kept only if this Python can use it
                    if data[:4] != MAGIC_NUMBER:
                        continue
                    name = cache_from_source(name[:-1], optimization="")
                path = os.path.join(work, *name.split("/"))
                parent = os.path.dirname(path)
                if not os.path.isdir(parent):
                    os.makedirs(parent)
                with open(path, "wb") as handle:
                    handle.write(data)
        open(os.path.join(work, COMPLETE), "w").close()
        os.rename(work, target)  # atomic: a concurrent run sees all of it or nothing
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if os.path.isfile(os.path.join(target, COMPLETE)):
            return target  # another run unpacked it first
        raise
    _remove_old_builds(root)
    return target


def _remove_old_builds(root, keep=3):
    # Each upgrade unpacks a new build (about 50 MB): keep the newest few, so that two
    # versions used in turn do not unpack again and again; and drop what a killed run left.
    import shutil
    import time

    builds = []
    for name in os.listdir(root):
        path = os.path.join(root, name)
        marker = os.path.join(path, COMPLETE)
        if name.startswith("zipapp-") and os.path.isfile(marker):
            builds.append((os.stat(marker).st_mtime, name))
        elif name.startswith(".unpack-") and os.stat(path).st_mtime < time.time() - 3600:
            shutil.rmtree(path, ignore_errors=True)
    for _, name in sorted(builds, reverse=True)[keep:]:
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
