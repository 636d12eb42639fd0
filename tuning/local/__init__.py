"""LoRA fine-tuning on your own machine: the `local` provider and everything it runs.

- `provider`: the `local` provider (start, poll, cancel, activate), found by name
  through `tuning.providers.get_provider`;
- `folder`: the run folder the provider and the trainer share (`TrainSpec`, `RunFolder`);
- `train`: the trainer process, `python -m tuning.local.train --spec …/job.json`;
- `data`: training files in OpenAI's JSONL formats → TRL rows;
- `lora_server`: loading adapters into a running vLLM at promotion.

Nothing here imports torch at import time: the trainer does, once a run starts.
"""
