"""An HTTP API that runs commands as Kubernetes Jobs: submit, list with status, logs, cancel, wait.

    pip install 'pykorm[examples]' uvicorn
    uvicorn jobs_api.app:app --app-dir examples        # $KUBECONFIG's cluster, namespace $JOBS_NAMESPACE

Every Job it makes carries the label ``jobs-api.examples.pykorm.io/submitted=true``, so a
list is one label-selected request. A Job's state and reason are ``pykorm.job_state``'s; its pods
are ``pk.pods_of(job)`` (by owner references) and their logs ``pk.workload_logs(job)``.
Cancelling deletes the Job with ``propagationPolicy=Foreground``: its pods go first.
``GET /jobs/{name}?wait=30`` answers once the Job has finished (or after 30 s), from a watch.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import time
from typing import AsyncIterator, Iterator, Literal

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field

import pykorm
from pykorm.k8s import Job, Pod, job

SUBMITTED = "jobs-api.examples.pykorm.io/submitted"
State = Literal["pending", "running", "succeeded", "failed"]


class JobIn(BaseModel):
    """A command to run; ``name`` is made up (``job-<hex>``) when not given."""

    command: list[str] = Field(min_length=1)
    image: str = Field("busybox:1.36", min_length=1)
    name: str | None = None
    completions: int = Field(1, ge=1, le=100)
    node_selector: dict[str, str] = Field(default_factory=dict, description="run only on nodes with these labels")
    deadline_seconds: int | None = Field(None, ge=1, description="fail the Job if it runs longer")


class JobOut(BaseModel):
    name: str
    command: list[str]
    image: str
    state: State
    reason: str | None
    active: int
    succeeded: int
    failed: int
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None


def job_out(job: Job) -> JobOut:
    container = pykorm.maybe(job.spec).then(lambda s: s.template.spec).then(lambda p: p.containers[0]).get()
    status = job.status
    state = pykorm.job_state(job)  # pending, running, succeeded or failed, with the final condition's reason
    return JobOut(
        name=job.name, command=list(container.command or []) if container else [],
        image=(container.image or "") if container else "", state=state.state, reason=state.reason,
        active=state.active, succeeded=state.succeeded, failed=state.failed,
        started_at=status.start_time if status else None,
        completed_at=status.completion_time if status else None,
    )


def new_job(namespace: str, body: JobIn) -> Job:
    return job(body.name or f"job-{secrets.token_hex(4)}", body.image, body.command, namespace=namespace,
               labels={SUBMITTED: "true"}, container_name="main", backoff_limit=0,
               spec={"completions": body.completions, "active_deadline_seconds": body.deadline_seconds},
               pod={"node_selector": body.node_selector or None, "termination_grace_period_seconds": 5})


def create_app(kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None) -> FastAPI:
    """The API on the cluster of ``kubeconfig``; Jobs go to ``namespace`` (default ``$JOBS_NAMESPACE``, else the context's)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with pykorm.Pykorm(kubeconfig=kubeconfig, context=context, field_manager="jobs-api") as pk:
            app.state.pk = pk
            app.state.namespace = namespace or os.environ.get("JOBS_NAMESPACE") or pk.default_namespace()
            yield

    app = FastAPI(title="jobs", lifespan=lifespan)

    @app.exception_handler(pykorm.PykormError)
    def pykorm_error(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=pykorm.http_status(error))  # 404, 409, 422...

    def session(request: Request) -> tuple[pykorm.Pykorm, str]:
        return request.app.state.pk, request.app.state.namespace

    def read(request: Request, name: str) -> tuple[pykorm.Pykorm, Job]:
        pk, namespace = session(request)
        job = pk.get(Job, name, namespace)  # NotFound: 404
        if job.labels.get(SUBMITTED) != "true":
            raise pykorm.NotFound(f"job {name} was not submitted through this API", status=404)
        return pk, job

    @app.post("/jobs", status_code=201)
    def submit(request: Request, body: JobIn) -> JobOut:
        pk, namespace = session(request)
        return job_out(pk.save(new_job(namespace, body)))

    @app.get("/jobs")
    def list_jobs(request: Request, state: State | None = None) -> list[JobOut]:
        pk, namespace = session(request)
        jobs = Job.query.session(pk).namespace(namespace).filter_by_labels({SUBMITTED: "true"})  # a label selector
        found = [job_out(job) for job in jobs.order_by("created_at", "name")]
        return [job for job in found if state is None or job.state == state]

    @app.get("/jobs/{name}")
    def get_job(request: Request, name: str, wait: float = Query(0, ge=0, le=300)) -> JobOut:
        deadline = time.monotonic() + wait
        with pykorm.request_options(max_elapsed=wait or None):  # ?wait= is the read's budget too (a restart)
            pk, job = read(request, name)
        if wait and not pykorm.job_finished(job):
            with contextlib.suppress(pykorm.WaitTimeout):  # refreshes `job` with each state seen:
                pk.wait_for(job, pykorm.job_finished, timeout=max(0.0, deadline - time.monotonic()))
        return job_out(job)

    @app.get("/jobs/{name}/logs", response_class=PlainTextResponse)
    def logs(request: Request, name: str, tail: int | None = Query(None, ge=0), follow: bool = False) -> Response:
        """The logs of the Job's pods (each line prefixed by its pod when there are several); ``follow``
        streams the newest running pod's lines as they are written, until it ends."""
        pk, job = read(request, name)
        pods = [p for p in pk.pods_of(job) if isinstance(p, Pod) and p.status and p.status.phase != "Pending"]
        running = [pod for pod in pods if pod.status and pod.status.phase == "Running"]
        if follow and running:  # a finished pod's log is complete: answered whole, below
            stream = pk.logs(running[-1], follow=True, tail_lines=tail)

            def lines() -> Iterator[str]:
                try:
                    for line in stream:
                        yield line + "\n"
                finally:
                    stream.stop()  # the client went away: the connection to the API server goes too

            return StreamingResponse(lines(), media_type="text/plain")
        found = pk.workload_logs(job, tail_lines=tail)  # each line with its pod and container
        if len({line.pod for line in found}) <= 1:
            return PlainTextResponse("".join(line.text + "\n" for line in found))
        return PlainTextResponse("".join(f"[{line.pod}] {line.text}\n" for line in found))

    @app.delete("/jobs/{name}", status_code=202)
    def cancel(request: Request, name: str, wait: bool = False) -> Response:
        pk, job = read(request, name)
        pk.delete(job, propagation_policy="Foreground", wait=wait, timeout=60)  # its pods first
        return Response(status_code=204 if wait else 202)

    return app


app = create_app()
