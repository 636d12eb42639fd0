"""A fake vLLM: the OpenAI chat API plus run-time LoRA loading, answering only loaded models.

Like vLLM started with `--enable-lora` and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`:
`POST /v1/load_lora_adapter` registers a name (400 when it is already loaded),
`POST /v1/unload_lora_adapter` forgets it (404 when unknown), and a chat
request for a model that is neither the base nor a loaded adapter gets 404.
"""

from __future__ import annotations

from tests.support.http import Recorded, Response
from tests.support.openai_server import FakeOpenAI


class FakeLoraServer(FakeOpenAI):
    def __init__(self, base_model: str = "base-model", *, lora_routes: bool = True) -> None:
        super().__init__()
        self.base_model = base_model
        self.lora_routes = lora_routes
        self.adapters: dict[str, str] = {}  # name → path, as the server was asked

    def load_requests(self) -> list[dict[str, str]]:
        return [r.json() for r in self.calls("/v1/load_lora_adapter")]

    def other(self, request: Recorded) -> Response:
        if not self.lora_routes:
            return Response.json({"detail": "Not Found"}, 404)
        body = request.json() or {}
        name = str(body.get("lora_name", ""))
        if request.path == "/v1/load_lora_adapter":
            if name in self.adapters:
                return _error(f"The lora adapter '{name}' has already been loaded.", 400)
            self.adapters[name] = str(body.get("lora_path", ""))
            return Response(200, f"Success: LoRA adapter '{name}' added successfully.".encode())
        if request.path == "/v1/unload_lora_adapter":
            if self.adapters.pop(name, None) is None:
                return _error(f"The lora adapter '{name}' cannot be found.", 404)
            return Response(200, f"Success: LoRA adapter '{name}' removed successfully.".encode())
        return super().other(request)

    def chat(self, request: Recorded) -> Response:
        model = (request.json() or {}).get("model")
        if model != self.base_model and model not in self.adapters:
            return _error(f"The model `{model}` does not exist.", 404)
        return super().chat(request)


def _error(message: str, status: int) -> Response:
    return Response.json({"object": "error", "message": message, "code": status}, status)
