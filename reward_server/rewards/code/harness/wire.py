# The values that cross between the judge and the candidate process, and how they are framed.
#
# Standard library only, no `from __future__` (this text is prepended to judge.py and candidate.py
# before they are shipped into the sandbox). Plain data crosses as JSON: null/true/false, ints,
# floats and strings as themselves; everything else as a tagged list:
#   ["L", [...]] list   ["T", [...]] tuple   ["D", [[k, v], ...]] dict   ["S", [...]] set
#   ["F", [...]] frozenset   ["B", "<b64>"] bytes   ["C", re, im] complex
#   ["Q", num, den] fractions.Fraction   ["M", "<str>"] decimal.Decimal
#   ["R", id, kind, type_name] an object that stays in the candidate process (a handle)
# The judge's decoder accepts exactly these shapes, so nothing the candidate sends can become an
# object with behaviour of the candidate's choosing.

import _json as _wire_cjson  # the C half of `json`: `import json` also imports `re` (slow to start)
import os as _wire_os
import struct as _wire_struct

WIRE_MAX_BYTES = 64 << 20
WIRE_MAX_DEPTH = 200


class WireError(Exception):
    """A value that cannot cross, or a broken frame."""


class _ScanContext:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.__getitem__
    memo = {}


_wire_scan = _wire_cjson.make_scanner(_ScanContext())
_wire_encode = _wire_cjson.make_encoder(
    None, None, _wire_cjson.encode_basestring_ascii, None, ":", ",", False, False, True
)


def wire_dumps(message):
    """JSON text of `message` (what `json.dumps(message, separators=(",", ":"))` gives)."""
    return "".join(_wire_encode(message, 0))


def wire_loads(text):
    """The value of the JSON document `text` (as `json.loads`, without importing `json`)."""
    try:
        value, end = _wire_scan(text, 0)
    except (StopIteration, ValueError):
        raise WireError("malformed JSON on the wire") from None
    if text[end:].strip():
        raise WireError("extra data after the JSON value")
    return value


def wire_send(fd, message):
    data = wire_dumps(message).encode("utf-8", "surrogatepass")
    if len(data) > WIRE_MAX_BYTES:
        raise WireError(f"message of {len(data)} bytes is over the {WIRE_MAX_BYTES} byte limit")
    payload = _wire_struct.pack(">I", len(data)) + data
    view = memoryview(payload)
    while view:
        written = _wire_os.write(fd, view)
        view = view[written:]


def _read_exact(fd, size):
    chunks = []
    while size:
        chunk = _wire_os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def wire_receive(fd):
    (size,) = _wire_struct.unpack(">I", _read_exact(fd, 4))
    if size > WIRE_MAX_BYTES:
        raise WireError(f"message of {size} bytes is over the {WIRE_MAX_BYTES} byte limit")
    return wire_loads(_read_exact(fd, size).decode("utf-8", "surrogatepass"))


def wire_decode(value, make_handle, depth=0):
    """Rebuild a value from its wire form, accepting only the documented shapes (judge side);
    `make_handle(id, kind, type_name)` turns a handle into the judge's proxy object."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is float or kind is str:
        return value
    if depth > WIRE_MAX_DEPTH:
        raise WireError(f"value nested deeper than {WIRE_MAX_DEPTH} levels")
    if kind is not list or not value or type(value[0]) is not str:
        raise WireError("malformed value on the wire")
    tag = value[0]
    if tag in ("L", "T", "S", "F", "D") and len(value) == 2 and type(value[1]) is list:
        return _wire_decode_collection(tag, value[1], make_handle, depth + 1)
    return _wire_decode_tagged(tag, value, make_handle)


def _wire_decode_collection(tag, items, make_handle, depth):
    """A list, tuple, set, frozenset or dict (`items` holds [key, value] pairs) of wire values."""
    if tag == "D":
        result = {}
        for pair in items:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict on the wire")
            result[wire_decode(pair[0], make_handle, depth)] = wire_decode(pair[1], make_handle, depth)
        return result
    decoded = [wire_decode(item, make_handle, depth) for item in items]
    if tag == "L":
        return decoded
    if tag == "T":
        return tuple(decoded)
    return set(decoded) if tag == "S" else frozenset(decoded)


def _wire_decode_tagged(tag, value, make_handle):
    """bytes, complex, Fraction, Decimal or a handle, from its tagged wire form."""
    if tag == "B" and len(value) == 2 and type(value[1]) is str:
        import base64

        return base64.b64decode(value[1])
    if tag == "C" and len(value) == 3 and all(type(v) in (int, float) for v in value[1:]):
        return complex(value[1], value[2])
    if tag == "Q" and len(value) == 3 and all(type(v) is int for v in value[1:]) and value[2] != 0:
        import fractions

        return fractions.Fraction(value[1], value[2])
    if tag == "M" and len(value) == 2 and type(value[1]) is str:
        import decimal

        return decimal.Decimal(value[1])
    if tag == "R" and len(value) == 4 and type(value[1]) is int and all(type(v) is str for v in value[2:]):
        return make_handle(value[1], value[2], value[3])
    raise WireError("malformed value on the wire")


_PLAIN_BASES = (int, float, str, bytes, complex, list, tuple, dict, set, frozenset)


def _plain_base(value):
    """The plain-data type `value` is an instance of (subclasses included), or None."""
    for base in _PLAIN_BASES:
        if isinstance(value, base):
            return base
    return None


def wire_encode(value, make_ref, depth=0):
    """The wire form of `value`. Plain data (and subclasses of plain types, by their plain
    content: a namedtuple crosses as a tuple, an IntEnum as an int) crosses by value;
    `make_ref(value)` is asked for anything else and returns the wire form of a handle, or raises
    WireError. The judge's trust never rests on this side: a candidate may send any plain data it
    likes, which is no more than returning it."""
    if value is None or value is True or value is False:
        return value
    if depth > WIRE_MAX_DEPTH:
        raise WireError(f"value nested deeper than {WIRE_MAX_DEPTH} levels")
    base = _plain_base(value)
    if base is None:
        numeric = _numeric(value)
        if numeric is not None:
            return numeric
        return make_ref(value)
    if base is int:
        return int.__int__(value)
    if base is float:
        return float.__float__(value)
    if base is str:
        return str.__str__(value)
    if base is bytes:
        import base64

        return ["B", base64.b64encode(bytes.__getitem__(value, slice(None))).decode()]
    if base is complex:
        return ["C", complex.real.__get__(value), complex.imag.__get__(value)]
    if base is dict:
        return [
            "D",
            [
                [wire_encode(k, make_ref, depth + 1), wire_encode(v, make_ref, depth + 1)]
                for k, v in dict.items(value)
            ],
        ]
    tag = {list: "L", tuple: "T", set: "S", frozenset: "F"}[base]
    return [tag, [wire_encode(item, make_ref, depth + 1) for item in base.__iter__(value)]]


def _numeric(value):
    """Fractions, Decimals and numpy values (scalars, arrays) as plain data, else None."""
    kind = type(value)
    module = getattr(kind, "__module__", "")
    if module == "fractions" and kind.__name__ == "Fraction":
        return ["Q", int(value.numerator), int(value.denominator)]
    if module == "decimal" and kind.__name__ == "Decimal":
        return ["M", str(value)]
    if module == "numpy" and hasattr(value, "tolist"):
        try:
            plain = value.tolist()
        except Exception:
            return None
        if _plain_base(plain) is not None or plain is None:
            return wire_encode(plain, _no_ref)
    return None


def _no_ref(value):
    raise WireError(f"a value of type {type(value).__name__} cannot cross")
