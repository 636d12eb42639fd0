"""Prometheus metrics read from the database, so every `web` process reports the same totals."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.tables import Feedback, Message, Reply, TuningRun


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        with self.engine.connect() as conn:
            messages = conn.execute(select(func.count()).select_from(Message)).scalar_one()
            replies = conn.execute(
                select(col(Reply.ok), func.count(), func.avg(col(Reply.latency_ms))).group_by(
                    col(Reply.ok)
                )
            ).all()
            feedback = conn.execute(
                select(col(Feedback.kind), func.count()).group_by(col(Feedback.kind))
            ).all()
            runs = conn.execute(
                select(col(TuningRun.state), func.count()).group_by(col(TuningRun.state))
            ).all()
        yield CounterMetricFamily("afina_messages", "Messages stored (in and out)", value=messages)
        counter = CounterMetricFamily("afina_replies", "Answers given", labels=["ok"])
        latency = GaugeMetricFamily(
            "afina_model_latency_seconds_avg", "Mean model latency", labels=["ok"]
        )
        for ok, n, avg_ms in replies:
            counter.add_metric([str(bool(ok)).lower()], n)
            latency.add_metric([str(bool(ok)).lower()], float(avg_ms or 0) / 1000)
        yield counter
        yield latency
        by_kind = CounterMetricFamily("afina_feedback", "Feedback received", labels=["kind"])
        for kind, n in feedback:
            by_kind.add_metric([str(kind)], n)
        yield by_kind
        by_state = GaugeMetricFamily("afina_tuning_runs", "Tuning runs by state", labels=["state"])
        for state, n in runs:
            by_state.add_metric([str(state)], n)
        yield by_state
