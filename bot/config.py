"""All settings, from the environment and `.env`, in one typed class.

Every variable here is listed in `.env.example` with a comment. Secrets are
`SecretStr` so they never print in a repr, a log line or an error.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Backend = Literal["openai", "examples", "transformers"]
EmbeddingsBackend = Literal["local", "openai", "none"]


def _default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "afina"


def _split_ids(value: object) -> object:
    """Accept `U1,U2` or `U1 U2` from the environment as well as a list (or a JSON list)."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        import json

        return json.loads(value)  # for regexes that hold commas or spaces
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


IdList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_file_encoding="utf-8", env_ignore_empty=True
    )

    # --- storage -----------------------------------------------------------
    afina_home: Path = Field(default_factory=_default_home)
    database_url: str = ""
    sqlite_busy_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # Keep a copy of the examples index under AFINA_HOME/index/ (see bot.index_snapshot).
    index_snapshot: bool = True

    # --- the voice and the prompt -----------------------------------------
    brand_name: str = "Verdalia"
    system_prompt: str = ""
    system_prompt_file: Path | None = None
    retrieval_k: int = Field(default=4, ge=0, le=50)
    # Match thresholds (see `bot.matching`); unset = calibrated for the embeddings backend.
    retrieval_min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    answer_min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    answer_min_margin: float | None = Field(default=None, ge=0.0, le=1.0)
    answer_max_lift: float | None = Field(default=None, ge=-1.0, le=1.0)
    answer_max_swap: float | None = Field(default=None, ge=-1.0, le=1.0)
    answer_unrelated_score: float | None = Field(default=None, ge=0.0, le=1.0)

    # --- embeddings ---------------------------------------------------------
    embeddings_backend: EmbeddingsBackend = "local"
    embeddings_model: str = "text-embedding-3-small"
    embeddings_threads: int = Field(default=1, ge=0)
    embeddings_base_url: str | None = None
    embeddings_api_key: SecretStr | None = None
    prompt_token_budget: int = Field(default=3000, ge=256)
    history_max_messages: int = Field(default=20, ge=0)
    max_message_chars: int = Field(default=4000, ge=64)

    # --- model backends ----------------------------------------------------
    model_backend: Backend | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4.1-mini"
    openai_timeout_s: float = Field(default=30.0, gt=0)
    openai_max_retries: int = Field(default=2, ge=0, le=10)
    max_answer_tokens: int = Field(default=600, ge=16)
    temperature: float = Field(default=0.4, ge=0.0, le=2.0)

    # --- who may teach -----------------------------------------------------
    reviewers: IdList = Field(default_factory=list)
    console_is_reviewer: bool = True
    slack_reviewers: IdList = Field(default_factory=list)
    slack_everyone_reviews: bool = True
    telegram_reviewers: IdList = Field(default_factory=list)

    # --- Slack --------------------------------------------------------------
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    # --- the review desk ---------------------------------------------------
    slack_review_channel: str = ""  # a channel id (C0123…) or #name; empty: no Slack desk
    # The Slack desk's cards, modal and Home tab speak one language for the whole team
    # (Telegram's follow each reviewer's app).
    slack_desk_language: Literal["en", "es"] = "en"
    handoff_reply: bool = True  # send a reviewer's answer back to the customer who asked
    desk_poll_interval_s: float = Field(default=2.0, gt=0, le=3600)

    # --- Telegram -----------------------------------------------------------
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    # --- HTTP ----------------------------------------------------------------
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    web_concurrency: int = Field(default=1, ge=1, le=64)
    shutdown_grace_s: float = Field(default=20.0, ge=0)
    # A question stays claimed by the process answering it this long after its last sign of
    # life; then (or at once, when that process died on this host) any process answers it.
    recover_after_s: float = Field(default=30.0, ge=1, le=3600)
    # A question found unanswered later than this gets a polite note instead of an answer.
    recover_within_s: float = Field(default=600.0, ge=0)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)  # every route's body; 413 beyond

    # --- web console ---------------------------------------------------------
    console_enabled: bool = True
    console_url: str = ""  # public address of /console; default from HOST and PORT
    console_link_ttl_s: int = Field(default=600, ge=30, le=86400)
    console_session_ttl_s: int = Field(default=43200, ge=300, le=2592000)
    console_trust_proxy: bool = False  # honour X-Forwarded-Proto from a proxy in front
    console_max_upload_mb: float = Field(default=5.0, gt=0, le=200)  # an import's file
    console_unanswered_days: int = Field(default=30, ge=1, le=365)  # how far Unanswered looks

    # --- tuning -------------------------------------------------------------
    tuning_provider: Literal["examples", "openai", "together", "local"] = "examples"
    tuning_base_model: str = "gpt-4.1-mini-2025-04-14"
    # The `openai` provider's fine-tuning API; empty = the chat settings (OPENAI_*).
    tuning_base_url: str | None = None
    tuning_api_key: SecretStr | None = None
    tuning_suffix: str = "afina"
    tuning_seed: int = 42
    tuning_holdout_share: float = Field(default=0.1, ge=0.0, le=0.5)
    tuning_replay_share: float = Field(default=0.3, ge=0.0, le=1.0)
    tuning_min_examples: int = Field(default=10, ge=1)
    tuning_max_example_tokens: int = Field(default=4096, ge=64)
    tuning_poll_interval_s: float = Field(default=10.0, gt=0)
    tuning_cost_per_1k_tokens: float = Field(default=0.003, ge=0)
    eval_judge_model: str | None = None
    eval_margin: float = Field(default=0.02, ge=0.0, le=1.0)
    eval_max_items: int = Field(default=200, ge=1)
    eval_golden: bool = True  # gate against the recorded golden set too (`afina golden record`)
    redact_patterns: IdList = Field(default_factory=list)
    redact_keep: IdList = Field(default_factory=list)

    # --- Together AI (hosted LoRA fine-tuning, served serverless) ----------
    together_api_key: SecretStr | None = None
    together_base_url: str = "https://api.together.xyz/v1"
    together_base_model: str = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    together_training_type: Literal["lora", "full"] = "lora"
    together_epochs: int = Field(default=3, ge=1, le=20)

    # --- local (self-hosted) training ------------------------------------
    local_base_model: str | None = None
    local_output_dir: Path | None = None
    local_lora_rank: int = Field(default=16, ge=1)
    local_epochs: float = Field(default=2.0, gt=0)
    local_learning_rate: float = Field(default=2e-4, gt=0)
    local_max_steps: int = Field(default=-1)
    local_batch_size: int = Field(default=4, ge=1)
    local_max_seq_length: int = Field(default=1024, ge=64)
    local_allow_cpu: bool = False
    lora_server_url: str | None = None

    # --- schedule -----------------------------------------------------------
    retrain_cron: str = "0 3 * * 1"
    retrain_min_new_examples: int = Field(default=20, ge=1)
    retrain_misfire_grace_s: int = Field(default=3600, ge=1)
    worker_stop_timeout_s: float = Field(default=30.0, gt=0)

    # --- logging -------------------------------------------------------------
    log_level: str = "INFO"

    @field_validator(
        "reviewers",
        "slack_reviewers",
        "telegram_reviewers",
        "redact_patterns",
        "redact_keep",
        mode="before",
    )
    @classmethod
    def _ids(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator("system_prompt_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no file at {value}")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.afina_home / 'afina.db'}"

    @property
    def console_address(self) -> str:
        """Where people open the console: CONSOLE_URL, else this machine's HOST and PORT."""
        if self.console_url:
            return self.console_url.rstrip("/")
        host = "localhost" if self.host in {"", "0.0.0.0", "::"} else self.host
        return f"http://{host}:{self.port}/console"

    @property
    def adapters_dir(self) -> Path:
        """Where local training runs and their LoRA adapters live."""
        return self.local_output_dir or self.afina_home / "adapters"

    @property
    def backend(self) -> Backend:
        """The model backend: explicit choice, else `openai` with a key, else offline."""
        if self.model_backend:
            return self.model_backend
        return "openai" if self.openai_api_key else "examples"

    def voice(self) -> str:
        """The brand voice: a file wins over the inline prompt, which wins over the demo voice."""
        if self.system_prompt_file:
            return self.system_prompt_file.read_text(encoding="utf-8").strip()
        if self.system_prompt:
            return self.system_prompt
        from bot.demo import DEMO_VOICE

        return DEMO_VOICE


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except UnicodeDecodeError as exc:  # pydantic names the variables; a broken file has none
        from bot.errors import BadInput

        raise BadInput(
            f"the settings file .env is not UTF-8 text (byte {exc.start + 1} cannot be read)"
        ) from None
