"""A to-do API whose only storage is the ``Task`` custom resource: no database to run.

    pip install 'pykorm[examples]' uvicorn
    uvicorn tasks_app.app:app --app-dir examples        # $KUBECONFIG's cluster (in a pod: in-cluster)

Start-up installs the CRD generated from the model (``pk.install_crds(Task)``, which waits until
it is served). Lists push their filters down to the API server (``project`` as a label
selector, ``done`` and ``priority`` as field selectors) and page with the server's continue
tokens; writes map pykorm's typed errors to HTTP statuses; ``PATCH`` and the tag endpoint
re-read and retry on a conflict (``pk.update``), so concurrent edits are never lost, while
a client that sends the ``resource_version`` it read gets a 409 when the task changed since.
``GET /tasks/{name}/k8s`` answers the custom resource itself, as ``kubectl get -o json`` shows it.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
from typing import Any, AsyncIterator

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

import pykorm

from .models import ChecklistItem, Person, Task

# -- the HTTP shapes ------------------------------------------------------------------------


class PersonBody(BaseModel):
    name: str
    email: str | None = None


class ChecklistBody(BaseModel):
    text: str
    done: bool = False


class TaskIn(BaseModel):
    """A new task; ``name`` is made up (``task-<hex>``) when not given."""

    name: str | None = None
    title: str
    done: bool = False
    priority: int = 3
    tags: list[str] = Field(default_factory=list)
    project: str | None = None
    due: datetime.datetime | None = None
    assignee: PersonBody | None = None
    checklist: list[ChecklistBody] = Field(default_factory=list)


class TaskPatch(BaseModel):
    """The fields to change; with ``resource_version``, only if the task is still as the client read it."""

    title: str | None = None
    done: bool | None = None
    priority: int | None = None
    tags: list[str] | None = None
    project: str | None = None
    due: datetime.datetime | None = None
    assignee: PersonBody | None = None
    checklist: list[ChecklistBody] | None = None
    resource_version: str | None = None


class TagChange(BaseModel):
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class TaskOut(BaseModel):
    name: str
    title: str
    done: bool
    priority: int
    tags: list[str]
    project: str | None
    due: datetime.datetime | None
    assignee: PersonBody | None
    checklist: list[ChecklistBody]
    resource_version: str | None
    created_at: datetime.datetime | None


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_token: str | None


def task_out(task: Task) -> TaskOut:
    assignee = task.assignee
    return TaskOut(
        name=task.name, title=task.title, done=task.done, priority=task.priority, tags=list(task.tags),
        project=task.project, due=task.due,
        assignee=PersonBody(name=assignee.name, email=assignee.email) if assignee else None,
        checklist=[ChecklistBody(text=item.text, done=item.done) for item in task.checklist],
        resource_version=task.resource_version, created_at=task.created_at,
    )


def set_fields(task: Task, changes: dict[str, Any]) -> None:
    """Set the model's fields from a request body's values (nested ones made into their classes)."""
    for key, value in changes.items():
        if key == "assignee":
            task.assignee = Person(**value) if value is not None else None
        elif key == "checklist":
            task.checklist = [ChecklistItem(**item) for item in value]
        else:
            setattr(task, key, value)


# -- the app -------------------------------------------------------------------------------


def create_app(kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None) -> FastAPI:
    """The API on the cluster of ``kubeconfig`` (default: ``$KUBECONFIG``, or in-cluster in a pod).

    Tasks live in ``namespace`` (default ``$TASKS_NAMESPACE``, else the context's or the pod's namespace).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with pykorm.Pykorm(kubeconfig=kubeconfig, context=context, field_manager="tasks-app") as pk:
            pk.install_crds(Task)
            app.state.pk = pk
            app.state.namespace = namespace or os.environ.get("TASKS_NAMESPACE") or pk.default_namespace()
            yield

    app = FastAPI(title="tasks", lifespan=lifespan)

    @app.exception_handler(pykorm.PykormError)
    def pykorm_error(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=pykorm.http_status(error))  # 404, 409, 422...

    def session(request: Request) -> tuple[pykorm.Pykorm, str]:
        return request.app.state.pk, request.app.state.namespace

    def read(request: Request, name: str) -> tuple[pykorm.Pykorm, Task]:
        pk, namespace = session(request)
        return pk, pk.get(Task, name, namespace)  # NotFound: 404

    @app.get("/tasks")
    def list_tasks(
        request: Request,
        done: bool | None = None,
        priority: int | None = None,
        project: str | None = None,
        tag: str | None = None,
        search: str | None = Query(None, description="words in the title, any case"),
        limit: int = Query(50, ge=1, le=500),
        page_token: str | None = None,
    ) -> TaskPage:
        pk, namespace = session(request)
        query = Task.query.session(pk).namespace(namespace)
        lookups: dict[str, Any] = {"done": done, "priority": priority, "project": project,
                                   "tags__contains": tag, "title__icontains": search}
        query = query.filter(**{key: value for key, value in lookups.items() if value is not None})
        page = query.page(limit, page_token)  # a stale token: Gone, 410
        return TaskPage(items=[task_out(t) for t in page.items], next_token=page.next_token)

    @app.post("/tasks", status_code=201)
    def create_task(request: Request, body: TaskIn) -> TaskOut:
        pk, namespace = session(request)
        values = body.model_dump(exclude_none=True)
        task = Task(namespace=namespace, name=values.pop("name", None) or f"task-{secrets.token_hex(4)}",
                    title=values.pop("title"))
        set_fields(task, values)
        return task_out(pk.save(task))  # AlreadyExists: 409; invalid: 422

    @app.get("/tasks/{name}")
    def get_task(request: Request, name: str) -> TaskOut:
        return task_out(read(request, name)[1])

    @app.get("/tasks/{name}/k8s")
    def get_task_object(request: Request, name: str) -> dict[str, Any]:
        """The Task as the API server stores it (uid, resourceVersion, managedFields, status...): for tools."""
        return read(request, name)[1].to_k8s()

    @app.patch("/tasks/{name}")
    def update_task(request: Request, name: str, body: TaskPatch) -> TaskOut:
        pk, task = read(request, name)
        changes = body.model_dump(exclude_unset=True)
        expected = changes.pop("resource_version", None)
        if expected is None:  # last writer wins field by field; a concurrent change is re-read, not lost
            return task_out(pk.update(task, lambda t: set_fields(t, changes)))
        if expected != task.resource_version:
            raise HTTPException(409, f"task {name} changed since resource_version {expected}")
        set_fields(task, changes)
        return task_out(pk.save(task))  # changed between the read and now: ConflictError, 409

    @app.post("/tasks/{name}/tags")
    def change_tags(request: Request, name: str, body: TagChange) -> TaskOut:
        def change(task: Task) -> None:
            task.tags = [t for t in task.tags if t not in body.remove] + [
                t for t in dict.fromkeys(body.add) if t not in task.tags and t not in body.remove]

        pk, task = read(request, name)
        return task_out(pk.update(task, change, retries=50))

    @app.delete("/tasks/{name}", status_code=204)
    def delete_task(request: Request, name: str) -> Response:
        pk, task = read(request, name)
        pk.delete(task)
        return Response(status_code=204)

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, str]:
        pk, namespace = session(request)
        Task.query.session(pk).namespace(namespace).page(1)
        return {"status": "ok"}

    return app


app = create_app()
