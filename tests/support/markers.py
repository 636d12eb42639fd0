"""The `process` marker, put on every test that starts a process, by what the test uses.

A test is marked when its code, the code of its fixtures, or the code of the
test helpers they call (functions and classes under `tests/`, followed as deep
as they go) names something that starts a process: `subprocess`,
`multiprocessing`, `AFINA` (the `afina` console script, `tests.support.processes`)
or `build_tiny_model` (local training runs its trainer in a child process).
Nothing needs marking by hand: a new test that starts `afina` is marked the
moment it names `AFINA`.

`make test-quick` (`pytest -m "not process"`) runs the rest: everything in-process,
against fake servers on 127.0.0.1 and a real database, in under a minute.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

import pytest

STARTS_A_PROCESS = frozenset({"subprocess", "multiprocessing", "AFINA", "build_tiny_model"})
MARK = "process"


def _codes(code: types.CodeType) -> list[types.CodeType]:
    """A code object and those nested in it (inner functions, lambdas, comprehensions)."""
    found = [code]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found.extend(_codes(const))
    return found


def _functions(obj: Any) -> list[types.FunctionType]:
    """The plain functions behind a test, a fixture, a helper function or a helper class."""
    wrapped = getattr(obj, "_get_wrapped_function", None)  # pytest's fixture definition
    obj = inspect.unwrap(wrapped() if callable(wrapped) else obj)
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, type):
        return [
            inspect.unwrap(member)
            for member in vars(obj).values()
            if isinstance(inspect.unwrap(member), types.FunctionType)
        ]
    return []


def starts_a_process(roots: list[Any]) -> bool:
    """Whether any of `roots`, or a test helper they reach, names a process starter."""
    seen: set[int] = set()
    waiting = [function for root in roots for function in _functions(root)]
    while waiting:
        function = waiting.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        names = {name for code in _codes(function.__code__) for name in code.co_names}
        if names & STARTS_A_PROCESS:
            return True
        for name in names:
            helper = function.__globals__.get(name)
            if getattr(helper, "__module__", "").startswith("tests"):
                waiting.extend(_functions(helper))
    return False


def mark_process_tests(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        fixtures = [
            definition.func
            for definitions in item._fixtureinfo.name2fixturedefs.values()
            for definition in definitions
        ]
        if starts_a_process([item.function, *fixtures]):
            item.add_marker(MARK)
