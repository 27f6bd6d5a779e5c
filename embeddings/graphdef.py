"""A minimal reader for frozen TensorFlow GraphDef files: constants and node ops only.

Enough protobuf wire format to pull every ``Const`` tensor out of FaceNet's frozen graph
without TensorFlow or tensorboard. Pure functions, no I/O beyond reading bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64}


class GraphDefError(ValueError):
    """The file is not a GraphDef we can read."""


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise GraphDefError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: memoryview):  # type: ignore[no-untyped-def]
    """Yield (field number, wire type, value) of one message; value is int or memoryview."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise GraphDefError(f"unsupported wire type {wire}")
        yield field, wire, value


@dataclass(frozen=True)
class GraphNode:
    name: str
    op: str
    inputs: tuple[str, ...]
    value: np.ndarray | None  # the tensor of a Const node


def _shape(buf: memoryview) -> list[int]:
    dims: list[int] = []
    for field, _, value in _fields(buf):
        if field == 2:  # dim
            size = 0
            for f, _, v in _fields(value):  # type: ignore[arg-type]
                if f == 1:
                    size = v  # type: ignore[assignment]
            dims.append(size)
    return dims


def _tensor(buf: memoryview) -> np.ndarray:
    dtype_code, shape, content = 1, [], None
    floats: list[float] = []
    ints: list[int] = []
    for field, wire, value in _fields(buf):
        if field == 1:
            dtype_code = value  # type: ignore[assignment]
        elif field == 2:
            shape = _shape(value)  # type: ignore[arg-type]
        elif field == 4:
            content = bytes(value)  # type: ignore[arg-type]
        elif field == 5:  # float_val, packed or not
            if wire == 2:
                floats.extend(np.frombuffer(bytes(value), dtype="<f4").tolist())  # type: ignore[arg-type]
            else:
                floats.append(float(np.frombuffer(bytes(value), dtype="<f4")[0]))  # type: ignore[arg-type]
        elif field == 7:  # int_val
            if wire == 2:
                pos, raw = 0, value
                while pos < len(raw):  # type: ignore[arg-type]
                    v, pos = _varint(raw, pos)  # type: ignore[arg-type]
                    ints.append(v)
            else:
                ints.append(value)  # type: ignore[arg-type]
    dtype = _DTYPES.get(dtype_code)
    if dtype is None:
        return np.zeros(0)
    count = int(np.prod(shape)) if shape else 1
    if content is not None:
        array = np.frombuffer(content, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
    else:
        values = floats if dtype in (np.float32, np.float64) else ints
        array = np.array(values or [0], dtype=dtype)
        if array.size == 1 and count > 1:  # a splat: one value fills the tensor
            array = np.full(count, array[0], dtype=dtype)
    return array.reshape(shape) if shape else array.reshape(())


def read_graph(data: bytes) -> dict[str, GraphNode]:
    """Nodes of a frozen GraphDef by name, with Const tensors decoded."""
    nodes: dict[str, GraphNode] = {}
    for field, _, value in _fields(memoryview(data)):
        if field != 1:
            continue
        name, op, inputs, tensor = "", "", [], None
        for f, _, v in _fields(value):  # type: ignore[arg-type]
            if f == 1:
                name = bytes(v).decode()  # type: ignore[arg-type]
            elif f == 2:
                op = bytes(v).decode()  # type: ignore[arg-type]
            elif f == 3:
                inputs.append(bytes(v).decode())  # type: ignore[arg-type]
            elif f == 5:  # attr map entry
                key, attr = "", None
                for af, _, av in _fields(v):  # type: ignore[arg-type]
                    if af == 1:
                        key = bytes(av).decode()  # type: ignore[arg-type]
                    elif af == 2:
                        attr = av
                if key == "value" and attr is not None:
                    for tf, _, tv in _fields(attr):  # type: ignore[arg-type]
                        if tf == 8:
                            tensor = _tensor(tv)  # type: ignore[arg-type]
        nodes[name] = GraphNode(name, op, tuple(inputs), tensor if op == "Const" else None)
    if not nodes:
        raise GraphDefError("no nodes found: not a GraphDef")
    return nodes
