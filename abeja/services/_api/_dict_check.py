"""A response model's checks run over the plain JSON, building no model: the compat
client returns the server's dicts, checked as the typed layer would check them.

The checker is a ``TypedDict`` mirror of the model (same field types, constraints and
required keys, nested models mirrored too) validated by pydantic, which builds dicts
where the model would build an instance per entry. A model with validators of its own
(``LogPage``'s token rule) has no mirror: it is checked by the model itself.
"""

from __future__ import annotations

import functools
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter
from typing_extensions import NotRequired, TypedDict

_ANNOTATED: Any = Annotated  # subscripted with a tuple built at run time


class _NoMirror(Exception):
    """The model checks something a plain ``TypedDict`` cannot say."""


@functools.cache
def dict_checker(model: type[BaseModel]) -> TypeAdapter[Any] | None:
    """What checks a dict as ``model`` would (None: only the model can)."""
    try:
        return TypeAdapter(_mirror_model(model))
    except _NoMirror:
        return None


def _mirror_model(model: type[BaseModel]) -> Any:
    decorators = model.__pydantic_decorators__
    if (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
    ):
        raise _NoMirror(model.__name__)
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.alias not in (None, name) or info.validation_alias not in (None, name):
            raise _NoMirror(f"{model.__name__}.{name}")
        annotation = _mirror(info.annotation)
        if info.metadata:
            params = (annotation, *info.metadata)
            annotation = _ANNOTATED[params]
        fields[name] = annotation if info.is_required() else NotRequired[annotation]
    return TypedDict(f"{model.__name__}Dict", fields)  # type: ignore[operator]


def _mirror(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _mirror_model(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if not args or origin is Literal:
        return annotation
    if origin is Annotated:
        params = (_mirror(args[0]), *annotation.__metadata__)
        return _ANNOTATED[params]
    if origin in (Union, types.UnionType):
        return Union[tuple(_mirror(arg) for arg in args)]  # noqa: UP007 - built from a tuple
    if origin is list:
        return types.GenericAlias(list, (_mirror(args[0]),))
    if origin is dict:
        return types.GenericAlias(dict, (args[0], _mirror(args[1])))
    raise _NoMirror(repr(annotation))
