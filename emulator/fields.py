"""Typed, checked access to the members of a control request body, for the /_emulator/ handlers."""

from __future__ import annotations

from typing import Any

from emulator.errors import ControlError

_MISSING = object()


class Fields:
    """Typed, checked access to the members of a control request body."""

    def __init__(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ControlError("the request body must be a JSON object")
        self._body: dict[str, Any] = body
        self._read: set[str] = set()

    def _get(self, name: str) -> Any:
        self._read.add(name)
        return self._body.get(name, _MISSING)

    def string(self, name: str, default: str | None = None) -> str:
        value = self._get(name)
        if value is _MISSING or value is None:
            if default is None:
                raise ControlError(f"field '{name}' is required")
            return default
        if not isinstance(value, str) or not value:
            raise ControlError(f"field '{name}' must be a non-empty string, got {value!r}")
        return value

    def optional_string(self, name: str) -> str | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ControlError(f"field '{name}' must be a non-empty string or null, got {value!r}")
        return value

    def boolean(self, name: str, default: bool | None = None) -> bool:
        value = self._get(name)
        if value is _MISSING:
            if default is None:
                raise ControlError(f"field '{name}' is required")
            return default
        if not isinstance(value, bool):
            raise ControlError(f"field '{name}' must be true or false, got {value!r}")
        return value

    def optional_number(self, name: str, minimum: float | None = None) -> float | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ControlError(f"field '{name}' must be a number, got {value!r}")
        if minimum is not None and value < minimum:
            raise ControlError(f"field '{name}' must be >= {minimum}, got {value!r}")
        return float(value)

    def bounded_number(self, name: str, low: float, high: float) -> float | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise ControlError(
                f"field '{name}' must be a number from {low} to {high}, got {value!r}"
            )
        return float(value)

    def optional_integer(self, name: str, minimum: int) -> int | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ControlError(f"field '{name}' must be an integer >= {minimum}, got {value!r}")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._get(name)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ControlError(
                f"field '{name}' must be an integer from {low} to {high}, got {value!r}"
            )
        return value

    def integer_list(self, name: str) -> list[int] | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise ControlError(f"field '{name}' must be a list of integers, got {value!r}")
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if value not in allowed:
            raise ControlError(f"field '{name}' must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    def choice_list(self, name: str, allowed: tuple[str, ...]) -> list[str] | None:
        """Return a non-empty list whose items all come from ``allowed``, or None when absent."""
        value = self._get(name)
        if value is _MISSING or value is None:
            return None
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item in allowed for item in value)
        ):
            raise ControlError(
                f"field '{name}' must be a non-empty list of {', '.join(allowed)}, got {value!r}"
            )
        return value

    def array(self, name: str) -> list[Any]:
        value = self._get(name)
        if value is _MISSING or value is None:
            raise ControlError(f"field '{name}' is required")
        if not isinstance(value, list):
            raise ControlError(f"field '{name}' must be a list, got {value!r}")
        return value

    def reject_unknown(self) -> None:
        unknown = sorted(set(self._body) - self._read)
        if unknown:
            raise ControlError(f"unknown field(s): {', '.join(unknown)}")
