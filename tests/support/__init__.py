"""Helpers shared by the tests and the benches (`python -m bench.NAME` finds them from the root).

Fake servers that speak the outside services' HTTP APIs on 127.0.0.1 (`http`,
`openai_server`, `lora_server`, `slack_server`, `slack_socket`,
`telegram_server`, `together_server`), a fake model backend (`models`), starting and waiting for
real `afina` processes (`processes`), running the CLI in-process (`cli`),
seeding and reading the database (`data`), and the tiny model that local
training runs on (`tiny`). None of it ships in the wheel.
"""
