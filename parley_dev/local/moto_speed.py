"""Take work off the emulator that answers every request the same way each time.

The local stack and the tests spend most of their CPU time in moto, and most of moto's in two
places that redo, per request, work whose result never changes:

1. moto's response serializer looks up every member of every output structure through a chain
   of alias providers (the member's own name, the shape's name, prefixes...), building each
   provider anew, before it reads the value. For a DynamoDB item that is every member of
   AttributeValue (S, N, B, M, L...) for every attribute of every item. Which names a member
   may have depends only on the shape and on the kind of object read, so for plain dicts (what
   DynamoDB's and most JSON services' answers are made of) the names are kept per shape and
   read with one dict look-up each: the same value is found as before, the same answer sent.

2. moto's server finds the service a request is for by listing moto's package directory
   (a listdir and a stat of every entry) on every request. The directory does not change while
   the process runs: it is listed once.

Both reach into moto's internals, so they apply to the pinned version only (moto_atomic.py);
another version keeps moto's own behaviour.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from parley_dev.local.moto_atomic import MOTO_VERSION

_MISSING = object()


def make_moto_faster() -> None:
    import moto

    if moto.__version__ != MOTO_VERSION:
        return
    from moto.core import serialize

    if getattr(serialize.ResponseSerializer, "_parley_fast", False):
        return
    serialize.ResponseSerializer.get_value = _fast_get_value(  # type: ignore[method-assign]
        serialize.ResponseSerializer.get_value
    )
    serialize.ResponseSerializer._parley_fast = True  # type: ignore[attr-defined]

    from moto import backends

    listed = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: listed


def _fast_get_value(original: Any) -> Any:
    from moto.core.serialize import AttributePicker, AttributePickerContext
    from moto.core.utils import get_value

    # (picker class, its alias providers, member name, shape, shape's parent) -> the names to
    # try, in the order moto tries them, each with whether it is a dotted path.
    names: dict[tuple[Any, ...], tuple[tuple[str, bool], ...]] = {}
    lock = threading.Lock()

    def get_value_fast(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        if type(value) is not dict or type(picker).__call__ is not AttributePicker.__call__:
            return original(self, value, key, shape)
        memo = (type(picker), tuple(picker.alias_providers), key, shape,
                getattr(shape, "parent", None))
        found = names.get(memo)
        if found is None:
            # What moto's alias providers make of this member: for a plain dict they read the
            # shape, its parent and the dict's class alone, never the dict's content.
            context = AttributePickerContext(
                obj=value, key=key, shape=shape, operation_model=self.operation_model,
                service_model=self.operation_model.service_model,
                key_path=".".join(self.path),
            )
            try:
                found = tuple((name, "." in name) for name in picker.get_possible_keys(context))
            except Exception:  # a provider that fails on this shape: moto's own way
                return original(self, value, key, shape)
            with lock:
                names[memo] = found
        for name, dotted in found:
            member = get_value(value, name, _MISSING) if dotted else value.get(name, _MISSING)
            if member is not _MISSING:
                break
        else:
            member = None
        if picker.response_transformers:
            key_path = f"{'.'.join(self.path)}.{key}"
            for transform_path, transform in picker.response_transformers.items():
                if key_path.endswith(transform_path):
                    return transform(member)
        return member

    functools.update_wrapper(get_value_fast, original)
    return get_value_fast
