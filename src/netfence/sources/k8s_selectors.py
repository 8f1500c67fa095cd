"""Parse metav1.LabelSelector fields into the model, with the API server's validation.

apimachinery ``ValidateLabelSelector``: ``matchLabels`` as labels (qualified-name keys,
label values); each ``matchExpressions`` key a qualified name, its operator one of In,
NotIn, Exists, DoesNotExist, In/NotIn with at least one value, Exists/DoesNotExist with
none, every value a label value.
"""

from __future__ import annotations

from netfence.model.selectors import LabelSelector, Operator, Requirement
from netfence.sources.fields import Field
from netfence.sources.k8s_validation import label_value_problem, qualified_name_problem


def parse_label_selector(field: Field) -> LabelSelector:
    """Parse ``matchLabels`` and ``matchExpressions`` (AND-ed together)."""
    field.mapping()
    requirements: list[Requirement] = []
    match_labels = field.get("matchLabels")
    if match_labels is not None:
        for key, value in match_labels.labels().items():
            requirements.append(Requirement(key, Operator.IN, (value,)))
    expressions = field.get("matchExpressions")
    if expressions is not None:
        requirements.extend(_parse_requirement(item) for item in expressions.items())
    return LabelSelector.create(requirements)


def _parse_requirement(item: Field) -> Requirement:
    key_field = item.require("key")
    key = key_field.string()
    problem = qualified_name_problem(key)
    if problem is not None:
        raise key_field.error(f"invalid label key {key!r}: {problem}")
    op_field = item.require("operator")
    op_text = op_field.string()
    try:
        operator = Operator(op_text)
    except ValueError:
        allowed = ", ".join(o.value for o in Operator)
        raise op_field.error(f"unknown operator {op_text!r} (expected one of {allowed})") from None
    values_field = item.get("values")
    items = values_field.items() if values_field is not None else ()
    values = tuple(_label_value(v) for v in items)
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        target = values_field if values_field is not None else item
        raise target.error(f"operator {operator.value} needs at least one value")
    if operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
        assert values_field is not None
        raise values_field.error(f"operator {operator.value} takes no values")
    return Requirement(key, operator, tuple(sorted(set(values))))


def _label_value(field: Field) -> str:
    value = field.string()
    problem = label_value_problem(value)
    if problem is not None:
        raise field.error(f"invalid label value {value!r}: {problem}")
    return value
