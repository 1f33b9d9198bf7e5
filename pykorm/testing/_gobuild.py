"""Building the control plane's assets with Go, one at a time into a staging folder.

The Kubernetes binaries come from a throw-away Go module generated in the
cache: it requires ``k8s.io/kubernetes`` at :data:`KUBERNETES_VERSION`,
replaces every staging module named in that release's own ``go.mod`` with its
published ``v0.Y.Z`` and builds the etcd server that release pins, with the
Go that go.mod asks for: the machine's when it is new enough, else
:data:`GO_TOOLCHAIN` from the Go module proxy (``GOTOOLCHAIN``). kwok is its
own module, installed at :data:`KWOK_VERSION` with its own dependencies; its
stage manifests are copied from that module's source.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import IO, Any, Callable, Mapping

from ._errors import BuildFailed, GoNotFound
from .._base.versions import GO_TOOLCHAIN, KWOK_VERSION

__all__ = ["FILE_NAMES", "KWOK_STAGES", "Builder", "ReleaseModule", "go_number", "go_toolchain", "go_toolchain_for",
           "kwok_stages_text", "parse_go_directive", "parse_release_gomod", "wrapper_gomod"]

Log = Callable[[str], None]


FILE_NAMES = {
    "etcd": "etcd",
    "kube_apiserver": "kube-apiserver",
    "kube_controller_manager": "kube-controller-manager",
    "kube_scheduler": "kube-scheduler",
    "kwok": "kwok",
    "kwok_stages": "kwok-stages.yaml",
}


KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)


@dataclasses.dataclass(frozen=True)
class ReleaseModule:
    """What pykorm needs to know from a Kubernetes release's own ``go.mod``."""

    go_version: str
    godebug: tuple[str, ...]
    staging_modules: tuple[str, ...]
    etcd_version: str


def parse_release_gomod(text: str) -> ReleaseModule:
    """Read the go directive, godebug lines, staging replaces and etcd pin from a release's go.mod."""
    go = re.search(r"^go\s+(\S+)", text, re.M)
    etcd = re.search(r"^\s*go\.etcd\.io/etcd/server/v3\s+(v\S+)", text, re.M)
    if go is None or etcd is None:
        raise BuildFailed("the Kubernetes release's go.mod has no go directive or no etcd server requirement")
    godebug = tuple(m.group(1) for m in re.finditer(r"^godebug\s+(.+)$", text, re.M))
    staging = tuple(
        sorted(m.group(1) for m in re.finditer(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/", text, re.M))
    )
    if not staging:
        raise BuildFailed("the Kubernetes release's go.mod replaces no staging module; is it a release go.mod?")
    return ReleaseModule(go.group(1), godebug, staging, etcd.group(1))


def wrapper_gomod(version: str, release: ReleaseModule) -> str:
    """The go.mod of the module that builds the control plane for ``version``."""
    minor = "v0." + version.split(".", 1)[1]
    lines = ["module pykorm.local/controlplane", "", f"go {release.go_version}", ""]
    lines += [f"godebug {g}" for g in release.godebug]
    lines += [
        "",
        "require (",
        f"\tk8s.io/kubernetes {version}",
        f"\tgo.etcd.io/etcd/server/v3 {release.etcd_version}",
        ")",
        "",
        "replace (",
    ]
    lines += [f"\t{m} => {m} {minor}" for m in release.staging_modules]
    lines += [")", ""]
    return "\n".join(lines)


_TARGETS = {
    "kube_apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
    "kube_controller_manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
    "kube_scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
    "etcd": "go.etcd.io/etcd/server/v3",
}


@dataclasses.dataclass
class Builder:
    """Makes one asset at a time into ``staging`` with the Go toolchain ``go``."""

    go: str
    version: str
    folder: Path
    staging: Path
    log: IO[str]
    log_path: Path
    say: Log
    release: ReleaseModule | None = None
    toolchain: str = "local"  # GOTOOLCHAIN: the machine's Go, or the one a module's go.mod needs

    @property
    def go_version(self) -> str:
        return self.toolchain if self.toolchain != "local" else _go_version(self.go)

    def make(self, field: str) -> None:
        if field == "kwok":
            self.say(f"pykorm: compiling kwok {KWOK_VERSION} (about 3 minutes on 2 cores)")
            module = self._download(f"sigs.k8s.io/kwok@{KWOK_VERSION}")
            self._use_go(parse_go_directive(Path(module["GoMod"]).read_text()), f"sigs.k8s.io/kwok {KWOK_VERSION}")
            env = {**self._env(), "GOBIN": str(self.staging), "GOFLAGS": ""}  # outside any module: no -mod
            self._go(["install", "-trimpath", "-ldflags", "-s -w", f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}"],
                     self.folder, env)
        elif field == "kwok_stages":
            self.say(f"pykorm: copying the stage manifests of sigs.k8s.io/kwok@{KWOK_VERSION}")
            source = Path(self._download(f"sigs.k8s.io/kwok@{KWOK_VERSION}")["Dir"])
            (self.staging / FILE_NAMES[field]).write_text(kwok_stages_text(source))
        else:
            self._compile(field)

    def _compile(self, field: str) -> None:
        src = self.folder / "src"
        if self.release is None:
            module = self._download(f"k8s.io/kubernetes@{self.version}")
            self.release = parse_release_gomod(Path(module["GoMod"]).read_text())
            self._use_go(self.release.go_version, f"Kubernetes {self.version}")
            (src / "go.mod").write_text(wrapper_gomod(self.version, self.release))
        major, minor = self.version.lstrip("v").split(".")[:2]
        prefix = "k8s.io/component-base/version"
        ldflags = f"-s -w -X {prefix}.gitVersion={self.version} -X {prefix}.gitMajor={major} -X {prefix}.gitMinor={minor}"
        name = FILE_NAMES[field]
        self.say(f"pykorm: compiling {name} (a cold build of kube-apiserver takes 10-25 minutes on 2 cores)")
        self._go(["build", "-trimpath", "-ldflags", ldflags, "-o", str(self.staging / name), _TARGETS[field]], src)

    def _download(self, module: str) -> dict[str, Any]:
        """``go mod download`` one module (from a probe module in ``src``); its JSON description.

        The wrapper's go.mod and go.sum are put back afterwards: its next build needs no new checksums.
        """
        src = self.folder / "src"
        src.mkdir(parents=True, exist_ok=True)
        kept = {path: path.read_bytes() for path in (src / "go.mod", src / "go.sum") if path.exists()}
        (src / "go.mod").write_text("module pykorm.local/probe\n\ngo 1.21\n")
        (src / "go.sum").unlink(missing_ok=True)
        try:
            answer: dict[str, Any] = json.loads(self._go(["mod", "download", "-json", module], src))
        finally:
            for path, content in kept.items():
                path.write_bytes(content)
        return answer

    def _use_go(self, required: str, what: str) -> None:
        """Build with a Go of at least ``required`` (a go.mod's go directive), fetching one when the machine's is older."""
        toolchain = go_toolchain_for(required, _go_version(self.go))
        if toolchain != "local" and toolchain != self.toolchain:
            self.say(f"pykorm: {what} needs Go {required}, newer than the machine's {_go_version(self.go)}: "
                     f"building with GOTOOLCHAIN={toolchain} (fetched once from the Go module proxy)")
        self.toolchain = toolchain

    def _env(self) -> dict[str, str]:
        return {**os.environ, "GOTOOLCHAIN": self.toolchain, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}

    def _go(self, args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
        return _run([self.go, *args], cwd, env or self._env(), self.log, self.log_path)


def parse_go_directive(gomod: str) -> str:
    """The Go version a go.mod asks for (``1.26.0``); ``1.21`` when it says none (Go's own default is older)."""
    found = re.search(r"^go\s+(\S+)", gomod, re.M)
    return found.group(1) if found else "1.21"


def go_toolchain_for(required: str, machine: str) -> str:
    """``GOTOOLCHAIN`` for a module that needs Go ``required`` (``"1.27.0"``) on a machine with ``machine``
    (``"go1.26.8"``): ``"local"`` when the machine's is new enough, else :data:`GO_TOOLCHAIN`.

    Raises:
        BuildFailed: even :data:`GO_TOOLCHAIN` is older than ``required``.
    """
    if go_number(required) <= go_number(machine):
        return "local"
    if go_number(required) <= go_number(GO_TOOLCHAIN):
        return GO_TOOLCHAIN
    raise BuildFailed(f"the module needs Go {required}, newer than the machine's {machine} and than {GO_TOOLCHAIN}, "
                      "the toolchain pykorm knows to ask the Go module proxy for; install a newer Go")


def go_number(version: str) -> tuple[int, ...]:
    """``go1.26.8`` / ``1.27`` / ``1.27rc1`` as comparable numbers (a pre-release counts as its release's .0)."""
    parts = re.findall(r"\d+", re.sub(r"(rc|beta)\d*$", "", version.removeprefix("go")))[:3]
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))


def kwok_stages_text(kwok_source: Path) -> str:
    """kwok's fast stages from its module source, as one multi-document YAML file that keeps their origin."""
    header = (
        f"# The stages of sigs.k8s.io/kwok {KWOK_VERSION} (https://github.com/kubernetes-sigs/kwok),\n"
        "# Copyright The Kubernetes Authors, licensed under the Apache License, Version 2.0\n"
        "# (http://www.apache.org/licenses/LICENSE-2.0). Copied unchanged by pykorm from:\n"
    )
    documents = []
    for relative in KWOK_STAGES:
        path = kwok_source / relative
        try:
            documents.append(f"# {relative}\n" + path.read_text().strip() + "\n")
        except OSError as error:
            raise BuildFailed(f"kwok's module has no stage manifest {relative} ({error})") from error
    return header + "---\n".join(documents)


def go_toolchain() -> str:
    go = os.environ.get("PYKORM_GO") or shutil.which("go")
    if not go:
        raise GoNotFound(
            "building the local control plane needs the Go toolchain (go 1.26 or newer), and `go` is not on PATH. "
            "Install it (https://go.dev/doc/install, or your package manager's golang package), "
            "or point KUBEBUILDER_ASSETS at ready binaries (setup-envtest use -p path)."
        )
    return go


def _go_version(go: str) -> str:
    return subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False).stdout.strip()


def _run(cmd: list[str], cwd: Path, env: Mapping[str, str], log: IO[str], log_path: Path) -> str:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=log, text=True, check=False)
    log.write(proc.stdout[-4000:] + "\n")
    log.flush()
    if proc.returncode != 0:
        tail = "\n".join(log_path.read_text().splitlines()[-25:])
        raise BuildFailed(f"`{' '.join(cmd[:3])} ...` failed with exit code {proc.returncode}; end of {log_path}:\n{tail}")
    return proc.stdout
