"""Terraform for a plan's target, rendered from the files in ``templates/``.

jinja2 rather than ``string.Template``: HCL itself uses ``${...}``, which collides with
``string.Template``'s syntax, and the templates need loops (one attachment per policy, one
PIM assignment per grant) and shared macros. Autoescape is off because the output is HCL,
not HTML; instead every value from the cloud passes an HCL filter (``hcl`` quotes and escapes
a string, including HCL's own ``${`` and ``%{``; ``label`` makes a safe identifier), and
``StrictUndefined`` turns a missing value into an error rather than an empty string.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from standing.core.json_out import dumps
from standing.core.model import Identity
from standing.core.safe_text import printable
from standing.planner.model import AwsPolicyDocument, IacSnippet, TerraformProvider

TEMPLATES = Path(__file__).parent / "templates"


def _escape_template(text: str) -> str:
    return text.replace("${", "$${").replace("%{", "%%{")


def hcl_string(value: Any) -> str:
    """A quoted HCL string: JSON escaping (quotes, backslashes, control characters) plus HCL's own."""
    return _escape_template(json.dumps(str(value)))


def hcl_inner(value: Any) -> str:
    """The inside of an HCL string that the template quotes itself."""
    return hcl_string(value)[1:-1]


def hcl_json(value: Any) -> str:
    """A policy document as ``jsonencode({...})``; JSON is valid HCL expression syntax."""
    document = value.document if isinstance(value, AwsPolicyDocument) else value
    return f"jsonencode({hcl_json_raw(document)})"


def hcl_json_raw(value: Any) -> str:
    return _escape_template(dumps(value, indent=2)).replace("\n", "\n  ")


def oneline(value: Any) -> str:
    """Text for a ``#`` comment: a name with a line break must not end the comment, nor an
    escape sequence act on the terminal of whoever reads the file."""
    return printable(" ".join(str(value).split()))


def label(value: Any) -> str:
    """A Terraform identifier (resource label) from any name."""
    text = re.sub(r"[^A-Za-z0-9_]+", "_", str(value)).strip("_").lower() or "identity"
    return text if text[0].isalpha() or text[0] == "_" else f"_{text}"


def identity_label(identity: Identity) -> str:
    """The Terraform label and file name of one identity's plan: unique in the estate, the same every run.

    ``label`` alone is not injective: IAM allows ``svc.old`` and ``svc-old`` side by side (both
    become ``svc_old``), and two accounts or clouds may each have a ``deployer``. The readable
    name is kept and a short hash of the identity's id (unique in the estate, stable across
    scans) is always appended, so no two plans write the same file or resource.
    """
    return f"{label(identity.name)}_{hashlib.sha256(identity.id.encode()).hexdigest()[:8]}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates ship with the package: no file check per plan rendered
    )
    env.filters.update(
        hcl=hcl_string, hcl_json=hcl_json, hcl_json_raw=hcl_json_raw, hcl_inner=hcl_inner, label=label, oneline=oneline
    )
    return env


def render(template: str, providers: list[TerraformProvider], filename: str, **values: Any) -> IacSnippet:
    text = _environment().get_template(f"{template}.tf.j2").render(**values)
    return IacSnippet(providers=providers, filename=filename, terraform=re.sub(r"\n{3,}", "\n\n", text).strip() + "\n")
