"""Writes buf/validate/validate.proto back as .proto source from the descriptor the protovalidate package ships.

The kit.v1 protos import buf/validate/validate.proto for their request constraints. Its usual home is the
Buf Schema Registry, which the build must not need; the PyPI package protovalidate (the runtime library
the daemon enforces the constraints with) ships the file's compiled descriptor. protoc and buf lint want
source, so this module prints the descriptor as proto2 source; gen-protos compiles the printed file again
and refuses it unless the result equals the shipped descriptor. It prints only the constructs that the
descriptor uses and fails on any it does not know, never guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    field_mask_pb2,
    message,
    message_factory,
    text_encoding,
    text_format,
    timestamp_pb2,
)
from google.protobuf.descriptor import FieldDescriptor

# A message of a descriptor pool built at run time (the options' extensions live there): its fields are
# known only then, so the type checker sees them as Any.
Dynamic = Any

_LABELS = {
    descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL: "optional",
    descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED: "repeated",
    descriptor_pb2.FieldDescriptorProto.LABEL_REQUIRED: "required",
}
_SCALARS = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in descriptor_pb2.FieldDescriptorProto.Type.items()
    if name not in ("TYPE_MESSAGE", "TYPE_ENUM", "TYPE_GROUP")
}
_MAX_FIELD_NUMBER = 536870911


class UnsupportedDescriptor(Exception):
    """The descriptor uses a construct this printer does not write."""


def shipped_validate_descriptor() -> bytes:
    """The serialized FileDescriptorProto of buf/validate/validate.proto inside the protovalidate package."""
    from protovalidate import ViolationPb  # a build input: imported only when generating

    file = ViolationPb.desc().file
    if file.name != "buf/validate/validate.proto":
        raise UnsupportedDescriptor(
            f"protovalidate ships {file.name}, not buf/validate/validate.proto"
        )
    return bytes(file.proto.to_binary())


def options_pool(file_bytes: bytes) -> descriptor_pool.DescriptorPool:
    """A pool holding the file and its well-known imports, so its own option extensions parse as known."""
    pool = descriptor_pool.DescriptorPool()
    for module in (descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2):
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    pool.AddSerializedFile(file_bytes)
    return pool


def typed_file(pool: descriptor_pool.DescriptorPool, file_bytes: bytes) -> Dynamic:
    """The FileDescriptorProto parsed with the pool's classes: its options' extensions are fields, not bytes."""
    cls = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("google.protobuf.FileDescriptorProto")
    )
    parsed = cls()
    parsed.ParseFromString(file_bytes)
    return parsed


def print_proto(file_bytes: bytes) -> str:
    """The .proto source of a proto2 file without nested types, groups or default values."""
    pool = options_pool(file_bytes)
    fd = typed_file(pool, file_bytes)
    if fd.syntax not in ("", "proto2"):
        raise UnsupportedDescriptor(f"syntax {fd.syntax!r}")
    out = [
        f"// Printed from the descriptor of {fd.name} that the protovalidate package ships. Build output.",
        'syntax = "proto2";',
        "",
        f"package {fd.package};",
        "",
    ]
    out += [f'import "{dep}";' for dep in fd.dependency]
    out.append("")
    out += [f"option {name} = {value};" for name, value in _options(fd.options)]
    for msg in fd.message_type:
        out.append("")
        out += _message(msg, fd.package)
    for enum in fd.enum_type:
        out.append("")
        out += _enum(enum)
    extendees: dict[str, list[Dynamic]] = {}
    for ext in fd.extension:
        extendees.setdefault(ext.extendee, []).append(ext)
    for extendee, fields in extendees.items():
        out.append("")
        out.append(f"extend {extendee.lstrip('.')} {{")
        out += [f"  {_field(f, fd.package)}" for f in fields]
        out.append("}")
    return "\n".join(out) + "\n"


def _message(msg: Dynamic, package: str) -> list[str]:
    if msg.nested_type or msg.enum_type or msg.extension or msg.options.ListFields():
        raise UnsupportedDescriptor(f"message {msg.name}: nested declarations or message options")
    return [f"message {msg.name} {{", *_reservations(msg), *_fields(msg, package), "}"]


def _reservations(msg: Dynamic) -> list[str]:
    """A message's reserved numbers and names and its extension ranges, as declarations."""
    lines = [f"  reserved {_range(r.start, r.end - 1)};" for r in msg.reserved_range]
    if msg.reserved_name:
        lines.append("  reserved " + ", ".join(f'"{n}"' for n in msg.reserved_name) + ";")
    for ext_range in msg.extension_range:
        if ext_range.options.ListFields():
            raise UnsupportedDescriptor(f"message {msg.name}: extension range options")
        lines.append(f"  extensions {_range(ext_range.start, ext_range.end - 1)};")
    return lines


def _fields(msg: Dynamic, package: str) -> list[str]:
    """A message's fields in order, the members of a oneof inside its block."""
    lines: list[str] = []
    oneof_open: int | None = None
    for field in msg.field:
        index = field.oneof_index if field.HasField("oneof_index") else None
        if index != oneof_open:
            if oneof_open is not None:
                lines.append("  }")
            if index is not None:
                oneof = msg.oneof_decl[index]
                if oneof.options.ListFields():
                    raise UnsupportedDescriptor(f"oneof {oneof.name}: options")
                lines.append(f"  oneof {oneof.name} {{")
            oneof_open = index
        indent = "    " if index is not None else "  "
        lines.append(indent + _field(field, package, in_oneof=index is not None))
    if oneof_open is not None:
        lines.append("  }")
    return lines


def _enum(enum: Dynamic) -> list[str]:
    if enum.options.ListFields():
        raise UnsupportedDescriptor(f"enum {enum.name}: options")
    lines = [f"enum {enum.name} {{"]
    for reserved in enum.reserved_range:
        lines.append(
            f"  reserved {_range(reserved.start, reserved.end)};"
        )  # enum ranges are inclusive
    if enum.reserved_name:
        lines.append("  reserved " + ", ".join(f'"{n}"' for n in enum.reserved_name) + ";")
    for value in enum.value:
        if value.options.ListFields():
            raise UnsupportedDescriptor(f"enum value {value.name}: options")
        lines.append(f"  {value.name} = {value.number};")
    lines.append("}")
    return lines


def _field(field: Dynamic, package: str, *, in_oneof: bool = False) -> str:
    if field.HasField("default_value") or field.proto3_optional:
        raise UnsupportedDescriptor(f"field {field.name}: default value or proto3 optional")
    if field.type in (
        descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        descriptor_pb2.FieldDescriptorProto.TYPE_ENUM,
    ):
        type_name = _relative(field.type_name, package)
    elif field.type in _SCALARS:
        type_name = _SCALARS[field.type]
    else:
        raise UnsupportedDescriptor(f"field {field.name}: groups")
    label = "" if in_oneof else _LABELS[field.label] + " "
    options = ", ".join(f"{name} = {value}" for name, value in _options(field.options))
    suffix = f" [{options}]" if options else ""
    return f"{label}{type_name} {field.name} = {field.number}{suffix};"


def _options(options: Dynamic) -> Iterable[tuple[str, str]]:
    for descriptor, value in options.ListFields():
        name = f"({descriptor.full_name})" if descriptor.is_extension else descriptor.name
        if descriptor.is_repeated:
            raise UnsupportedDescriptor(f"repeated option {name}")
        yield name, _literal(descriptor, value)


def _literal(descriptor: FieldDescriptor, value: object) -> str:
    if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
        assert isinstance(value, message.Message)
        return "{ " + text_format.MessageToString(value, as_one_line=True) + " }"
    if descriptor.type == FieldDescriptor.TYPE_STRING:
        assert isinstance(value, str)
        return '"' + text_encoding.CEscape(value.encode(), as_utf8=False) + '"'
    if descriptor.type == FieldDescriptor.TYPE_BOOL:
        return "true" if value else "false"
    if descriptor.type == FieldDescriptor.TYPE_ENUM:
        assert isinstance(value, int) and descriptor.enum_type is not None
        return descriptor.enum_type.values_by_number[value].name
    return str(value)


def _range(start: int, last: int) -> str:
    if start == last:
        return str(start)
    return f"{start} to {'max' if last >= _MAX_FIELD_NUMBER else last}"


def _relative(type_name: str, package: str) -> str:
    # Fully qualified names with the leading dot always resolve, whatever the scope.
    return type_name if not type_name.startswith(f".{package}.") else type_name[len(package) + 2 :]
