"""The desk's Spanish: every sentence translated, a run announcement as a Spanish reviewer
reads it on Telegram, and a Spanish team's Slack Home tab."""

from __future__ import annotations

import string

from bot.channels.slack.desk_home import home_view
from bot.channels.telegram.desk_cards import DeskSigner, run_text
from bot.desk.home import Overview, Scored
from bot.desk.reports import GateSample, RunReport
from bot.desk.wording import EN, ES, words_for
from bot.tables import RunState


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_desk_sentence_has_a_spanish_one_with_the_same_blanks() -> None:
    assert set(ES) == set(EN)
    for key, english in EN.items():
        assert fields(ES[key]) == fields(english), key
    assert words_for("es-ES") is words_for("es") and words_for("pt-BR").language == "en"
    assert words_for(None).language == "en"


def test_a_run_announcement_reads_in_spanish_with_its_buttons() -> None:
    report = RunReport(
        run_id=7,
        state=RunState.promoted,
        provider="openai",
        method="sft",
        metric="exact",
        candidate_score=0.812,
        current_score=0.744,
        scored=20,
        trained_on=48,
        new_examples=6,
        trained_tokens=12345,
        cost_usd=1.5,
        version_id=3,
        model_id="ft:afina-3",
        active=True,
        parent_version_id=2,
        samples=[GateSample("¿Enviáis a Italia?", "Sí.", "Sí, en 3 días.", "Sí.")],
    )
    spanish = words_for("es")
    assert run_text(report, spanish).splitlines() == [
        "Entrenamiento #7 (openai): ✅ promovido: ya responde",
        "Por qué: pasó el control: no es peor que el modelo que responde hoy y no pierde "
        "ninguna corrección",
        "Modelo: ft:afina-3 (versión 3)",
        "Control (exact, 20 preguntas reservadas): candidato 0,812 · el que responde hoy 0,744",
        "Entrenado con 48 ejemplos (6 nuevos, sft) · 12.345 tokens · coste 1,50 $",
        "",
        "Pregunta reservada: ¿Enviáis a Italia?",
        "• candidato: Sí, en 3 días.",
        "• el que responde hoy: Sí.",
    ]
    english = run_text(report).splitlines()
    assert english[0] == "Training run #7 (openai): ✅ promoted: it answers now"
    assert english[4].endswith("12,345 tokens · cost $1.50")
    keyboard = DeskSigner("secret").run_keyboard(42, report, spanish)
    assert keyboard is not None
    assert [b["text"] for b in keyboard["inline_keyboard"][0]] == ["Volver atrás"]


def test_the_slack_home_tab_writes_a_spanish_teams_figures_their_way() -> None:
    overview = Overview(
        open_counts={"suggestion": 2, "rejected": 0, "unanswered": 1},
        unanswered_this_week=4,
        answering="ft:afina-3 (openai)",
        answering_version=3,
        last_scored=Scored(
            run_id=7, state="promoted", metric="exact", candidate=0.8123, current=0.7
        ),
        next_retrain=None,
        new_examples=6,
        needed=20,
    )
    [_, summary, *_] = home_view(overview, words_for("es"))["blocks"]
    assert summary["text"]["text"].splitlines() == [
        "*Pendientes:* 3 (2 sugeridas · 0 👎 · 1 sin respuesta)",
        "*Sin respuesta esta semana:* 4",
        "*Responde:* versión 3 · ft:afina-3 (openai)",
        "*Último control:* candidato 0,812 · el que respondía 0,700 (exact), entrenamiento #7 "
        "promovido",
        "*Próximo reentrenamiento:* sin programar · 6 de los 20 ejemplos nuevos que necesita",
    ]
    english = home_view(overview)["blocks"][1]["text"]["text"]
    assert "*Last gate:* candidate 0.812 · answering then 0.700 (exact), run #7 promoted" in english
