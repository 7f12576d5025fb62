"""YAML for specs, read within bounds: what a spec file and a ``--set`` value may hold.

A spec is a small tree of plain values. PyYAML's ``safe_load`` already refuses to build Python
objects, but it still expands aliases without limit (a 741-byte file of nested anchors became
hundreds of megabytes), keeps the last of two equal keys without a word, turns dates into
``datetime`` objects, and crashes with a ``RecursionError`` on deeply nested brackets. Here the
document is first composed into YAML's node graph, which is as small as the text (an alias is a
second reference to its anchor's node, not a copy), and the graph is checked before any value is
built:

* every node carries a plain tag: text, number, boolean, null, list or mapping (``!!python/...``
  and every other tag is refused, naming the tag and its line);
* no mapping repeats a key (the error names both lines);
* aliases may add at most ``MAX_ALIAS_VALUES`` values to the document, and an anchor may not
  contain its own alias;
* nesting is at most ``MAX_DEPTH`` levels, aliases expanded.

Dates stay text (``name: 2024-06-01`` is a name, not a date) and ``1e-3`` is a number, as in
YAML 1.2. Text must be UTF-8 (a UTF-8 or
UTF-16 byte-order mark is honoured); a byte that is not is reported with its value, line and
column.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from modelyard.errors import SpecError

MAX_SPEC_BYTES = 1_000_000  # a spec naming the types of 5,000 columns is ~150 KB
MAX_ALIAS_VALUES = 10_000  # values that aliases may add by repeating anchored values
MAX_DEPTH = 32  # nesting levels, aliases expanded; the deepest spec key sits 4 levels down

_CORE = "tag:yaml.org,2002:"
# the tags a spec value may carry, implicit or written out (``!!str 007`` is fine)
ALLOWED_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map")}
NUMBER_TAGS = {_CORE + "int", _CORE + "float"}
MAX_NUMBER_CHARS = 100  # Python refuses to read an integer of more than 4,300 digits
MERGE_TAG = _CORE + "merge"  # ``<<: *defaults`` merges an anchored mapping into this one
_TIMESTAMP = _CORE + "timestamp"
_BOOL = _CORE + "bool"


class _SpecLoader(yaml.SafeLoader):
    """The safe loader, recording where each alias is used, with dates left as text and only
    true/false as booleans (YAML 1.2): a class label or column named Yes, No, On or Off stays
    the text it is (``target_map: {Yes: churned}``)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_TIMESTAMP, _BOOL)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_uses: list[tuple[str, int, Node]] = []  # (anchor, line, anchored node)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                self.alias_uses.append((event.anchor, event.start_mark.line + 1, node))
        return super().compose_node(parent, index)


_SpecLoader.add_implicit_resolver(  # YAML 1.2's booleans; yes/no/on/off are text
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
# 1e-3 is a number (YAML 1.2 reads it so; YAML 1.1 wanted 1.0e-3 and read 1e-3 as text)
_SpecLoader.add_implicit_resolver(
    _CORE + "float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789"))


def decode_spec_bytes(data: bytes, where: str) -> str:
    """The text of a spec file: UTF-8 (a BOM dropped) or UTF-16 with its BOM.

    A byte that is not UTF-8 is a ``SpecError`` naming the byte, its line and column.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise SpecError(
                f"{where} starts with a UTF-16 byte-order mark but is not UTF-16 text "
                f"({err.reason} at byte {err.start})",
                hint="save the spec as UTF-8",
            ) from err
    if b"\x00" in data[:8192]:
        raise SpecError(
            f"{where} holds binary data (NUL bytes), not YAML text",
            hint="a spec is a YAML text file; pass a data file as SOURCE, or name it under "
            "data.source.path",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = data[err.start]
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        guess = bytes([bad]).decode("cp1252", errors="replace")
        looks = f" (in latin-1 or cp1252 it would be {guess!r})" if guess.isprintable() else ""
        raise SpecError(
            f"{where} is not UTF-8 text: byte 0x{bad:02x} at line {line}, column {column} is "
            f"not valid UTF-8{looks}",
            hint="save the spec as UTF-8 (comments too); in most editors: Save As, encoding "
            "UTF-8",
        ) from err


def parse_yaml(text: str, where: str) -> Any:
    """The plain value (mapping, list, text, number, boolean or None) that YAML ``text`` holds.

    ``where`` names the text in messages (a file name, or ``--set KEY``). Raises ``SpecError`` for
    text that is not YAML, holds a tag, repeats a key or expands past the limits above.
    """
    try:
        loader = _SpecLoader(text)
    except yaml.reader.ReaderError as err:  # raised while checking the text is printable
        raise _unprintable(err, text, where) from err
    try:
        try:
            node = loader.get_single_node()
        except RecursionError as err:
            raise SpecError(
                f"{where} nests lists or mappings too deeply to read (more than {MAX_DEPTH} "
                "levels are never needed)",
                hint="a spec is a few levels deep: write each value at its key",
            ) from err
        if node is None:
            return None
        _Checker(where, loader.alias_uses).check(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        raise _syntax_error(err, where) from err
    except yaml.reader.ReaderError as err:
        raise _unprintable(err, text, where) from err
    except yaml.YAMLError as err:
        raise SpecError(
            f"{where} is not valid YAML: {' '.join(str(err).split())}",
            hint="check the spec's syntax: see docs/spec.md for its shape",
        ) from err
    finally:
        loader.dispose()


def _unprintable(err: yaml.reader.ReaderError, text: str, where: str) -> SpecError:
    """A control character (NUL, escape, ...) that YAML text may not hold, by line and column."""
    position = max(0, min(int(err.position), len(text)))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return SpecError(
        f"{where} holds a control character (U+{int(err.character):04X}) at line {line}, column "
        f"{column}; YAML text may not",
        hint="a spec is plain text: remove the character (a binary file given as the spec?)",
    )


def _syntax_error(err: yaml.MarkedYAMLError, where: str) -> SpecError:
    mark = err.problem_mark or err.context_mark
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    context = f" ({err.context})" if err.context else ""
    return SpecError(
        f"{where} is not valid YAML{at}: {err.problem}{context}",
        hint="check the indentation and the quoting on that line: text holding ': ' or ' #', or "
        "starting with one of * & ! [ { | > % @ or a quote, must be put in quotes",
    )


class _Checker:
    """Walks a composed node graph once, measuring what it would expand to."""

    def __init__(self, where: str, alias_uses: list[tuple[str, int, Node]]) -> None:
        self.where = where
        self.alias_uses = alias_uses
        # id(node) -> (values it expands to, itself included; levels it nests, itself included)
        self.measured: dict[int, tuple[int, int]] = {}
        self.active: set[int] = set()  # nodes being measured: meeting one again is a cycle

    def check(self, root: Node) -> None:
        total, _ = self._measure(root, 1, "")
        repeated = total - len(self.measured)
        if repeated > MAX_ALIAS_VALUES:
            anchor, line, node = max(self.alias_uses, key=lambda use: self.measured[id(use[2])])
            raise SpecError(
                f"{self.where}: its aliases expand it to {total:,} values, {repeated:,} of them "
                f"repeated by aliases (at most {MAX_ALIAS_VALUES:,} may be); the largest, "
                f"*{anchor} at line {line}, stands for {self.measured[id(node)][0]:,} values",
                hint="write the values out, or use fewer and smaller anchors; a spec never needs "
                "anchors nested inside anchors",
            )

    def _measure(self, node: Node, depth: int, path: str) -> tuple[int, int]:
        key = id(node)
        line = node.start_mark.line + 1
        if key in self.active:
            anchor = next((a for a, _, n in self.alias_uses if n is node), "?")
            raise SpecError(
                f"{self.where}: the alias *{anchor} sits inside its own anchor &{anchor} "
                f"(line {line}), which would repeat forever{_at(path)}",
                hint=f"move *{anchor} out of the value that &{anchor} names",
            )
        if key not in self.measured:
            self.active.add(key)
            self.measured[key] = self._measure_new(node, depth, line, path)
            self.active.discard(key)
        size, height = self.measured[key]
        if depth + height - 1 > MAX_DEPTH:
            raise SpecError(
                f"{self.where} line {line}: values nest more than {MAX_DEPTH} levels deep"
                f"{_at(path)}",
                hint="a spec is a few levels deep: write each value at its key",
            )
        return size, height

    def _measure_new(self, node: Node, depth: int, line: int, path: str) -> tuple[int, int]:
        if depth > MAX_DEPTH:
            raise SpecError(
                f"{self.where} line {line}: values nest more than {MAX_DEPTH} levels deep"
                f"{_at(path)}",
                hint="a spec is a few levels deep: write each value at its key",
            )
        self._check_tag(node, line, path)
        size, height = 1, 0
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                item_size, item_height = self._measure(item, depth + 1, f"{path}[{index}]")
                size, height = size + item_size, max(height, item_height)
        elif isinstance(node, MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                name = self._key(key_node, path, seen)
                value_size, value_height = self._measure(value_node, depth + 1, _join(path, name))
                size, height = size + 1 + value_size, max(height, value_height)
        return size, height + 1

    def _key(self, node: Node, path: str, seen: dict[tuple[str, str], int]) -> str:
        """The key's text, after checking it is a plain scalar that this mapping has not had."""
        line = node.start_mark.line + 1
        if not isinstance(node, ScalarNode):
            kind = "list" if isinstance(node, SequenceNode) else "mapping"
            raise SpecError(
                f"{self.where} line {line}: a key must be text or a number, not a {kind}"
                f"{_at(path)}",
                hint="write the key as plain text",
            )
        if node.tag == MERGE_TAG:  # '<<': merged keys may be overridden, that is its purpose
            return str(node.value)
        self._check_tag(node, line, path)
        identity = (node.tag, str(node.value))
        if identity in seen:
            raise SpecError(
                f"{self.where}: the key {_join(path, str(node.value))!r} appears twice, at line "
                f"{seen[identity]} and line {line}",
                hint="keep one of them: YAML would silently use the last one",
            )
        seen[identity] = line
        return str(node.value)

    def _check_tag(self, node: Node, line: int, path: str) -> None:
        if node.tag in NUMBER_TAGS and len(str(node.value)) > MAX_NUMBER_CHARS:
            raise SpecError(
                f"{self.where} line {line}: a number of {len(str(node.value)):,} characters"
                f"{_at(path)}; a spec's numbers fit in {MAX_NUMBER_CHARS} characters",
                hint="write the number in a shorter form, such as 1e6 for 1000000",
            )
        if node.tag in ALLOWED_TAGS:
            return
        shown = "!!" + node.tag[len(_CORE):] if node.tag.startswith(_CORE) else node.tag
        raise SpecError(
            f"{self.where} line {line}: YAML tags are not allowed in a spec; found the tag "
            f"{shown!r}{_at(path)}",
            hint="remove the tag: a spec holds only plain text, numbers, true/false, null, lists "
            "and mappings",
        )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _at(path: str, limit: int = 60) -> str:
    """`` (at data.source.path)`` for a message; a long path keeps its start and its end."""
    if len(path) > limit:
        path = path[: limit // 2] + "..." + path[-limit // 2 :]
    return f" (at {path})" if path else ""
