"""The blocking session's verbs beyond reads and writes: kinds, owners, ``/scale``, logs, workloads, exec, manifests.

:class:`BlockingVerbs` is the base of :class:`pykorm.Pykorm` (:mod:`pykorm._session.session`):
each method runs a coroutine of :class:`~pykorm._session.core.SessionCore` or
:mod:`pykorm._session.verbs` to the end (:func:`pykorm._base.drive.run`); ``pykorm.aio.AsyncPykorm``
awaits the same coroutines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Sequence, TypeVar, overload

from .core import SessionCore
from .._base.drive import iterate, run
from .._http.transport import Transport
from . import verbs
from .._http.channels import ExecResult
from .logstream import LogLine, LogStream
from .manifests import ManifestSource
from .subresources import Scale

if TYPE_CHECKING:
    from .._data.stored import Stored
    from ..models._model import Model

__all__ = ["BlockingVerbs"]

M = TypeVar("M", bound="Stored")


class BlockingVerbs(SessionCore[Transport]):
    """The verbs of :class:`pykorm.Pykorm` beyond reads and writes (see the module docstring)."""

    # -- kinds ------------------------------------------------------------------------------

    def model_for(self, api_version: str, kind: str, cluster: str | None = None) -> type[Model]:
        """The model of ``kind`` in ``api_version``: pykorm.k8s's, the program's, else one made from discovery.

        Raises:
            NotFound: the server serves no such kind.
        """
        return run(verbs.model_for(self, api_version, kind, cluster))

    def resource(self, api_version: str, kind: str | None = None, *, cluster: str | None = None) -> type[Model]:
        """A model made at run time from discovery, for kinds nobody declared (made once per session).

        ``resource("apps/v1", "Deployment")``, or ``resource("widgets.example.com")`` (``<plural>.<group>``,
        its preferred version). Fields are plain JSON: lookups go inside as dict paths.

        Raises:
            NotFound: the server serves no such group, version or kind.
        """
        return run(verbs.runtime_model(self, api_version, kind, cluster))

    # -- relationships -------------------------------------------------------------------

    def owners(self, obj: Stored, cluster: str | None = None) -> list[Model]:
        """The owners of ``obj`` that still exist, in reference order, as models of their kinds (see :meth:`model_for`)."""
        return run(verbs.owners(self, obj, cluster))

    def adopt(self, child: M, owner: Stored, *, controller: bool = True, block_owner_deletion: bool = True,
              cluster: str | None = None) -> M:
        """Make ``owner`` an owner of ``child`` (its controller by default) and save ``child`` if it is stored.

        Once every owner is deleted, the garbage collector deletes the child. A new child is only
        changed in memory: save it next.

        Raises:
            ClientValidationError: the owner is not saved, is namespaced in another namespace, or
                the child already has another controller.
        """
        return run(verbs.adopt(self, child, owner, controller, block_owner_deletion, cluster))

    def wait_gone(self, obj: Stored, uid: str | None = None, timeout: float = 60.0, cluster: str | None = None) -> None:
        """Block until ``obj`` (the object of ``uid``, when given) no longer exists: a GET, then fewer as time goes.

        Raises:
            WaitTimeout: still there after ``timeout`` seconds; ``last`` is the object as last read.
        """
        run(self._wait_gone(obj, uid, timeout, cluster))

    # -- scale -------------------------------------------------------------------------------

    def get_scale(self, obj: Stored, cluster: str | None = None) -> Scale:
        """``obj``'s ``/scale`` subresource: replicas asked for and running, and the pods' selector.

        Raises:
            NotFound: the object is gone, or its kind has no ``/scale``.
        """
        return run(self._get_scale(obj, cluster))

    def scale(self, obj: Stored, replicas: int, cluster: str | None = None, *, dry_run: bool = False) -> Scale:
        """Set ``obj``'s replicas through ``/scale`` (any kind that has it); returns the new Scale.

        Raises:
            ValueError: ``replicas`` is not an int >= 0. NotFound: no such object or no ``/scale``.
        """
        return run(self._scale(obj, replicas, cluster, dry_run=dry_run))

    # -- logs ----------------------------------------------------------------------------------

    @overload
    def logs(self, pod: Stored, container: str | None = ..., *, tail_lines: int | None = ...,
             since_seconds: int | None = ..., previous: bool = ..., follow: Literal[False] = ...,
             cluster: str | None = ..., timeout: float | None = ...) -> str: ...
    @overload
    def logs(self, pod: Stored, container: str | None = ..., *, tail_lines: int | None = ...,
             since_seconds: int | None = ..., previous: bool = ..., follow: Literal[True],
             cluster: str | None = ..., timeout: float | None = ...) -> LogStream: ...

    def logs(self, pod: Stored, container: str | None = None, *, tail_lines: int | None = None,
             since_seconds: int | None = None, previous: bool = False, follow: bool = False,
             cluster: str | None = None, timeout: float | None = None) -> str | LogStream:
        """A pod's log as text; with ``follow=True`` an iterator of lines as they are written, which
        ``stop()`` ends from any thread (:class:`pykorm.LogStream`).

        Args:
            container: needed when the pod has several. previous: the last terminated container's log.
            timeout: seconds the call may take, retries included; with ``follow``, the iteration ends
                then, whatever the server does (None: it follows until the log ends).

        Raises:
            ValueError: a negative or non-int count. ValidationError: the server refused (no such container).
            ServerUnavailable: the server could not be reached, or (following) the connection broke.
        """
        options = (container, tail_lines, since_seconds, previous)
        if follow:
            return LogStream(lambda opened: iterate(self._follow_logs(pod, options, cluster, timeout, opened)))
        return run(self._logs(pod, options, cluster, timeout))

    # -- workloads ---------------------------------------------------------------------------------

    def pods_of(self, workload: Stored, cluster: str | None = None) -> list[Model]:
        """The pods of a Deployment (through its ReplicaSets), ReplicaSet, StatefulSet, DaemonSet or Job, found by
        owner references (not by label selector: another workload's pods with the same labels are not
        its), oldest first.

        Raises:
            ClientValidationError: ``workload`` is not saved, or its kind owns no pods.
        """
        return run(verbs.pods_of(self, workload, cluster))

    def workload_logs(self, workload: Stored, container: str | None = None, *, tail_lines: int | None = None,
                      cluster: str | None = None, timeout: float | None = None) -> list[LogLine]:
        """The logs of a workload's started pods (:meth:`pods_of`), every container's (or ``container``'s),
        each line with its pod and container: oldest pod first, containers in the pod's order.

        Raises:
            ClientValidationError: as :meth:`pods_of`. ValidationError: no such container.
        """
        return run(verbs.workload_logs(self, workload, container, tail_lines, cluster, timeout))

    # -- exec ------------------------------------------------------------------------------------

    def exec(self, pod: Stored, command: Sequence[str], container: str | None = None, *,
             stdin: str | bytes | None = None, timeout: float | None = None, cluster: str | None = None) -> ExecResult:
        """Run ``command`` in a container of ``pod`` (as ``kubectl exec``); return its output and exit code.

        Speaks the API server's websocket protocol (``v5.channel.k8s.io``; ``v4`` where the server
        lacks it, and then ``stdin`` is sent but never closed). A non-zero exit is no error: see
        ``result.exit_code`` (``result.ok``).

        Args:
            command: the program and its arguments, not a shell line (``["sh", "-c", "..."]`` for one).
            container: needed when the pod has several.
            stdin: sent to the command's standard input, then closed (str: as UTF-8).
            timeout: seconds the command may take (None: no limit); then the connection is closed and
                :class:`WaitTimeout` raised, with the output so far as ``last`` (whether the command goes on is
                the runtime's affair: kubelets and kwok let it run).

        Raises:
            ClientValidationError: an empty command, or ``pod`` is no Pod. NotFound: no such pod.
            ValidationError: no such container, or the pod is not running (the server's 400).
            Forbidden: no ``create`` on ``pods/exec``. ExecFailed: the command could not run.
            WaitTimeout: the command was still running after ``timeout`` seconds.
            ServerUnavailable: the server could not be reached, or the connection broke.

        >>> pk.exec(pod, ["sh", "-c", "echo hi; exit 3"])
        ExecResult(exit_code=3, stdout=b'hi\\n', stderr=b'')
        """
        return run(self._exec(pod, command, container, stdin, timeout, cluster))

    # -- manifests ------------------------------------------------------------------------------

    def apply_manifests(self, source: ManifestSource, cluster: str | None = None, *, field_manager: str | None = None,
                        force: bool = False, dry_run: bool = False, recursive: bool = False) -> list[Model]:
        """Server-side apply every object of ``source`` (YAML/JSON text, a path, dicts, or a list of them).

        A path may name a folder: its ``*.json``, ``*.yaml`` and ``*.yml`` files are read in name order
        (with ``recursive``, its subfolders' too), as ``kubectl apply -f DIR [-R]`` reads them.
        Kinds are resolved as :meth:`model_for` does; Namespaces and CRDs are applied first, and
        each CRD is waited for until served (as :meth:`install_crds` does), so that objects of its
        kind can follow in the same source. Returns the objects as the server stored them.

        Raises:
            ClientValidationError: unreadable source, a folder without manifest files, or an object
                without apiVersion, kind or name.
            NotFound: a kind the server does not serve. ApiError: the first refused object (those before it stay applied).
        """
        return run(verbs.apply_manifests(self, source, cluster, field_manager, force, dry_run, recursive, 4))
