"""Check generated Azure bodies against the official SDK models (``azure-mgmt-network``).

The SDK's models are built from Microsoft's REST API specification, so a body they take
field by field is one the Azure Resource Manager API reads as meant. They are lenient when
built from a dictionary (an unknown key is kept, a string where an integer belongs is
returned as given), so the check walks the model instead: every key must be a field of the
model class the SDK picked (for polymorphic rules and collections, by their discriminator),
writable (not read-only), of the declared type (strings, integers, booleans, lists, nested
models, and for the SDK's enumerations one of their known values), and every required field
present.

The SDK is optional (``pip install netfence[azure]``): without it the check is not run and
the generator says so.
"""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any

_NONE_TYPE = type(None)


def sdk_version() -> str | None:
    """The installed ``azure-mgmt-network`` version, or None when it is not installed."""
    try:
        module = importlib.import_module("azure.mgmt.network")
    except ImportError:
        return None
    return str(getattr(module, "VERSION", getattr(module, "__version__", "unknown")))


def sdk_problems(body: Mapping[str, Any], model_name: str) -> list[str] | None:
    """What in ``body`` does not fit the SDK model ``model_name`` (``[]``: it fits); None when
    the SDK is not installed."""
    try:
        models = importlib.import_module("azure.mgmt.network.models")
        implementation = importlib.import_module("azure.mgmt.network.models._models")
    except ImportError:
        return None
    model = getattr(models, model_name)
    namespace = {**vars(implementation), "_models": models}
    return list(_model_problems(model(dict(body)), body, model, "$", namespace))


def _model_problems(
    instance: Any, raw: Mapping[str, Any], declared: type, path: str, namespace: dict[str, Any]
) -> Iterator[str]:
    cls = type(instance)
    if getattr(declared, "__mapping__", None) is not None and cls is declared:
        yield f"{path}: no {declared.__name__} kind matches its discriminator"
        return
    fields = getattr(cls, "_attr_to_rest_field", {})
    by_rest = {rest_field._rest_name: (attr, rest_field) for attr, rest_field in fields.items()}
    hints = typing.get_type_hints(cls, globalns=namespace)
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key not in by_rest:
            yield f"{where}: not a field of {cls.__name__}"
            continue
        attr, rest_field = by_rest[key]
        visibility = rest_field._visibility or []
        if visibility and "create" not in visibility:
            yield f"{where}: read-only in {cls.__name__}"
        yield from _value_problems(getattr(instance, attr), value, hints[attr], where, namespace)
    for attr, (hint) in hints.items():
        rest_field = fields.get(attr)
        if rest_field is not None and not _optional(hint) and rest_field._rest_name not in raw:
            yield f"{path}.{rest_field._rest_name}: required by {cls.__name__}"


def _optional(hint: Any) -> bool:
    return _NONE_TYPE in typing.get_args(hint)


def _value_problems(
    value: Any, raw: Any, hint: Any, path: str, namespace: dict[str, Any]
) -> Iterator[str]:
    options = (
        [a for a in typing.get_args(hint) if a is not _NONE_TYPE] if _is_union(hint) else [hint]
    )
    if raw is None:
        if not _optional(hint):
            yield f"{path}: null where a value is required"
        return
    enums = [o for o in options if isinstance(o, type) and issubclass(o, Enum)]
    if enums and isinstance(raw, str):
        known = {member.value for e in enums for member in e}
        if raw not in known:
            yield f"{path}: {raw!r} is not one of {sorted(known)}"
        return
    if len(options) != 1:
        yield from _scalar_problems(raw, tuple(o for o in options if isinstance(o, type)), path)
        return
    (only,) = options
    origin = typing.get_origin(only)
    if origin is typing.Literal:
        allowed = [getattr(a, "value", a) for a in typing.get_args(only)]
        if raw not in allowed:
            yield f"{path}: {raw!r} is not {allowed}"
    elif origin is list:
        if not isinstance(raw, list):
            yield f"{path}: expected a list"
            return
        (item_hint,) = typing.get_args(only)
        for i, (item, item_raw) in enumerate(zip(value, raw, strict=True)):
            yield from _value_problems(item, item_raw, item_hint, f"{path}[{i}]", namespace)
    elif isinstance(only, type) and hasattr(only, "_is_model"):
        if not isinstance(raw, dict):
            yield f"{path}: expected an object"
            return
        yield from _model_problems(value, raw, only, path, namespace)
    elif isinstance(only, type):
        yield from _scalar_problems(raw, (only,), path)


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _scalar_problems(raw: Any, allowed: tuple[type, ...], path: str) -> Iterator[str]:
    if isinstance(raw, bool) and bool not in allowed:
        yield f"{path}: a boolean where {_names(allowed)} is expected"
    elif not isinstance(raw, allowed):
        yield f"{path}: {type(raw).__name__} where {_names(allowed)} is expected"


def _names(allowed: tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in allowed)
