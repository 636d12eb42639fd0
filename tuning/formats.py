"""One stored example as a line of each training file.

- `sft`: OpenAI chat fine-tuning. Earlier assistant turns carry `weight: 0`,
  so only the taught answer (the last turn, default weight 1) is trained.
- `dpo`: OpenAI preference fine-tuning: the reviewer's correction is preferred
  over the bot's original answer.
- `messages`: plain `{"messages": [...]}` rows, the conversational format that
  Hugging Face `datasets` loads with `load_dataset("json", ...)` and TRL trains on.
  The taught answer is the only assistant turn: a trainer that ignores `weight`
  (TRL's `SFTTrainer`, even with `assistant_only_loss`) learns every assistant
  turn it sees, and earlier ones are the bot's own unreviewed answers. The
  earlier conversation stays as context, quoted after the voice in the system
  turn, so an answer that depends on it still makes sense.
- `dpo_trl`: TRL's conversational preference format, `prompt` (the messages)
  with `chosen` / `rejected` (one assistant turn each), which `DPOTrainer`
  loads as it is (OpenAI's `dpo` shape fails there with `KeyError: 'chosen'`).
- `holdout`: what the evaluation gate needs to ask and to score: the context,
  the reference answer, the rejected original and where the example came from.

Lines are assembled from JSON-encoded strings (the system voice encoded once),
which is several times faster than `json.dumps` on nested dicts and gives
exactly its bytes: roles are checked to be plain words before they get here.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # what json.dumps(str, ensure_ascii=False) does
from typing import Any

Turns = list[dict[str, Any]]
EARLIER = "The conversation so far:"


def _turn(role: str, content: str, tail: str = "") -> str:
    return '{"role": "' + role + '", "content": ' + encode_basestring(content) + tail + "}"


class Formats:
    def __init__(self, system: str) -> None:
        self.system = system
        self._system = _turn("system", system)

    def _messages(self, turns: list[str]) -> str:
        return "[" + self._system + ", " + ", ".join(turns) + "]"

    def sft(self, context: Turns, answer: str) -> str:
        turns = [
            _turn(t["role"], t["content"], ', "weight": 0' if t["role"] == "assistant" else "")
            for t in context
        ]
        turns.append(_turn("assistant", answer))
        return '{"messages": ' + self._messages(turns) + "}"

    def messages(self, context: Turns, answer: str) -> str:
        *earlier, question = context
        system = self._system
        if earlier:
            lines = "\n".join(f"{t['role']}: {t['content']}" for t in earlier)
            system = _turn("system", f"{self.system}\n\n{EARLIER}\n{lines}")
        turns = [system, _turn("user", question["content"]), _turn("assistant", answer)]
        return '{"messages": [' + ", ".join(turns) + "]}"

    def dpo_trl(self, context: Turns, preferred: str, rejected: str) -> str:
        turns = [_turn(t["role"], t["content"]) for t in context]
        return (
            '{"prompt": '
            + self._messages(turns)
            + ', "chosen": ['
            + _turn("assistant", preferred)
            + '], "rejected": ['
            + _turn("assistant", rejected)
            + "]}"
        )

    def dpo(self, context: Turns, preferred: str, rejected: str) -> str:
        turns = [_turn(t["role"], t["content"]) for t in context]
        return (
            '{"input": {"messages": '
            + self._messages(turns)
            + '}, "preferred_output": ['
            + _turn("assistant", preferred)
            + '], "non_preferred_output": ['
            + _turn("assistant", rejected)
            + "]}"
        )

    @staticmethod
    def holdout(
        *,
        example_id: int,
        source: str,
        conversation_key: str,
        context: Turns,
        answer: str,
        rejected: str | None,
    ) -> str:
        return json.dumps(
            {
                "example_id": example_id,
                "source": source,
                "conversation_key": conversation_key,
                "messages": [{"role": t["role"], "content": t["content"]} for t in context],
                "answer": answer,
                "rejected_answer": rejected,
            },
            ensure_ascii=False,
        )
