"""Read a connectivity-test spec (``format: netfence.connectivity-tests``, ``version: 1``).

The reader is strict: an unknown field (with the closest known one offered), a wrong type, a
duplicate name, an end that is neither a name, a selector nor a CIDR, is one InputError naming
the file, line and field. Whether an end matches anything in a cluster is not the reader's
question: the evaluation answers it (``analyses/assertions.py``). The format is documented in
docs/connectivity-tests.md, and ``data/schemas/connectivity-tests-v1.json`` states it as a
JSON Schema that tests keep in step with this reader.
"""

from __future__ import annotations

import importlib.resources
import ipaddress
from typing import Any, Final

from netfence.errors import InputError, Location
from netfence.model.connectivity_tests import (
    SPEC_FORMAT,
    SPEC_VERSION,
    AddressEnd,
    Assertion,
    AssertionEnd,
    ConnectivityTests,
    Expectation,
    NamedEnd,
    SelectorEnd,
    SpecProtocol,
)
from netfence.model.selectors import LabelSelector
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.exports import read_export_text
from netfence.sources.fields import Field
from netfence.sources.k8s_selectors import parse_label_selector
from netfence.sources.k8s_validation import (
    dns1123_label_problem,
    dns1123_subdomain_problem,
    iana_svc_name_problem,
    parse_cidr,
    parse_ip,
    port_number_problem,
)
from netfence.sources.yamldocs import parse_documents

SCHEMA_FILE: Final = "schemas/connectivity-tests-v1.json"
"""The spec's JSON Schema, under the package's ``data`` directory."""

_TOP: Final = frozenset({"format", "version", "tests"})
_TEST: Final = frozenset({"name", "from", "to", "port", "protocol", "expect", "reason"})
_SELECTOR_END: Final = frozenset({"namespace", "namespaceSelector", "podSelector"})
_ADDRESS_END: Final = frozenset({"cidr"})


def is_connectivity_tests(body: Any) -> bool:
    """Whether a parsed document is a connectivity-test spec (its ``format`` says so)."""
    return isinstance(body, dict) and body.get("format") == SPEC_FORMAT


def read_connectivity_tests(path: str) -> ConnectivityTests:
    """The spec in the file at ``path`` (``-`` for standard input)."""
    file = "<stdin>" if path == "-" else path
    return parse_connectivity_tests(read_export_text(path), file)


def parse_connectivity_tests(text: str, file: str) -> ConnectivityTests:
    """The spec in ``text``, read from ``file``; one InputError for the first problem."""
    documents = list(parse_documents(text, file))
    if not documents:
        raise InputError("empty connectivity-test spec", Location(file, 1, 1))
    root = Field.root(documents[0])
    root.mapping()
    _header(root)  # first: a file of another kind is named as such
    if len(documents) != 1:
        raise InputError(
            f"a connectivity-test spec is one YAML document, found {len(documents)}",
            documents[1].location(),
        )
    root.refuse_unknown(_TOP)
    tests = root.require("tests")
    if not tests.is_list():
        raise tests.error("expected a list of assertions")
    assertions = tuple(_assertion(item) for item in tests.items())
    if not assertions:
        raise tests.error("expected at least one assertion")
    _refuse_duplicate_names(tests, assertions)
    return ConnectivityTests(file, assertions)


def connectivity_tests_schema() -> str:
    """The JSON Schema of the spec format (draft 2020-12), as shipped."""
    resource = importlib.resources.files("netfence") / "data" / SCHEMA_FILE
    return resource.read_text(encoding="utf-8")


def _header(root: Field) -> None:
    found = root.get("format")
    if found is None:
        raise Field(root.doc, "format", None, root.line).error(
            f"required: a connectivity-test spec says format: {SPEC_FORMAT}"
        )
    text = found.string()
    if text != SPEC_FORMAT:
        raise found.error(f"unsupported format {text!r} (expected {SPEC_FORMAT})")
    version = root.require("version")
    if version.integer() != SPEC_VERSION:
        raise version.error(
            f"unsupported version {version.value} (this netfence reads version {SPEC_VERSION})"
        )


def _assertion(item: Field) -> Assertion:
    item.mapping()
    item.refuse_unknown(_TEST)
    port_field = item.get("port")
    port = None if port_field is None else _port(port_field)
    protocol_field = item.get("protocol")
    protocol = None if protocol_field is None else protocol_field.choice(SpecProtocol)
    if protocol is None and port is not None:
        protocol = SpecProtocol.TCP  # as a NetworkPolicy port defaults it
    reason = item.get("reason")
    return Assertion(
        name=item.require("name").text(),
        source=_end(item.require("from")),
        destination=_end(item.require("to")),
        port=port,
        protocol=protocol,
        expect=item.require("expect").choice(Expectation),
        reason="" if reason is None else reason.text(),
        origin=item.location,
    )


def _refuse_duplicate_names(tests: Field, assertions: tuple[Assertion, ...]) -> None:
    seen: dict[str, int] = {}
    for item, assertion in zip(tests.items(), assertions, strict=True):
        if assertion.name in seen:
            raise item.require("name").error(
                f"duplicate name {assertion.name!r} (first at line {seen[assertion.name]})"
            )
        seen[assertion.name] = assertion.origin.line


def _port(field: Field) -> int | str:
    if field.is_integer():
        number = field.integer()
        problem = port_number_problem(number)
        if problem is not None:
            raise field.error(f"invalid port: {problem}")
        return number
    if not isinstance(field.value, str):
        raise field.error("expected a port number (1-65535) or a port name")
    problem = iana_svc_name_problem(field.value)
    if problem is not None:
        raise field.error(f"invalid port name {field.value!r}: {problem}")
    return field.value


def _end(field: Field) -> AssertionEnd:
    if isinstance(field.value, str):
        return _named_end(field)
    if not isinstance(field.value, dict):
        raise field.error(
            "expected ns/name, an IP address, a selector (namespace or namespaceSelector, "
            "podSelector) or {cidr: ...}"
        )
    if "cidr" in field.mapping():
        field.refuse_unknown(_ADDRESS_END)
        return _address_end(field.require("cidr"))
    field.refuse_unknown(_SELECTOR_END | _ADDRESS_END)
    return _selector_end(field)


def _named_end(field: Field) -> NamedEnd:
    text = field.string()
    try:
        parse_ip(text)
    except ValueError:
        pass
    else:
        return NamedEnd(str(ipaddress.ip_address(text)))
    namespace, slash, name = text.partition("/")
    if not slash:
        raise field.error(f"{text!r} is neither namespace/name nor an IP address")
    problem = dns1123_label_problem(namespace)
    if problem is not None:
        hint = " (an address range is written {cidr: ...})" if _is_cidr(text) else ""
        raise field.error(f"invalid namespace {namespace!r}: {problem}{hint}")
    problem = dns1123_subdomain_problem(name)
    if problem is not None:
        raise field.error(f"invalid name {name!r}: {problem}")
    return NamedEnd(text)


def _is_cidr(text: str) -> bool:
    try:
        parse_cidr(text)
    except ValueError:
        return False
    return True


def _address_end(field: Field) -> AddressEnd:
    text = field.string()
    try:
        network = parse_cidr(text, strict_prefix=True)
    except ValueError:
        try:
            network = ipaddress.ip_network(parse_ip(text))
        except ValueError as exc:
            raise field.error(f"invalid CIDR {text!r}: {exc}") from None
    if "/" in text and parse_ip(text.partition("/")[0]) != network.network_address:
        raise field.error(f"CIDR {text!r} has host bits set: the network is {network}")
    return AddressEnd(str(network), IPRangeSet.from_cidr(network))


def _selector_end(field: Field) -> SelectorEnd:
    namespace = field.get("namespace")
    namespace_selector = field.get("namespaceSelector")
    if (namespace is None) == (namespace_selector is None):
        raise field.error(
            "a selector names exactly one of namespace (a name) or namespaceSelector "
            "({} for every namespace)"
        )
    name = None
    if namespace is not None:
        name = namespace.string()
        problem = dns1123_label_problem(name)
        if problem is not None:
            raise namespace.error(f"invalid namespace {name!r}: {problem}")
    pods = field.get("podSelector")
    return SelectorEnd(
        namespace=name,
        namespace_selector=(None if namespace_selector is None else _selector(namespace_selector)),
        pod_selector=LabelSelector() if pods is None else _selector(pods),
    )


def _selector(field: Field) -> LabelSelector:
    field.refuse_unknown({"matchLabels", "matchExpressions"})
    return parse_label_selector(field)
