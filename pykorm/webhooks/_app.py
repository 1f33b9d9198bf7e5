"""``Webhooks``: the admission and conversion functions of one app, their endpoints and their manifests.

    >>> webhooks = Webhooks("databases", namespace="shop")      # the Service databases.shop.svc serves them
    >>> @webhooks.validate(Database)
    ... def check(db: Database, old: Database | None) -> list[str]:
    ...     return ["spec.instances: at most 5"] if db.instances > 5 else []
    >>> webhooks.manifests(ca_bundle=ca)    # a ValidatingWebhookConfiguration pointing at the Service

Endpoints: ``/validate/<group|core>/<version>/<plural>`` and ``/mutate/...`` per model (one webhook
entry each in the configurations, with its rules, failure policy, timeout, side effects and selectors),
``/convert`` for every CRD conversion. :meth:`Webhooks.handle` answers one request without any I/O;
:class:`~pykorm.webhooks.WebhookServer` serves it over HTTPS.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any, Callable, Mapping, Sequence, TypeVar

from .._base.names import name_error
from .._http.resource import ResourceType, resource_of
from ._admission import Hook, admit, check_operations
from ._conversion import Converter, Resource, convert_review

__all__ = ["DEFAULT_MAX_BODY", "Endpoint", "Webhooks"]

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_MAX_BODY = 64 * 1024 * 1024
"""The largest request body served (bytes): a ConversionReview of a list holds every object of a page."""

_FAILURE_POLICIES = ("Fail", "Ignore")
_SIDE_EFFECTS = ("None", "NoneOnDryRun")


@dataclasses.dataclass
class Endpoint:
    """One admission endpoint: the hooks of one model and kind (validating or mutating), and their options."""

    mutating: bool
    model: type
    failure_policy: str
    timeout_seconds: int
    side_effects: str
    namespace_selector: dict[str, Any] | None
    object_selector: dict[str, Any] | None
    hooks: list[Hook] = dataclasses.field(default_factory=list)

    @property
    def resource(self) -> ResourceType:
        return resource_of(self.model)

    @property
    def path(self) -> str:
        resource = self.resource
        return f"/{'mutate' if self.mutating else 'validate'}/{resource.group or 'core'}/{resource.version}/{resource.plural}"

    def options(self) -> tuple[Any, ...]:
        return (self.failure_policy, self.timeout_seconds, self.side_effects,
                json.dumps(self.namespace_selector, sort_keys=True), json.dumps(self.object_selector, sort_keys=True))


class Webhooks:
    """The admission and conversion webhooks of one app.

    Args:
        name: names the webhook configurations (and the Service, unless ``service`` does); a DNS label.
        namespace: the namespace of the Service that serves them.
        service: the Service's name (default: ``name``).
        port: the Service's port.
    """

    def __init__(self, name: str, *, namespace: str = "default", service: str | None = None, port: int = 443) -> None:
        error = name_error(name, "name", label=True)
        if error is not None:
            raise ValueError(f"Webhooks({name!r}): {error}")
        self.name = name
        self.namespace = namespace
        self.service = service or name
        self.port = port
        self.endpoints: dict[str, Endpoint] = {}
        self.resources: dict[str, Resource] = {}

    # -- registering ----------------------------------------------------------------------

    def validate(
        self,
        model: type,
        *,
        operations: Sequence[str] = ("CREATE", "UPDATE"),
        failure_policy: str = "Fail",
        timeout_seconds: int = 10,
        side_effects: str = "None",
        namespace_selector: Mapping[str, Any] | None = None,
        object_selector: Mapping[str, Any] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function to validate ``model``'s objects (see :mod:`._admission`).

        Args:
            operations: ``CREATE``, ``UPDATE``, ``DELETE``, ``CONNECT`` (or ``*``).
            failure_policy: ``Fail`` (the API server refuses what it could not have checked: the webhook
                down or too slow) or ``Ignore`` (admits it).
            timeout_seconds: how long the API server waits for an answer (1 to 30).
            side_effects: ``None`` or ``NoneOnDryRun`` (a function with side effects checks ``request.dry_run``).
            namespace_selector, object_selector: label selectors (``{"matchLabels": {...}}``) of what is sent.

        Raises:
            TypeError: an unknown option, or options that disagree with an earlier function of the same model.
        """
        return self._register(False, model, operations, failure_policy, timeout_seconds, side_effects,
                              namespace_selector, object_selector)

    def default(
        self,
        model: type,
        *,
        operations: Sequence[str] = ("CREATE", "UPDATE"),
        failure_policy: str = "Fail",
        timeout_seconds: int = 10,
        side_effects: str = "None",
        namespace_selector: Mapping[str, Any] | None = None,
        object_selector: Mapping[str, Any] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function to change ``model``'s objects before they are stored (a mutating
        webhook; the answer is a JSON patch of its changes). Options as :meth:`validate`'s, DELETE excepted."""
        return self._register(True, model, operations, failure_policy, timeout_seconds, side_effects,
                              namespace_selector, object_selector)

    def convert(self, source: type, target: type) -> Callable[[Converter], Converter]:
        """Register ``function(src, dst)`` converting ``source``'s version of a resource into ``target``'s.

        One version is the hub: register, for every other version, a function to the hub and one from it
        (see :mod:`._conversion`). ``dst`` holds the object's metadata in the target version; fill its fields.

        Raises:
            TypeError: the models are not two versions of one custom resource, or the pair is registered already.
        """
        resource = resource_of(source)
        if not resource.group or "." not in resource.group:
            raise TypeError(f"{source.__name__} is a built-in {resource.kind}: only custom resources have conversions")

        def register(function: Converter) -> Converter:
            self.resources.setdefault(resource.crd_name, Resource(source)).add(source, target, function)
            return function

        return register

    def _register(self, mutating: bool, model: type, operations: Sequence[str], failure_policy: str,
                  timeout_seconds: int, side_effects: str, namespace_selector: Mapping[str, Any] | None,
                  object_selector: Mapping[str, Any] | None) -> Callable[[F], F]:
        resource = resource_of(model)
        found = check_operations(operations, mutating)
        if failure_policy not in _FAILURE_POLICIES:
            raise TypeError(f"failure_policy={failure_policy!r}: choose {' or '.join(_FAILURE_POLICIES)}")
        if side_effects not in _SIDE_EFFECTS:
            raise TypeError(f"side_effects={side_effects!r}: choose {' or '.join(_SIDE_EFFECTS)}")
        if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, int) or not 1 <= timeout_seconds <= 30:
            raise TypeError(f"timeout_seconds={timeout_seconds!r}: a whole number of seconds from 1 to 30")
        endpoint = Endpoint(mutating, model, failure_policy, timeout_seconds, side_effects,
                            dict(namespace_selector) if namespace_selector else None,
                            dict(object_selector) if object_selector else None)

        def register(function: F) -> F:
            known = self.endpoints.setdefault(endpoint.path, endpoint)
            if known.model is not model:
                raise TypeError(f"{model.__name__} and {known.model.__name__} are both {resource.api_version} "
                                f"{resource.plural}: one model per resource and version")
            if known.options() != endpoint.options():
                raise TypeError(f"{getattr(function, '__qualname__', function)}: the functions of one model share one "
                                f"webhook, so their failure_policy, timeout_seconds, side_effects and selectors must "
                                f"agree (already: {known.options()})")
            known.hooks.append(Hook(mutating, model, function, found))
            return function

        return register

    # -- serving ---------------------------------------------------------------------------

    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON answer for a POST of ``body`` to ``path`` (no I/O: the server's core).

        400 for a body that is no review (malformed JSON, another kind, no uid), 404 for an unknown path;
        otherwise 200 with the review's answer, a refusal included.
        """
        path = path.split("?", 1)[0].rstrip("/") or "/"
        endpoint = self.endpoints.get(path)
        if endpoint is None and path != "/convert":
            return 404, {"error": f"no webhook at {path}; paths: {', '.join(self.paths()) or 'none'}"}
        try:
            review = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            return 400, {"error": f"the body is not JSON: {error}"}
        if not isinstance(review, dict):
            return 400, {"error": "the body is not a JSON object"}
        try:
            if endpoint is not None:
                return 200, admit(review, endpoint.hooks)
            return 200, convert_review(review, self.resources)
        except ValueError as error:
            return 400, {"error": str(error)}

    def paths(self) -> list[str]:
        """Every path served."""
        return [*self.endpoints, *(["/convert"] if self.resources else [])]

    def check(self) -> None:
        """Check that every resource's conversions go through a hub (raises ``TypeError`` saying what is missing)."""
        for resource in self.resources.values():
            resource.hub  # noqa: B018 - raises when incomplete

    # -- manifests ------------------------------------------------------------------------

    def client_config(self, path: str, *, url: str | None = None, ca_bundle: bytes | str | None = None) -> dict[str, Any]:
        """A webhook's ``clientConfig``: the URL (``https://host:port``, to which ``path`` is added) or the Service."""
        config: dict[str, Any]
        if url is not None:
            config = {"url": url.rstrip("/") + path}
        else:
            config = {"service": {"namespace": self.namespace, "name": self.service, "path": path, "port": self.port}}
        if ca_bundle:
            data = ca_bundle.encode() if isinstance(ca_bundle, str) else ca_bundle
            config["caBundle"] = base64.b64encode(data).decode()
        return config

    def manifests(
        self,
        *,
        url: str | None = None,
        ca_bundle: bytes | str | None = None,
        name: str | None = None,
        namespace_selector: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """The ValidatingWebhookConfiguration and MutatingWebhookConfiguration (those that have webhooks).

        Args:
            url: reach the webhooks at this base URL instead of the Service (tests: the local server).
            ca_bundle: the PEM of the CA that signed the serving certificate.
            name: the configurations' name (default: the app's name).
            namespace_selector: replaces every webhook's own (scope them to one namespace, say).
            labels: the configurations' labels.
        """
        made = []
        for mutating, kind in ((False, "ValidatingWebhookConfiguration"), (True, "MutatingWebhookConfiguration")):
            endpoints = [e for e in self.endpoints.values() if e.mutating is mutating]
            if not endpoints:
                continue
            metadata: dict[str, Any] = {"name": name or self.name}
            if labels:
                metadata["labels"] = dict(labels)
            made.append({
                "apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": metadata,
                "webhooks": [self._webhook(e, name or self.name, url, ca_bundle, namespace_selector) for e in endpoints],
            })
        return made

    def _webhook(self, endpoint: Endpoint, name: str, url: str | None, ca_bundle: bytes | str | None,
                 namespace_selector: Mapping[str, Any] | None) -> dict[str, Any]:
        resource = endpoint.resource
        operations = sorted({o for h in endpoint.hooks for o in h.operations})
        webhook: dict[str, Any] = {
            "name": f"{resource.plural}.{resource.group or 'core'}.{name}.pykorm.io",
            "clientConfig": self.client_config(endpoint.path, url=url, ca_bundle=ca_bundle),
            "rules": [{"apiGroups": [resource.group], "apiVersions": [resource.version], "operations": operations,
                       "resources": [resource.plural], "scope": "Namespaced" if resource.namespaced else "Cluster"}],
            "admissionReviewVersions": ["v1"],
            "sideEffects": endpoint.side_effects,
            "failurePolicy": endpoint.failure_policy,
            "timeoutSeconds": endpoint.timeout_seconds,
            "matchPolicy": "Equivalent",
        }
        selector = namespace_selector if namespace_selector is not None else endpoint.namespace_selector
        if selector:
            webhook["namespaceSelector"] = dict(selector)
        if endpoint.object_selector:
            webhook["objectSelector"] = dict(endpoint.object_selector)
        if endpoint.mutating:
            webhook["reinvocationPolicy"] = "Never"
        return webhook

    def conversion(self, model: type, *, url: str | None = None, ca_bundle: bytes | str | None = None) -> dict[str, Any] | None:
        """The ``spec.conversion`` of the CRD of ``model``'s resource: a Webhook to ``/convert``; None when the
        app converts no version of it."""
        resource = resource_of(model)
        if resource.crd_name not in self.resources:
            return None
        self.resources[resource.crd_name].hub  # noqa: B018 - incomplete conversions fail here, not in the API server
        return {"strategy": "Webhook", "webhook": {
            "clientConfig": self.client_config("/convert", url=url, ca_bundle=ca_bundle),
            "conversionReviewVersions": ["v1"],
        }}

    def crds(self, *models: type, url: str | None = None, ca_bundle: bytes | str | None = None) -> list[dict[str, Any]]:
        """The CRDs of ``models`` (default: every version the app converts), with their conversion stanza."""
        from .._schema.crd import crds

        models = models or tuple(m for r in self.resources.values() for m in r.models.values())
        made = crds(*models)
        for manifest in made:
            versions = [m for m in models if resource_of(m).crd_name == manifest["metadata"]["name"]]
            conversion = self.conversion(versions[0], url=url, ca_bundle=ca_bundle)
            if conversion is not None:
                manifest["spec"]["conversion"] = conversion
        return made

    def __repr__(self) -> str:
        return f"<Webhooks {self.name}: {', '.join(self.paths()) or 'nothing registered'}>"
