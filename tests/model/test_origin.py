"""Origins: how each kind reads, what it says of files and lines, and how input errors name it."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import pytest

import netfence.errors
from netfence.errors import InputError, Location
from netfence.model import origin as origin_module
from netfence.model.origin import (
    APIObjectOrigin,
    ExportOrigin,
    FileOrigin,
    Origin,
    origin_file,
    origin_line,
)

FILE = FileOrigin("manifests/prod.yaml", 2, 14)
API = APIObjectOrigin("NetworkPolicy", "prod", "allow-web", "123")
EXPORT = ExportOrigin("nsg.json", "$.securityRules[3]")


def test_file_origin_reads_as_before():
    assert str(FILE) == "manifests/prod.yaml: document 2, line 14"


def test_api_object_origin_reads_kind_namespace_name_and_version():
    assert str(API) == "NetworkPolicy prod/allow-web (resourceVersion 123)"
    assert str(APIObjectOrigin("Namespace", None, "prod")) == "Namespace prod"
    assert str(APIObjectOrigin("NetworkPolicy", "prod", "allow-web")) == (
        "NetworkPolicy prod/allow-web"
    )
    assert API.key == "NetworkPolicy/prod/allow-web"
    assert APIObjectOrigin("Namespace", None, "prod").key == "Namespace/prod"


def test_export_origin_reads_file_and_path():
    assert str(EXPORT) == "nsg.json: $.securityRules[3]"


def test_files_and_lines_of_each_kind():
    assert (origin_file(FILE), origin_line(FILE)) == ("manifests/prod.yaml", 14)
    assert (origin_file(EXPORT), origin_line(EXPORT)) == ("nsg.json", None)
    assert (origin_file(API), origin_line(API)) == (None, None)
    assert (origin_file(None), origin_line(None)) == (None, None)


@pytest.mark.parametrize("origin", [FILE, API, EXPORT])
def test_origins_are_frozen_and_hashable(origin: Origin):
    assert isinstance(origin, Origin)
    with pytest.raises(dataclasses.FrozenInstanceError):
        origin.name = "other"  # type: ignore[misc,union-attr]
    assert len({origin, dataclasses.replace(origin)}) == 1


def test_location_is_the_file_origin():
    assert Location is FileOrigin
    assert netfence.errors.Location("a.yaml", 1, 2) == FileOrigin("a.yaml", 1, 2)


def test_origin_module_imports_nothing_from_netfence():
    tree = ast.parse(inspect.getsource(origin_module))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [m for m in imported if m and m.split(".")[0] == "netfence"]


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (FILE, "manifests/prod.yaml: document 2, line 14: spec.ingress[0].ports[1].port: too big"),
        (
            API,
            "NetworkPolicy prod/allow-web (resourceVersion 123): spec.ingress[0].ports[1].port: too big",
        ),
        (EXPORT, "nsg.json: $.securityRules[3]: spec.ingress[0].ports[1].port: too big"),
        (None, "spec.ingress[0].ports[1].port: too big"),
    ],
)
def test_input_error_names_any_origin_on_one_line(origin, expected):
    error = InputError("too big", origin, "spec.ingress[0].ports[1].port")
    assert str(error) == expected
    assert "\n" not in str(error)
    assert error.location is origin
