"""Access to botocore's OpenSearch Service model, and routing of REST paths to operations."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from botocore.model import OperationModel, ServiceModel

# Verbs of the OpenSearch Service operations that only read state. Every other
# operation in the model (Create, Update, Start, Cancel, AddTags, InsightFeedback
# and so on) changes something.
_READ_ONLY_VERBS = ("Compare", "Describe", "Get", "List")


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("opensearch")


@functools.cache
def mutating_operations() -> frozenset[str]:
    model = service_model()
    return frozenset(
        name for name in model.operation_names if not name.startswith(_READ_ONLY_VERBS)
    )


@dataclass(frozen=True)
class _Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    # Length of the literal part of the path template. A longer literal part
    # wins when two templates match the same path.
    specificity: int


@dataclass(frozen=True)
class RouteMatch:
    operation: OperationModel
    uri_params: dict[str, str]

    @property
    def name(self) -> str:
        return str(self.operation.name)

    def query_params(self, query_string: str) -> dict[str, Any]:
        """Return the query-string members of the input shape, keyed by member name."""
        raw = parse_qs(query_string, keep_blank_values=True)
        params: dict[str, Any] = {}
        input_shape = self.operation.input_shape
        if input_shape is None:
            return params
        for member_name, member in input_shape.members.items():
            if member.serialization.get("location") != "querystring":
                continue
            wire_name = member.serialization.get("name", member_name)
            if wire_name in raw:
                values = raw[wire_name]
                params[member_name] = (
                    values if member.type_name == "list" else _typed(values[-1], member.type_name)
                )
        return params


def _typed(value: str, type_name: str) -> Any:
    """Convert a query-string value to the JSON type of its member, when it has that form."""
    if type_name in ("integer", "long") and value.lstrip("-").isdigit():
        return int(value)
    if type_name == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _compile_template(template: str) -> tuple[re.Pattern[str], int]:
    path = template.split("?", 1)[0]
    pieces: list[str] = []
    literal_length = 0
    position = 0
    for label in re.finditer(r"\{([A-Za-z0-9_]+)(\+?)\}", path):
        literal = path[position : label.start()]
        pieces.append(re.escape(literal))
        literal_length += len(literal)
        # A label ending in "+" is a greedy label that may span several segments.
        segment = ".+" if label.group(2) else "[^/]+"
        pieces.append(f"(?P<{label.group(1)}>{segment})")
        position = label.end()
    tail = path[position:]
    pieces.append(re.escape(tail.rstrip("/")))
    literal_length += len(tail)
    return re.compile("^" + "".join(pieces) + "/?$"), literal_length


@functools.cache
def _routes() -> tuple[_Route, ...]:
    model = service_model()
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        pattern, specificity = _compile_template(operation.http["requestUri"])
        routes.append(_Route(operation, operation.http["method"], pattern, specificity))
    routes.sort(key=lambda route: route.specificity, reverse=True)
    return tuple(routes)


def match_route(method: str, path: str) -> RouteMatch | None:
    """Find the OpenSearch Service operation that a REST request calls, or None."""
    for route in _routes():
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found:
            return RouteMatch(route.operation, found.groupdict())
    return None
