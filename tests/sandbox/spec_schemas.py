"""Validate sandbox responses against the official OpenAPI documents in ../shared/marketplaces/specs.

OpenAPI 3.0 schemas are JSON Schema with two differences that matter here: `nullable: true` (turned
into `anyOf [..., null]`) and no `additionalProperties: false` anywhere, so a misspelt field would
pass plain validation. `undeclared_fields` closes that gap: every key we send must be declared.
"""

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SPECS_SUFFIX = Path("shared") / "marketplaces" / "specs"


def _specs_dir() -> Path:
    """`shared/` beside the checkout, or where CHATCENTER_SPECS_DIR / the team's /work layout puts it
    (a CI clone may live elsewhere on the same machine)."""
    candidates = [
        Path(os.environ["CHATCENTER_SPECS_DIR"]) if os.environ.get("CHATCENTER_SPECS_DIR") else None,
        REPOSITORY_ROOT.parent / SPECS_SUFFIX,
        Path("/work") / SPECS_SUFFIX,
    ]
    found = [path for path in candidates if path and path.is_dir()]
    return found[0] if found else REPOSITORY_ROOT.parent / SPECS_SUFFIX


SPECS_DIR = _specs_dir()

WILDBERRIES_SPEC = "wb-09-communications-2026-07.yaml"
WILDBERRIES_GENERAL_SPEC = "wb-01-general-2026-07.yaml"
OZON_SPEC = "ozon-chat-push-subset-2026-10-derived.json"
YANDEX_MARKET_SPEC = "ym-partner-api-openapi-bundled-2026-07.yaml"


def _nullable_to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def spec(name: str) -> dict[str, Any]:
    path = SPECS_DIR / name
    if not path.exists():
        pytest.skip(f"official spec {path} is not available (expected shared/ beside the repository)")
    text = path.read_text(encoding="utf-8")
    if name.endswith(".json"):
        return json.loads(text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


@cache
def _registry(name: str) -> tuple[Registry, dict[str, Any]]:
    document = _nullable_to_json_schema(copy.deepcopy(spec(name)))
    resource = Resource(contents=document, specification=DRAFT7)
    return Registry().with_resource(f"urn:{name}", resource), document


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _resolve(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.lstrip("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part] if part in node else node[int(part)]
    return node


def response_schema_pointer(
    name: str, path: str, method: str, status: int, media: str = "application/json"
) -> str:
    """JSON pointer to the schema of one documented response (following a response-level $ref)."""
    _, document = _registry(name)
    responses = document["paths"][path][method.lower()]["responses"]
    response = responses.get(str(status), responses.get(status))
    assert response is not None, f"{method} {path} documents no {status} response"
    pointer = "#/" + "/".join(
        _escape(part) for part in ("paths", path, method.lower(), "responses", str(status))
    )
    if "$ref" in response:
        pointer = response["$ref"]
        response = _resolve(document, pointer)
    assert media in response["content"], f"{status} of {method} {path} has no {media} body in the spec"
    return f"{pointer}/content/{_escape(media)}/schema"


def component_pointer(kind: str, component: str) -> str:
    return f"#/components/{kind}/{_escape(component)}"


def _validator(name: str, pointer: str) -> tuple[Draft7Validator, dict[str, Any]]:
    registry, document = _registry(name)
    return Draft7Validator({"$ref": f"urn:{name}{pointer}"}, registry=registry), document


def _merged_properties(document: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], Any, bool]:
    """(declared properties, items schema, open) for a schema with $ref/allOf/anyOf/oneOf."""
    while "$ref" in schema:
        schema = _resolve(document, schema["$ref"].split("#", 1)[1])
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    items = schema.get("items")
    open_object = (
        "properties" not in schema
        and schema.get("type") == "object"
        and not any(key in schema for key in ("allOf", "anyOf", "oneOf"))
    )
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            more, part_items, part_open = _merged_properties(document, part)
            properties.update(more)
            items = items or part_items
            open_object = open_object or part_open
    return properties, items, open_object


def undeclared_fields(name: str, pointer: str, instance: Any) -> list[str]:
    _, document = _registry(name)
    found: list[str] = []

    def walk(value: Any, schema: dict[str, Any], where: str) -> None:
        properties, items, open_object = _merged_properties(document, schema)
        if isinstance(value, dict) and not open_object:
            for key, item in value.items():
                if key not in properties:
                    found.append(f"{where}.{key}")
                else:
                    walk(item, properties[key], f"{where}.{key}")
        elif isinstance(value, list) and items:
            for index, item in enumerate(value):
                walk(item, items, f"{where}[{index}]")

    walk(instance, _resolve(document, pointer), "$")
    return found


def assert_matches(name: str, pointer: str, instance: Any) -> None:
    """The instance is valid for the schema and carries no field the schema does not declare."""
    validator, _ = _validator(name, pointer)
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors[:10])
    assert undeclared_fields(name, pointer, instance) == []


def assert_response(name: str, path: str, method: str, response: Any, media: str = "application/json") -> Any:
    """Check a requests.Response against the official schema of its status; returns the parsed body."""
    pointer = response_schema_pointer(name, path, method, response.status_code, media)
    body = response.json()
    assert_matches(name, pointer, body)
    return body
