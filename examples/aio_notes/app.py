"""A small FastAPI app whose storage is a custom resource: notes, kept as ``Note`` objects in one namespace.

    KUBECONFIG=... NOTES_NAMESPACE=notes uvicorn examples.aio_notes.app:app

``AsyncPykorm`` is opened in the app's lifespan and shared by every request; each handler
awaits it, so the event loop serves other requests while the API server answers. The CRD is
generated from the model (``pykorm.crd(Note)``) and installed at startup.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

import pykorm
from pykorm.aio import AsyncPykorm


@pykorm.k8s_custom_object("notes.examples.pykorm.io", "v1", "notes")
class Note(pykorm.NamespacedModel):
    """A note: a title, a text and tags."""

    title: str = pykorm.Spec("title", required=True)
    text: str = pykorm.Spec("text", default="")
    tags: list[str] = pykorm.Spec("tags", default_factory=list)


class NoteIn(BaseModel):
    name: str
    title: str
    text: str = ""
    tags: list[str] = []


class NoteChange(BaseModel):
    title: str | None = None
    text: str | None = None
    tags: list[str] | None = None


def shown(note: Note) -> dict[str, Any]:
    return {"name": note.name, "title": note.title, "text": note.text, "tags": note.tags,
            "version": note.resource_version}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with AsyncPykorm(kubeconfig=os.environ.get("KUBECONFIG")) as pk:
        await pk.install_crds(Note)                # created or updated, then waited for until served
        app.state.pk = pk
        app.state.namespace = os.environ.get("NOTES_NAMESPACE") or pk.default_namespace()
        yield


app = FastAPI(title="notes, stored as custom resources", lifespan=lifespan)


def session(request: Request) -> tuple[AsyncPykorm, str]:
    return request.app.state.pk, request.app.state.namespace


@app.post("/notes", status_code=201)
async def create(note: NoteIn, request: Request) -> dict[str, Any]:
    pk, namespace = session(request)
    try:
        made = await pk.save(Note(namespace=namespace, name=note.name, title=note.title, text=note.text, tags=note.tags))
    except pykorm.AlreadyExists:
        raise HTTPException(409, f"note {note.name!r} exists")
    except pykorm.ClientValidationError as error:
        raise HTTPException(422, str(error))
    return shown(made)


@app.get("/notes")
async def listing(request: Request, tag: str | None = None, limit: int = 50, token: str | None = None) -> dict[str, Any]:
    """One page of notes (``next`` is the token of the following page), optionally those with ``tag``."""
    pk, namespace = session(request)
    query = pk.query(Note).ns(namespace)
    if tag is not None:
        query = query.filter(tags__contains=tag)
    try:
        page = await query.page(limit, token)
    except ValueError as error:
        raise HTTPException(422, str(error))
    except pykorm.Gone:
        raise HTTPException(410, "the listing expired: start again without a token")
    return {"notes": [shown(n) for n in page.items], "next": page.next_token}


@app.get("/notes/{name}")
async def read(name: str, request: Request) -> dict[str, Any]:
    pk, namespace = session(request)
    try:
        note = await pk.query(Note).ns(namespace).get(name)
    except pykorm.ClientValidationError as error:
        raise HTTPException(422, str(error))
    if note is None:
        raise HTTPException(404, f"no note {name!r}")
    return shown(note)


@app.patch("/notes/{name}")
async def change(name: str, change: NoteChange, request: Request) -> dict[str, Any]:
    """Change some fields; a concurrent change is merged by re-reading and retrying (``pk.update``)."""
    pk, namespace = session(request)
    try:
        note = await pk.get(Note, name, namespace)
    except pykorm.NotFound:
        raise HTTPException(404, f"no note {name!r}")

    def apply(note: Note) -> None:
        for key, value in change.model_dump(exclude_none=True).items():
            setattr(note, key, value)

    return shown(await pk.update(note, apply))


@app.delete("/notes/{name}", status_code=204)
async def delete(name: str, request: Request) -> Response:
    pk, namespace = session(request)
    try:
        await pk.delete(await pk.get(Note, name, namespace))
    except pykorm.NotFound:
        raise HTTPException(404, f"no note {name!r}")
    return Response(status_code=204)
