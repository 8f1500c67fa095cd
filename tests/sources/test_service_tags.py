"""Service Tags files: the published shape read into named address sets, other shapes refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netfence.errors import InputError
from netfence.sets.ipranges import IPRangeSet
from netfence.sources.service_tags import read_service_tags

PUBLISHED = {
    "changeNumber": 321,
    "cloud": "Public",
    "values": [
        {
            "name": "AzureArcInfrastructure",
            "id": "AzureArcInfrastructure",
            "properties": {
                "changeNumber": 12,
                "region": "",
                "platform": "Azure",
                "systemService": "AzureArcInfrastructure",
                "addressPrefixes": ["13.64.0.0/24", "2603:1030::/48"],
                "networkFeatures": ["API", "NSG"],
            },
        },
        {
            "name": "Storage.WestEurope",
            "id": "Storage.WestEurope",
            "properties": {"addressPrefixes": ["20.38.108.0/23", "20.60.0.4"]},
        },
    ],
}


def _write(tmp_path: Path, body: object) -> str:
    path = tmp_path / "ServiceTags_Public.json"
    path.write_text(json.dumps(body, indent=2))
    return str(path)


def test_published_file_gives_each_tag_its_prefixes_v4_and_v6(tmp_path: Path) -> None:
    """'Azure IP Ranges and Service Tags': values[].name and values[].properties.addressPrefixes."""
    tags = read_service_tags(_write(tmp_path, PUBLISHED))
    assert tags.cloud == "Public" and tags.change_number == 321 and len(tags) == 2
    assert tags.lookup("AzureArcInfrastructure") == IPRangeSet.from_cidrs(
        ["13.64.0.0/24", "2603:1030::/48"]
    )
    assert tags.lookup("storage.westeurope") == IPRangeSet.from_cidrs(
        ["20.38.108.0/23", "20.60.0.4/32"]
    )
    assert tags.lookup("Sql") is None


def test_tag_names_match_without_regard_to_case(tmp_path: Path) -> None:
    """Azure matches service tag names in rules case-insensitively."""
    tags = read_service_tags(_write(tmp_path, PUBLISHED))
    assert "AZUREARCINFRASTRUCTURE" in tags


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"securityRules": []}, "not a Service Tags file"),
        (
            {"values": [{"name": "X", "properties": {"addressPrefixes": ["10.0.0.300/24"]}}]},
            "values[0].properties.addressPrefixes[0]: '10.0.0.300/24' is not an IP address",
        ),
        ({"values": [{"name": "X"}]}, "values[0].properties: required"),
        (
            {
                "values": [
                    {"name": "X", "properties": {"addressPrefixes": []}},
                    {"name": "x", "properties": {"addressPrefixes": []}},
                ]
            },
            "values[1].name: service tag 'x' appears twice",
        ),
        (
            {"values": [{"name": 3, "properties": {"addressPrefixes": []}}]},
            "values[0].name: expected a string",
        ),
    ],
)
def test_a_file_of_the_wrong_shape_is_one_clear_error(
    tmp_path: Path, body: object, expected: str
) -> None:
    with pytest.raises(InputError) as caught:
        read_service_tags(_write(tmp_path, body))
    text = str(caught.value)
    assert "ServiceTags_Public.json" in text and "line" in text
    assert expected in text


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tags.txt"
    path.write_text("AzureCloud 1.2.3.0/24\n")
    with pytest.raises(InputError, match="not a JSON export"):
        read_service_tags(str(path))
