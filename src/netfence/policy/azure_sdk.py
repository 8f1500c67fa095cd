"""Check Azure Firewall shapes against the official Azure SDK's models, where it is installed.

The ``azure-mgmt-network`` package (the ``azure`` extra) carries the Network API's models: for
each object its fields with their JSON names and types, and for rules and rule collections the
discriminator (``ruleType``, ``ruleCollectionType``) with the kinds it selects. Its models
accept any JSON without complaint, so this module walks a body against their declarations and
says what they would not describe: an unknown field, a value of the wrong type, an unknown
kind or enumeration value.

Without the package nothing here reports anything (:func:`sdk_available` says so); the
language's own reading still refuses what Azure would.
"""

from __future__ import annotations

import enum
import functools
import importlib
import types
import typing
from collections.abc import Iterator
from typing import Any

from netfence.sources.fields import Field

_MODELS_MODULE = "azure.mgmt.network.models"


@functools.cache
def _models() -> types.ModuleType | None:
    try:
        return importlib.import_module(_MODELS_MODULE)
    except ImportError:
        return None


def sdk_available() -> bool:
    """Whether the Azure SDK's network models are installed."""
    return _models() is not None


@functools.cache
def _fields(model_name: str) -> dict[str, Any]:
    """The JSON field names of a model with their declared types."""
    models = _models()
    assert models is not None
    cls = getattr(models, model_name)
    cls({})  # the models fill in their field table on first use
    private = importlib.import_module(f"{_MODELS_MODULE}._models")
    scope = {**vars(private), "_models": models}
    hints = typing.get_type_hints(cls, globalns=scope)
    table = cls._attr_to_rest_field
    return {rest._rest_name: hints.get(attr, Any) for attr, rest in table.items()}


def model_fields(model_name: str) -> frozenset[str]:
    """The JSON field names the SDK declares for ``model_name`` (empty without the SDK)."""
    if _models() is None:
        return frozenset()
    return frozenset(_fields(model_name))


def _discriminated(model_name: str, value: Field) -> tuple[str | None, str | None]:
    """(concrete model, problem) for a body of a discriminated base model."""
    models = _models()
    assert models is not None
    cls = getattr(models, model_name)
    mapping: dict[str, type] | None = getattr(cls, "__mapping__", None)
    if not mapping:
        return model_name, None
    key = next((n for n, t in _fields(model_name).items() if t is str and n.endswith("Type")), None)
    if key is None or not isinstance(value.value, dict):
        return model_name, None
    given = value.value.get(key)
    for kind, subclass in mapping.items():
        if isinstance(given, str) and given.casefold() == kind.casefold():
            return subclass.__name__, None
    known = ", ".join(sorted(mapping))
    return None, f"unknown kind {given!r} (the Azure API knows {known})"


def sdk_problems(
    value: Field, model_name: str, ignore: frozenset[str] = frozenset()
) -> Iterator[tuple[Field, str]]:
    """Every place ``value`` departs from the SDK model ``model_name``, with what is wrong;
    nothing without the SDK. Top-level keys in ``ignore`` (an export's envelope) are skipped."""
    if _models() is None:
        return
    yield from _walk(value, model_name, ignore)


def _discriminator_field(model_name: str, value: Field) -> Field:
    """The field holding a body's kind (``ruleType``), where the problem with it is."""
    for key, hint in _fields(model_name).items():
        if hint is str and key.endswith("Type") and (found := value.get(key)) is not None:
            return found
    return value


def _walk(
    value: Field, model_name: str, ignore: frozenset[str] = frozenset()
) -> Iterator[tuple[Field, str]]:
    concrete, problem = _discriminated(model_name, value)
    if concrete is None:
        yield _discriminator_field(model_name, value), problem or "unknown kind"
        return
    if not isinstance(value.value, dict):
        yield value, f"expected an object ({concrete})"
        return
    declared = _fields(concrete)
    for key, child in value.entries():
        if key in ignore:
            continue
        if key not in declared:
            yield child, f"unknown field (not in the Azure API's {concrete})"
            continue
        yield from _check(child, declared[key])


def _check(value: Field, hint: Any) -> Iterator[tuple[Field, str]]:
    """Problems of one value against a declared type."""
    if value.value is None or hint is Any:
        return
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        yield from _check_union(value, [a for a in arguments if a is not type(None)])
    elif origin is typing.Literal:
        if not any(_same_text(value.value, a) for a in arguments):
            yield value, f"expected {', '.join(repr(str(_plain(a))) for a in arguments)}"
    elif origin is list:
        if not isinstance(value.value, list):
            yield value, "expected a list"
            return
        for item in value.items():
            yield from _check(item, arguments[0])
    elif origin is dict:
        if not isinstance(value.value, dict):
            yield value, "expected an object"
    elif isinstance(hint, type):
        yield from _check_type(value, hint)


def _check_union(value: Field, options: list[Any]) -> Iterator[tuple[Field, str]]:
    """``Union[str, SomeEnum]`` (an extensible enumeration) or ``Optional[X]``."""
    enums = [o for o in options if isinstance(o, type) and issubclass(o, enum.Enum)]
    if enums:
        if not isinstance(value.value, str):
            yield value, "expected a string"
        elif not any(_same_text(value.value, member) for e in enums for member in e):
            known = ", ".join(str(m.value) for e in enums for m in e)
            yield value, f"unknown value {value.value!r} (the Azure API knows {known})"
        return
    if len(options) == 1:
        yield from _check(value, options[0])


def _check_type(value: Field, hint: type) -> Iterator[tuple[Field, str]]:
    raw = value.value
    if hint is bool:
        if not isinstance(raw, bool):
            yield value, "expected true or false"
    elif hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            yield value, "expected an integer"
    elif hint is str:
        if not isinstance(raw, str):
            yield value, "expected a string"
    elif hasattr(hint, "_attr_to_rest_field") or _is_model(hint):
        yield from _walk(value, hint.__name__)


def _is_model(hint: type) -> bool:
    models = _models()
    return models is not None and getattr(models, hint.__name__, None) is hint


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _same_text(given: Any, expected: Any) -> bool:
    expected = _plain(expected)
    return (
        isinstance(given, str)
        and isinstance(expected, str)
        and given.casefold() == expected.casefold()
    )
