"""Check raw rest-json bodies against botocore's OpenSearch Service shapes.

botocore parses leniently: it drops unknown keys and accepts wrong JSON types
in many places, so a wrong emulator response can pass every SDK-level test.
These checks read the raw JSON instead.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape, StringShape, StructureShape

from emulator.model import service_model

# Keys that botocore reads from every rest-json error body, whether or not the
# error shape models them.
_ERROR_MESSAGE_KEYS = ("message", "Message")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_scalar(value: Any, shape: Shape, path: str) -> list[str]:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected string, got {_type_name(value)}"]
        enum = shape.enum if isinstance(shape, StringShape) else []
        if enum and value not in enum:
            return [f"{path}: {value!r} is not one of the {shape.name} values {enum}"]
        return []
    if kind == "boolean":
        return (
            []
            if isinstance(value, bool)
            else [f"{path}: expected boolean, got {_type_name(value)}"]
        )
    if kind in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return []
        return [f"{path}: expected {kind} (JSON integer), got {_type_name(value)} {value!r}"]
    if kind in ("float", "double"):
        return [] if _is_number(value) else [f"{path}: expected number, got {_type_name(value)}"]
    if kind == "timestamp":
        # rest-json sends timestamps as epoch seconds, unless a member sets
        # another timestampFormat (none in the OpenSearch model of botocore 1.44.8).
        if shape.serialization.get("timestampFormat", "unixTimestamp") != "unixTimestamp":
            return [] if isinstance(value, str) else [f"{path}: expected timestamp string"]
        if _is_number(value):
            return []
        return [
            f"{path}: expected timestamp as epoch seconds (number), "
            f"got {_type_name(value)} {value!r}"
        ]
    if kind == "blob":
        return (
            []
            if isinstance(value, str)
            else [f"{path}: expected base64 string, got {_type_name(value)}"]
        )
    return [f"{path}: shape type {kind} is not checked"]


def _check_structure(
    value: Any, shape: StructureShape, path: str, extra_keys: tuple[str, ...] = ()
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected object for {shape.name}, got {_type_name(value)}"]
    problems: list[str] = []
    by_wire_name = {
        member.serialization.get("name", name): member
        for name, member in shape.members.items()
        if member.serialization.get("location") is None
    }
    for key, item in value.items():
        if key in extra_keys:
            continue
        member = by_wire_name.get(key)
        if member is None:
            problems.append(f"{path}.{key}: unknown member of {shape.name}")
        elif item is None:
            problems.append(f"{path}.{key}: null, where the member should be left out")
        else:
            problems.extend(check_value(item, member, f"{path}.{key}"))
    for required in shape.required_members:
        if required not in value:
            problems.append(f"{path}: required member {required} of {shape.name} is missing")
    return problems


def check_value(value: Any, shape: Shape, path: str = "$") -> list[str]:
    """Return every mismatch between the JSON ``value`` and ``shape``, one message each."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _check_structure(value, shape, path)
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected list, got {_type_name(value)}"]
        member = shape.member  # type: ignore[attr-defined]
        problems: list[str] = []
        for index, item in enumerate(value):
            problems.extend(check_value(item, member, f"{path}[{index}]"))
        return problems
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected object (map), got {_type_name(value)}"]
        problems = []
        for key, item in value.items():
            problems.extend(check_value(key, shape.key, f"{path}<key {key!r}>"))  # type: ignore[attr-defined]
            problems.extend(check_value(item, shape.value, f"{path}[{key!r}]"))  # type: ignore[attr-defined]
        return problems
    return _check_scalar(value, shape, path)


def check_output(operation: str, body: Any) -> list[str]:
    """Check a success body of ``operation`` against its output shape."""
    output = service_model().operation_model(operation).output_shape
    if output is None:
        return [] if body in ({}, None) else [f"$: {operation} has no output, got {body!r}"]
    return check_value(body, output)


def check_error(operation: str, status: int, headers: dict[str, str], body: Any) -> list[str]:
    """Check an error response of ``operation``: code header, HTTP status and body members."""
    model = service_model()
    lowered = {name.lower(): value for name, value in headers.items()}
    code = lowered.get("x-amzn-errortype", "").split(":", 1)[0]
    operation_errors = {shape.name for shape in model.operation_model(operation).error_shapes}
    if code not in operation_errors:
        return [
            f"x-amzn-ErrorType {code!r} is not an error of {operation}: {sorted(operation_errors)}"
        ]
    problems: list[str] = []
    shape = model.shape_for(code)
    assert isinstance(shape, StructureShape)
    expected_status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    if status != expected_status:
        problems.append(
            f"HTTP status {status}, but the model gives {code} status {expected_status}"
        )
    problems.extend(_check_structure(body, shape, "$", extra_keys=_ERROR_MESSAGE_KEYS))
    if not any(
        isinstance(body, dict) and isinstance(body.get(key), str) for key in _ERROR_MESSAGE_KEYS
    ):
        problems.append("$: error body has no string 'message'")
    return problems
