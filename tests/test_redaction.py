"""Personal data and secrets never reach a training file; ordinary shop talk always does.

The chats below are what support conversations look like: several paragraphs,
Spanish and English, with the personal data mixed into ordinary text. They go
in the way a person puts them in (taught with `afina ask` / `afina feedback
--fix`, or imported), and `afina export` writes every file; each item must be
gone from every file, and the prices, order numbers, dates, product names and
the shop's own contacts must all still be there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run
from tuning.redaction import Redactor

VOICE = (
    "You are Verdalia, a small vegan-cosmetics shop in Sevilla. Humans answer at "
    "hola@verdalia.example or on +34 954 123 456; the shop is at Calle Feria 12, 41003 "
    "Sevilla (Verdalia Cosmética S.L., CIF B12345674). Our best seller is the Aceite de Rosa "
    "Mosqueta; we also sell Carolina Herrera perfumes."
)

# --- the chats: (turns, the taught answer) -----------------------------------------
LUCIA = [
    (
        "Hola, buenas tardes. Me llamo Lucía Fernández Ruiz y os escribo porque el pedido "
        "#48213 del 03/05/2026 todavía no ha llegado. Lo hice a nombre de mi marido, Javier "
        "Moreno.\n\nLa dirección de entrega es Calle Mayor 12, 3º B, 28013 Madrid. Mi DNI es "
        "12345678Z por si lo necesitáis para la factura.",
        "¡Hola Lucía! 🌿 Siento el retraso: el pedido #48213 salió el 04/05 desde Sevilla. "
        "¿Me confirmas un teléfono por si el mensajero no te encuentra?",
    ),
    (
        "Claro, es el 612 345 678, o escribidme a lucia.fernandez@gmail.com. Mi hermana, que "
        "vive en Avda. de la Constitución 3, 41001 Sevilla, pidió el mismo día el champú "
        "sólido de 9,95 € y le llegó en 2 días.",
        "Gracias, Lucía 🌱 Llegará mañana antes de las 14:00. Si no, escríbenos a "
        "hola@verdalia.example y te devolvemos los 4,95 € del envío.",
    ),
]
MARTA = [
    (
        "Buenos días. Soy Marta y tengo un herbolario en Valencia; queremos comprar al por "
        "mayor. La empresa es Herbolario Sol S.L., CIF A58818501, y la persona de contacto es "
        "el Sr. Etxeberria.\n\nPara la factura, mi NIE es X1234567L. Pagaremos por transferencia "
        "desde ES91 2100 0418 4502 0005 1332, o con la tarjeta 4111 1111 1111 1111. Para el "
        "envío a Canarias la agencia pide un documento: pasaporte PAA123456.",
        "¡Encantadas, Marta! 🌿 Para pedidos de más de 200 € tenéis un 15 % de descuento en el "
        "Aceite de Rosa Mosqueta (12,50 €) y en el bálsamo labial de 4,50 €. Te mando la "
        "tarifa mayorista hoy.",
    ),
]
JOHN = [
    (
        "Hi there, my name is John Smith and I'm writing for my mum, Mrs Patricia Johnson. "
        "Her order ORD-20417 was meant to go to 221B Baker Street, London NW1 6XE, but the "
        "tracking page says it went to 1600 Pennsylvania Ave NW, Washington, DC 20500?!\n\n"
        "I tried to log in from my laptop (IP 192.168.1.23, or 2001:db8::8a2e:370:7334 at the "
        "office) and my account is locked. My password: Sunflower77!",
        "Hi John! 🌿 So sorry about the mix-up. I've re-sent order ORD-20417 by express; it "
        "should arrive by Friday 12 June. Please never send us your password: reset it at "
        "verdalia.example/reset instead.",
    ),
]
TOM = [
    (
        "Hey, our developer set up the Slack app and pasted these into the chat by mistake: "
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx and "
        "xapp-1-A0123456789-1234567890123-0123456789abcdef, the OpenAI key "
        "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789, AWS AKIAIOSFODNN7EXAMPLE, a GitHub "
        "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789, github_pat_11ABCDEFG0123456789_abcdef"
        "ghijklmnopqrstuvwxyz and our Telegram bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw."
        "\n\nAlso this JWT: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U and the server key:\n"
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "-----END OPENSSH PRIVATE KEY-----\n\nCan you delete them? Thanks,\nTom",
        "Done, Tom 🌱 The message is gone. Please rotate those keys today: the Slack app page "
        "has a Regenerate button, and our Carolina Herrera gift box is still 20 % off.",
    ),
]
CHATS = {"lucia": LUCIA, "marta": MARTA, "john": JOHN, "tom": TOM}

GONE = {
    "name": [
        "Lucía Fernández",
        "Fernández Ruiz",
        "Javier",
        "Moreno",
        "Hola Lucía",
        "Gracias, Lucía",
        "Soy Marta",
        "Encantadas, Marta",
        "Etxeberria",
        "John Smith",
        "Hi John",
        "Patricia",
        "Johnson",
        "Done, Tom",
        "Thanks,\nTom",
    ],
    "dni": ["12345678Z"],
    "nie": ["X1234567L"],
    "cif": ["A58818501"],
    "passport": ["PAA123456"],
    "address": [
        "Calle Mayor",
        "28013",
        "3º B",
        "Constitución",
        "41001",
        "Baker Street",
        "NW1 6XE",
        "Pennsylvania",
        "20500",
    ],
    "phone": ["612 345 678"],
    "email": ["lucia.fernandez", "gmail.com"],
    "iban": ["ES91", "0418 4502"],
    "card": ["4111 1111"],
    "ip": ["192.168.1.23", "2001:db8"],
    "secret": [
        "Sunflower77",
        "xoxb-",
        "xapp-",
        "sk-proj-",
        "AKIA",
        "ghp_",
        "github_pat_",
        "AAHdqTcv",
        "eyJhbGci",
        "BEGIN OPENSSH",
        "b3BlbnNzaC1",
    ],
}
KEPT = [
    "#48213",
    "03/05/2026",
    "04/05",
    "9,95 €",
    "4,95 €",
    "14:00",
    "champú sólido",
    "hola@verdalia.example",
    "Sevilla",
    "Valencia",
    "Herbolario Sol S.L.",
    "200 €",
    "15 %",
    "Aceite de Rosa Mosqueta (12,50 €)",
    "bálsamo labial de 4,50 €",
    "ORD-20417",
    "Friday 12 June",
    "verdalia.example/reset",
    "Carolina Herrera",
    "Slack app",
    "20 % off",
]


def redactor() -> Redactor:
    return Redactor(voice=VOICE, brand="Verdalia")


def all_text(chats: dict[str, list[tuple[str, str]]]) -> str:
    return "\n".join(part for chat in chats.values() for turn in chat for part in turn)


def test_each_item_in_the_chats_is_replaced_and_the_shop_talk_stays() -> None:
    red = redactor()
    clean = red(all_text(CHATS))
    for kind, items in GONE.items():
        for item in items:
            assert item not in clean, (kind, item)
    for item in KEPT:
        assert item in clean, item
    assert "Me llamo [NAME] y os escribo" in clean
    assert "La dirección de entrega es [ADDRESS]. Mi DNI es [DNI] por" in clean
    assert "es el Sr. [NAME].\n\nPara la factura, mi NIE es [NIE]." in clean
    assert "my name is [NAME] and I'm writing for my mum, Mrs [NAME]." in clean
    assert "My password: [SECRET]!" in clean or "My password: [SECRET]" in clean
    assert "Can you delete them? Thanks,\n[NAME]" in clean
    counts = red.summary()
    assert counts["secret"] == 10 and counts["address"] == 4 and counts["dni"] == 1
    assert counts["nie"] == 1 and counts["cif"] == 1 and counts["passport"] == 1
    assert counts["ip"] == 2 and counts["iban"] == 1 and counts["card"] == 1
    assert counts["email"] == 1 and counts["phone"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DNI 12345678Z.", "DNI [DNI]."),
        ("dni: 12.345.678-Z", "dni: [DNI]"),
        ("mi dni es 12345678z", "mi dni es [DNI]"),
        ("NIE Y-1234567-X y Z 1234567 R", "NIE [NIE] y [NIE]"),
        ("NIF K1234567L", "NIF [DNI]"),
        ("CIF B76543214, G12345678? P1234567D", "CIF [CIF], G12345678? [CIF]"),
        ("passport no. 123456789", "passport no. [PASSPORT]"),
        ("Reisepass C01X00T47", "Reisepass [PASSPORT]"),
        ("ping 10.0.0.1 or fe80::1ff:fe23:4567:890a", "ping [IP] or [IP]"),
        ("C/ Alcalá 45, 2ºA, 28014 Madrid.", "[ADDRESS]."),
        ("Carrer de Mallorca 401, 08013 Barcelona", "[ADDRESS]"),
        ("vivo en calle Mayor s/n", "vivo en [ADDRESS]"),
        ("12 rue de la Paix, 75002 Paris", "[ADDRESS]"),
        ("Hauptstraße 5, 10115 Berlin", "[ADDRESS]"),
        ("Kerkstraat 12, 1017 GC Amsterdam", "[ADDRESS]"),
        ("Via Roma 10, 00184 Roma", "[ADDRESS]"),
        ("Rua Augusta 100, 1100-048 Lisboa", "[ADDRESS]"),
        ("me llamo itziar goikoetxea", "me llamo [NAME]"),
        ("Me llamo Itziar Goikoetxea.", "Me llamo [NAME]."),
        ("Un saludo,\nMaría José de la Fuente", "Un saludo,\n[NAME]"),
        ("Hola Rosa, ¿qué tal?", "Hola [NAME], ¿qué tal?"),
        ("Dear Ms O'Brien,", "Dear Ms [NAME],"),
        ("Atiende D.ª Goikoetxea.", "Atiende D.ª [NAME]."),
        ("sk-AbCdEfGhIjKlMnOpQrSt1234 or ASIAIOSFODNN7EXAMPLE", "[SECRET] or [SECRET]"),
        ("gho_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "[SECRET]"),
        ("mi contraseña es Verde2024.", "mi contraseña es [SECRET]."),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow", "[SECRET]"),
    ],
)
def test_each_kind_in_its_usual_shapes(text: str, expected: str) -> None:
    assert redactor()(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order 12345678 of 2026-05-07 costs €35.95 (ref 1234567).",
        "Pedido 12345678A",  # the wrong check letter for a DNI: an order number
        "CIF inválido B12345675",
        "Tu pedido ORD123456 y la factura FAC-2026-000123 ya están.",
        "Spring 2026 collection: 3 shampoo bars for €12.95, 2 Lip Balm tubes.",
        "Envíos a 28013 Madrid en 24 h; a Lyon, 3–5 días.",
        "Version 1.2.3 is out; the meeting is at 10:30:00.",
        "The server listens on 0.0.0.0:3000 and 127.0.0.1, or ::1.",
        "My password is wrong, and the token expired.",
        "Aceite de Rosa Mosqueta, lavanda, Rosa y jazmín.",
        "Best Rosa Mosqueta oil! Jade Green eyeshadow, Ruby Woo lipstick.",
        "Carolina Herrera, Tom Ford and Miss Dior are in the gift box.",
        "Will you ship to Santiago de Compostela or San Sebastián?",
        "Verdalia ships from Sevilla; write to hola@verdalia.example or call +34 954 123 456.",
        "Nuestra tienda: Calle Feria 12, 41003 Sevilla (CIF B12345674).",
        "The task-management-system-for-everyone is great.",
        "Our passport-size gift box costs €25.",
    ],
)
def test_ordinary_shop_text_is_left_alone(text: str) -> None:
    red = redactor()
    assert red(text) == text
    assert not any(red.summary().values())


def test_keep_list_and_brand_protect_what_looks_like_a_name() -> None:
    red = Redactor(keep=["Laura Gómez", "soporte@partner.example"], brand="Sofía Natural")
    text = "Pregunta a Laura Gómez (soporte@partner.example). Sofía Natural, by Ana López."
    assert (
        red(text) == "Pregunta a Laura Gómez (soporte@partner.example). Sofía Natural, by [NAME]."
    )


def test_configured_secrets_are_redacted_whatever_their_shape() -> None:
    red = Redactor(secrets=["s3cr3t-webhook-value", "short"])
    assert red("the webhook secret is s3cr3t-webhook-value, short") == (
        "the webhook secret is [SECRET], short"
    )


# --- through the real commands -------------------------------------------------------


def texts_of(jsonl: str) -> str:
    """Every string in a JSONL file, decoded (so a newline inside a message is a newline)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for line in jsonl.splitlines():
        walk(json.loads(line))
    return "\n".join(found)


def teach(capsys: pytest.CaptureFixture[str], chat: str, turns: list[tuple[str, str]]) -> None:
    """Ask each question in one conversation and correct the answer, as a reviewer does."""
    for question, answer in turns:
        asked = run(capsys, "ask", question, "--chat", chat, "--json")
        assert asked.code == 0, asked.err
        fixed = run(capsys, "feedback", str(asked.json()["reply_id"]), "--fix", answer)
        assert fixed.code == 0, fixed.err


@pytest.mark.usefixtures("demo")
def test_export_writes_no_personal_data_to_any_file_and_counts_it(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYSTEM_PROMPT", VOICE)
    monkeypatch.setenv("TUNING_HOLDOUT_SHARE", "0.5")  # some chats in the holdout file too
    teach(capsys, "lucia", LUCIA)
    teach(capsys, "marta", MARTA)
    lines = []
    for chat in (JOHN, TOM):
        messages: list[dict[str, Any]] = []
        for question, answer in chat:
            messages += [{"role": "user", "content": question}]
            messages += [{"role": "assistant", "content": answer}]
        lines.append(json.dumps({"messages": messages}, ensure_ascii=False))
    (tmp_path / "chats.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert run(capsys, "import", str(tmp_path / "chats.jsonl")).code == 0

    out = tmp_path / "export"
    result = run(capsys, "export", "--out", str(out))

    assert result.code == 0, result.err
    files = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    assert set(files) == {
        "sft.jsonl",
        "dpo.jsonl",
        "messages.jsonl",
        "dpo_trl.jsonl",
        "holdout.jsonl",
        "report.json",
    }
    written = {name: texts_of(text) for name, text in files.items() if name.endswith(".jsonl")}
    for name, text in written.items():
        assert text, name
        for items in GONE.values():
            for item in items:
                assert item not in text and item not in files[name], (name, item)
    everything = "\n".join(written.values())
    for item in KEPT:
        assert item in everything, item
    assert "[DNI]" in everything and "[NAME]" in everything and "[SECRET]" in everything
    report = json.loads(files["report.json"])["redacted"]
    assert report["dni"] >= 1 and report["nie"] >= 1 and report["cif"] >= 1
    assert report["address"] >= 4 and report["name"] >= 10 and report["secret"] >= 10
    assert "Redacted: " in result.out and " dni, " in result.out and " secret" in result.out
