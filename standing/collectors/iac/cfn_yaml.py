"""A CloudFormation YAML template read with bounded work, whoever wrote it.

cfn-flip's loader (``cfn_tools``) understands the short intrinsic tags (``!Ref``, ``!GetAtt``,
``!Sub``...) and gives their long form. On its own it would accept a template that costs
without limit: YAML aliases share one node, so ten nested anchors of ten aliases each are a
1 KB file that reads as 10^10 values (a gate on a pull request's template grew to 7 GB in
158 s), an alias inside its own anchor is a cycle, and nesting deeper than Python's stack
ends in ``RecursionError``. So the document is composed first (one node per value written,
the nesting depth checked as it is composed), then measured as it would expand: the values
and depth counting every alias at full size, computed once per node, so the check itself is
linear. A template whose aliases expand beyond :data:`MAX_ALIAS_VALUES` values more than it
writes, or that nests beyond :data:`MAX_DEPTH`, is refused with one line naming it; everything
else is constructed from the same nodes (the text is parsed once).

Mapping keys that are intrinsics (``!Sub "${GitHubOIDC.Url}:sub": ...``) or any other
unhashable value are kept as :class:`~standing.collectors.iac.cfn_intrinsics.IntrinsicKey`.
"""

from __future__ import annotations

from typing import Any

import yaml
from cfn_tools import CfnYamlLoader

from standing.collectors.iac.cfn_intrinsics import IntrinsicKey
from standing.core.errors import UserError
from standing.core.textfiles import MAX_DEPTH

# Aliases may add this many values beyond those the file writes out: generous for templates
# that reuse a block with anchors, four orders of magnitude below what exhausts memory.
MAX_ALIAS_VALUES = 100_000


class _Loader(CfnYamlLoader):  # type: ignore[misc]  # cfn-flip ships no types
    """cfn-flip's loader with a depth bound while composing, and unhashable keys kept."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.source = ""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise UserError(
                    self.source, f"nested deeper than {MAX_DEPTH} levels (line {mark.line + 1}); refusing to read it"
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = IntrinsicKey(key)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """The template's data and its root node (for line numbers); one ``UserError`` for anything unreadable."""
    loader = _Loader(text)
    loader.source = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_expansion(node, source)
        return loader.construct_document(node), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(source, f"not readable YAML{where}: {problem}") from None
    except (TypeError, ValueError, AttributeError):  # a tag cfn-flip's constructors cannot build
        raise UserError(
            source, "not a readable CloudFormation template: an intrinsic tag has an unexpected shape"
        ) from None
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand too far or too deep, or refer to their own anchor.

    Post-order over the node graph, each node measured once (aliases are shared nodes): its
    expanded size and depth are what a reader walking the data as a tree would meet.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    written = 0
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            open_nodes.discard(key)
            continue
        if key in size:
            continue
        if key in open_nodes:
            line = node.start_mark.line + 1
            raise UserError(source, f"a YAML alias refers to the value that contains it (line {line})")
        open_nodes.add(key)
        written += 1
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                line = child.start_mark.line + 1
                raise UserError(source, f"a YAML alias refers to the value that contains it (line {line})")
            if id(child) not in size:
                stack.append((child, False))
    if size[id(root)] > written + MAX_ALIAS_VALUES:
        raise UserError(
            source,
            f"YAML aliases expand this template to more than {MAX_ALIAS_VALUES:,} values beyond what it "
            "writes out (an alias bomb?); write the repeated parts out or use fewer nested aliases",
        )
    if depth[id(root)] > MAX_DEPTH:
        raise UserError(source, f"YAML aliases nest this template more than {MAX_DEPTH} levels deep")
