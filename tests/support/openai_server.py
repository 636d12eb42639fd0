"""A fake OpenAI-compatible server: chat completions, files and fine-tuning jobs.

Chat: queue answers with `reply("text")` and failures with `fail(429)`,
`fail(500)` or `stall(seconds)`; `answer_as(model, fn)` answers one model from
a function of the messages; otherwise it answers "(fake answer)". `hold_chat()`
keeps every chat request waiting, as a model that is answering, until
`release_chat()`; `wait_answering(n)` waits until n requests are in.

Fine-tuning: `/v1/files` (multipart upload, list, retrieve, content) and
`/v1/fine_tuning/jobs` (create, list with a metadata filter, retrieve, events,
cancel). A job walks through `FineTuningFake.PLAN`, one status per retrieve
while `auto` is on; `hold()` freezes jobs so a test steps them with `step()`
or `finish()`, without sleeping; `slow_job_reads(s)` makes each retrieve hang.
`fail_next_job(msg)` makes the next job fail, and `refuse()` answers job
creation the way OpenAI refuses organisations that may no longer fine-tune.
Every request is recorded, so tests assert on exactly what the bot sent.

Embeddings: `POST /v1/embeddings` answers every input with a deterministic
bag-of-words vector (`embedding_of`): texts sharing words are close, so retrieval
through it behaves like a (crude) real model; `fail_embeddings(status)` makes the
next calls fail.

`GET /v1/models` lists `models`. Set `api_key` to make every request without
that bearer key get OpenAI's 401 `invalid_api_key` answer, which, like the
real one, quotes part of the key that was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar
from urllib.parse import unquote

from tests.support.http import FakeServer, Recorded, Response

EMBEDDING_DIM = 64


def embedding_of(text: str) -> list[float]:
    """Each lower-cased word adds its own fixed pseudo-random direction; then normalised."""
    vector = [0.0] * EMBEDDING_DIM
    for word in "".join(c if c.isalnum() else " " for c in text.lower()).split():
        digest = hashlib.sha256(word.encode("utf-8")).digest()
        for i in range(EMBEDDING_DIM):
            vector[i] += (digest[i % 32] / 255.0 - 0.5) * (1 if (digest[(i * 7) % 32] & 1) else -1)
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


REFUSAL = (
    "Fine-tuning is not available for this organization: creating fine-tuning jobs is no "
    "longer supported."
)


def _error(message: str, status: int, code: str | None = None) -> Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return Response.json(body, status)


@dataclass
class FakeJob:
    id: str
    model: str
    training_file: str
    validation_file: str | None
    method: dict[str, Any]
    suffix: str | None
    seed: int | None
    metadata: dict[str, str]
    plan: list[str]
    trained_tokens: int
    created_at: int = field(default_factory=lambda: int(time.time()))
    step: int = 0
    error: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.plan[self.step]

    @property
    def fine_tuned_model(self) -> str | None:
        if self.status != "succeeded":
            return None
        root = self.model.split(":")[1] if self.model.startswith("ft:") else self.model
        return f"ft:{root}:fake-org:{self.suffix or 'model'}:{self.id[-6:]}"

    def payload(self) -> dict[str, Any]:
        done = self.status in {"succeeded", "failed", "cancelled"}
        return {
            "id": self.id,
            "object": "fine_tuning.job",
            "created_at": self.created_at,
            "error": {"code": "invalid_training_file", "message": self.error, "param": None}
            if self.status == "failed"
            else None,
            "fine_tuned_model": self.fine_tuned_model,
            "finished_at": int(time.time()) if done else None,
            "hyperparameters": {"n_epochs": "auto", "batch_size": "auto"},
            "model": self.model,
            "organization_id": "org-fake",
            "result_files": ["file-result"] if self.status == "succeeded" else [],
            "seed": self.seed or 0,
            "status": self.status,
            "trained_tokens": self.trained_tokens if self.status == "succeeded" else None,
            "training_file": self.training_file,
            "validation_file": self.validation_file,
            "metadata": self.metadata or None,
            "method": self.method,
        }


class FineTuningFake:
    """The state of files and jobs, and the knobs a test turns."""

    PLAN: ClassVar[list[str]] = ["validating_files", "queued", "running", "running", "succeeded"]
    MESSAGES: ClassVar[dict[str, str]] = {
        "validating_files": "Validating training file: {file}",
        "queued": "Files validated, moving job to queued state",
        "running": "Step {step}/2: training loss={loss:.2f}",
        "succeeded": "The job has successfully completed",
        "failed": "The job failed: {error}",
        "cancelled": "The job was cancelled",
    }

    def __init__(self) -> None:
        self.files: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, FakeJob] = {}
        self.auto = True
        self.refusal: str | None = None
        self.failure: str | None = None
        self.read_delay_s = 0.0  # each retrieve of a job answers this late
        self.lock = threading.Lock()

    def enter(self, job: FakeJob) -> None:
        status = job.status
        running = job.plan[: job.step + 1].count("running")
        text = self.MESSAGES[status].format(
            file=job.training_file, step=running, loss=2.0 / (running + 1), error=job.error
        )
        job.events.append(
            {
                "id": f"ftevent-{job.id[-6:]}-{len(job.events) + 1}",
                "object": "fine_tuning.job.event",
                "created_at": int(time.time()),
                "level": "error" if status == "failed" else "info",
                "message": text,
                "type": "message",
            }
        )

    def advance(self, job: FakeJob, steps: int = 1) -> None:
        for _ in range(steps):
            if job.step + 1 >= len(job.plan):
                return
            job.step += 1
            self.enter(job)


class FakeOpenAI(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.script: deque[Response | str] = deque()
        self.default_answer = "(fake answer)"
        self.answers: dict[str, Callable[[list[dict[str, Any]]], str]] = {}
        self.ft = FineTuningFake()
        self.stream_delay_s = 0.0  # pause between streamed words, to look like a slow model
        self.api_key: str | None = None  # when set, other keys are refused with 401
        self.models = ["gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"]
        self.held = threading.Event()  # set: chat requests wait until `release_chat()`
        self.released = threading.Event()
        self.waiting = 0  # chat requests waiting on the hold right now
        self._hold_changed = threading.Condition()
        self.embedding_failures: deque[int] = deque()

    # --- scripting -----------------------------------------------------------
    def reply(self, text: str) -> None:
        self.script.append(text)

    def fail(self, status: int, times: int = 1) -> None:
        for _ in range(times):
            self.script.append(
                Response.json(
                    {"error": {"message": "fake failure", "type": "server_error"}},
                    status,
                    **{"retry-after-ms": "1", "x-should-retry": "true"},
                )
            )

    def stall(self, seconds: float, times: int = 1) -> None:
        for _ in range(times):
            self.script.append(
                Response(200, b"{}", {"content-type": "application/json"}, None, seconds)
            )

    def hold_chat(self) -> None:
        """Every chat request from now on waits (the model "is answering") until released."""
        self.released.clear()
        self.held.set()

    def release_chat(self) -> None:
        self.held.clear()
        self.released.set()

    def wait_answering(self, n: int = 1, timeout: float = 60.0) -> None:
        """Block until `n` chat requests wait on the hold: the bot is waiting for its model."""
        with self._hold_changed:
            if not self._hold_changed.wait_for(lambda: self.waiting >= n, timeout):
                raise AssertionError(f"only {self.waiting} chat requests came in")

    def answer_as(self, model: str, answer: Callable[[list[dict[str, Any]]], str]) -> None:
        """Answer every chat request for `model` with `answer(messages)`."""
        self.answers[model] = answer

    def fail_embeddings(self, status: int, times: int = 1) -> None:
        self.embedding_failures.extend([status] * times)

    def embedding_requests(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.calls("/embeddings")]

    # --- fine-tuning knobs -----------------------------------------------------
    def hold(self) -> None:
        """Jobs stay where they are until the test steps them."""
        self.ft.auto = False

    def step(self, job_id: str | None = None, steps: int = 1) -> None:
        with self.ft.lock:
            for job in self._jobs(job_id):
                self.ft.advance(job, steps)

    def finish(self, job_id: str | None = None) -> None:
        self.step(job_id, steps=100)

    def slow_job_reads(self, seconds: float) -> None:
        """Each retrieve of a job takes `seconds`: a provider that hangs mid-step."""
        self.ft.read_delay_s = seconds

    def refuse(self, message: str = REFUSAL) -> None:
        self.ft.refusal = message

    def fail_next_job(self, message: str) -> None:
        self.ft.failure = message

    def jobs(self) -> list[FakeJob]:
        with self.ft.lock:
            return list(self.ft.jobs.values())

    def file_text(self, file_id: str) -> str:
        return bytes(self.ft.files[file_id]["content"]).decode("utf-8")

    def _jobs(self, job_id: str | None) -> list[FakeJob]:
        return [self.ft.jobs[job_id]] if job_id else list(self.ft.jobs.values())

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.calls("/chat/completions")]

    # --- the API -------------------------------------------------------------
    def handle(self, request: Recorded) -> Response:
        if self.api_key is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            if given != self.api_key:
                return _error(
                    f"Incorrect API key provided: {given[:3]}***{given[-4:]}.",
                    401,
                    "invalid_api_key",
                )
        if request.path == "/v1/models" and request.method == "GET":
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.models]
            return Response.json({"object": "list", "data": data})
        if request.path.endswith("/chat/completions") and request.method == "POST":
            return self.chat(request)
        if request.path.endswith("/embeddings") and request.method == "POST":
            return self.embeddings(request)
        if request.path.startswith("/v1/files"):
            with self.ft.lock:
                return self.files_api(request)
        if request.path.startswith("/v1/fine_tuning/jobs"):
            with self.ft.lock:
                return self.jobs_api(request)
        return self.other(request)

    # --- files -------------------------------------------------------------------
    def files_api(self, request: Recorded) -> Response:
        parts = request.path.removeprefix("/v1/files").strip("/").split("/")
        if request.method == "POST" and parts == [""]:
            return self.upload(request)
        if request.method == "GET" and parts == [""]:
            purpose = request.query.get("purpose", [None])[0]
            data = [
                self._file_payload(f)
                for f in self.ft.files.values()
                if purpose is None or f["purpose"] == purpose
            ]
            return Response.json({"object": "list", "data": data, "has_more": False})
        found = self.ft.files.get(parts[0])
        if found is None:
            return _error(f"No such File object: {parts[0]}", 404)
        if parts[1:] == ["content"]:
            return Response(200, bytes(found["content"]), {"content-type": "application/jsonl"})
        return Response.json(self._file_payload(found))

    def upload(self, request: Recorded) -> Response:
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + request.body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True))
        if "file" not in fields or "purpose" not in fields:
            return _error("file and purpose are required", 400)
        filename, content = fields["file"]
        file_id = f"file-{len(self.ft.files) + 1:04d}"
        self.ft.files[file_id] = {
            "id": file_id,
            "filename": filename,
            "purpose": fields["purpose"][1].decode(),
            "content": content,
            "created_at": int(time.time()),
        }
        return Response.json(self._file_payload(self.ft.files[file_id]))

    @staticmethod
    def _file_payload(found: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": found["id"],
            "object": "file",
            "bytes": len(found["content"]),
            "created_at": found["created_at"],
            "filename": found["filename"],
            "purpose": found["purpose"],
            "status": "processed",
        }

    # --- fine-tuning jobs --------------------------------------------------------
    def jobs_api(self, request: Recorded) -> Response:
        parts = [p for p in request.path.removeprefix("/v1/fine_tuning/jobs").split("/") if p]
        if not parts:
            return self.create_job(request) if request.method == "POST" else self.list_jobs(request)
        job = self.ft.jobs.get(parts[0])
        if job is None:
            return _error(f"Could not find fine-tune: {parts[0]}", 404)
        if parts[1:] == ["events"]:
            limit = int(request.query.get("limit", ["20"])[0])
            newest_first = list(reversed(job.events))
            return Response.json(
                {"object": "list", "data": newest_first[:limit], "has_more": False}
            )
        if parts[1:] == ["cancel"] and request.method == "POST":
            if job.status not in {"succeeded", "failed", "cancelled"}:
                job.plan = [*job.plan[: job.step + 1], "cancelled"]
                self.ft.advance(job)
            return Response.json(job.payload())
        if self.ft.auto:
            self.ft.advance(job)
        response = Response.json(job.payload())
        response.delay_s = self.ft.read_delay_s
        return response

    def list_jobs(self, request: Recorded) -> Response:
        wanted = {
            unquote(key)[len("metadata[") : -1]: values[0]
            for key, values in request.query.items()
            if unquote(key).startswith("metadata[")
        }
        data = [
            job.payload()
            for job in reversed(self.ft.jobs.values())
            if all(job.metadata.get(k) == v for k, v in wanted.items())
        ]
        return Response.json({"object": "list", "data": data, "has_more": False})

    def create_job(self, request: Recorded) -> Response:
        if self.ft.refusal:
            return _error(self.ft.refusal, 403, "fine_tuning_not_available")
        body = request.json()
        training = self.ft.files.get(body.get("training_file", ""))
        if training is None or training["purpose"] != "fine-tune":
            return _error("training_file must be an uploaded fine-tune file", 400)
        method = body.get("method") or {"type": "supervised"}
        problem = self._check(bytes(training["content"]), method["type"])
        plan = list(FineTuningFake.PLAN)
        if problem or self.ft.failure:
            plan = ["validating_files", "failed"]
        job = FakeJob(
            id=f"ftjob-{len(self.ft.jobs) + 1:06d}",
            model=body["model"],
            training_file=body["training_file"],
            validation_file=body.get("validation_file"),
            method=method,
            suffix=body.get("suffix"),
            seed=body.get("seed"),
            metadata=body.get("metadata") or {},
            plan=plan,
            trained_tokens=3 * len(training["content"]) // 4,  # 3 epochs of ~4 bytes a token
            error=problem or self.ft.failure,
        )
        self.ft.failure = None
        self.ft.jobs[job.id] = job
        self.ft.enter(job)
        return Response.json(job.payload())

    @staticmethod
    def _check(content: bytes, method: str) -> str | None:
        """What OpenAI's validation step would refuse in a training file."""
        lines = [json.loads(line) for line in content.decode().splitlines() if line.strip()]
        if len(lines) < 10:
            return f"Training file has {len(lines)} example(s), but must have at least 10"
        need = "messages" if method == "supervised" else "preferred_output"
        for number, line in enumerate(lines, start=1):
            if need not in line:
                return f"Line {number}: missing {need!r} for a {method} job"
        return None

    def embeddings(self, request: Recorded) -> Response:
        if self.embedding_failures:
            return _error("fake embeddings failure", self.embedding_failures.popleft())
        body = request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, text in enumerate(texts):
            vector: Any = embedding_of(text)
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": i, "embedding": vector})
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        return Response.json(
            {"object": "list", "data": data, "model": body["model"], "usage": usage}
        )

    def other(self, request: Recorded) -> Response:
        return Response.json({"error": {"message": f"no route {request.path}"}}, 404)

    def chat(self, request: Recorded) -> Response:
        if self.held.is_set():
            with self._hold_changed:
                self.waiting += 1
                self._hold_changed.notify_all()
            try:
                self.released.wait(120)
            finally:
                with self._hold_changed:
                    self.waiting -= 1
        step: Response | str = self.script.popleft() if self.script else self.default_answer
        if isinstance(step, Response):
            return step
        body = request.json()
        model = body.get("model", "fake-model")
        if step == self.default_answer and model in self.answers:
            step = self.answers[model](body.get("messages", []))
        if body.get("stream"):
            return self._stream(step, model)
        return Response.json(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": step},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        )

    def _stream(self, text: str, model: str) -> Response:
        def event(payload: dict[str, Any]) -> bytes:
            return f"data: {json.dumps(payload)}\n\n".encode()

        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
        }
        words = text.split(" ")
        chunks = [
            event(
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": {"content": w + (" " if i < len(words) - 1 else "")}}
                    ],
                }
            )
            for i, w in enumerate(words)
        ]
        chunks.append(
            event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
        chunks.append(
            event(
                {
                    **base,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": 11,
                        "completion_tokens": len(words),
                        "total_tokens": 11 + len(words),
                    },
                }
            )
        )
        chunks.append(b"data: [DONE]\n\n")
        return Response(
            200,
            b"",
            {"content-type": "text/event-stream"},
            chunks,
            chunk_delay_s=self.stream_delay_s,
        )


class SlowOpenAI(FakeOpenAI):
    """A fake model that takes `delay_s` before its first word, as real ones do."""

    delay_s = 0.0

    def chat(self, request: Recorded) -> Response:
        response = super().chat(request)
        response.delay_s = self.delay_s
        return response
