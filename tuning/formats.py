"""One stored example as a line of each training file.

- `sft`: OpenAI chat fine-tuning. Earlier assistant turns carry `weight: 0`,
  so only the taught answer (the last turn, default weight 1) is trained.
- `dpo`: OpenAI preference fine-tuning: the reviewer's correction is preferred
  over the bot's original answer.
- `messages`: plain `{"messages": [...]}` rows, the conversational format that
  Hugging Face `datasets` loads with `load_dataset("json", ...)` and TRL trains on.
- `holdout`: what the evaluation gate needs to ask and to score: the context,
  the reference answer, the rejected original and where the example came from.

The system voice is the same on every line, so its JSON is encoded once and
spliced in: the bytes are exactly those of `json.dumps` on the whole object.
"""

from __future__ import annotations

import json
from typing import Any

Turns = list[dict[str, Any]]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Formats:
    def __init__(self, system: str) -> None:
        self.system = system
        self._system = _dumps({"role": "system", "content": system})

    def _with_system(self, turns: Turns) -> str:
        """`[system, *turns]` as JSON, without encoding the system voice again."""
        return "[" + self._system + ", " + _dumps(turns)[1:]

    def sft(self, context: Turns, answer: str) -> str:
        turns: Turns = [
            {"role": "assistant", "content": t["content"], "weight": 0}
            if t["role"] == "assistant"
            else {"role": t["role"], "content": t["content"]}
            for t in context
        ]
        turns.append({"role": "assistant", "content": answer})
        return '{"messages": ' + self._with_system(turns) + "}"

    def messages(self, context: Turns, answer: str) -> str:
        turns: Turns = [{"role": t["role"], "content": t["content"]} for t in context]
        turns.append({"role": "assistant", "content": answer})
        return '{"messages": ' + self._with_system(turns) + "}"

    def dpo(self, context: Turns, preferred: str, rejected: str) -> str:
        turns: Turns = [{"role": t["role"], "content": t["content"]} for t in context]
        return (
            '{"input": {"messages": '
            + self._with_system(turns)
            + '}, "preferred_output": '
            + _dumps([{"role": "assistant", "content": preferred}])
            + ', "non_preferred_output": '
            + _dumps([{"role": "assistant", "content": rejected}])
            + "}"
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
        return _dumps(
            {
                "example_id": example_id,
                "source": source,
                "conversation_key": conversation_key,
                "messages": context,
                "answer": answer,
                "rejected_answer": rejected,
            }
        )
