"""JSON Schemas for editors and other tools, generated from the models (never by hand).

Draft-07, because yaml-language-server (VS Code) understands up to draft-07; pydantic's
`$defs` are renamed to draft-07's `definitions`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ketakb import vocab

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def schema_for(kind: str) -> dict[str, Any]:
    from ketakb.models import MODEL_OF_KIND

    model = MODEL_OF_KIND[kind]
    body = model.model_json_schema(ref_template="#/definitions/{model}")
    definitions = body.pop("$defs", None)
    schema: dict[str, Any] = {"$schema": DRAFT_07, "$id": f"{kind}.schema.json", **body}
    schema["title"] = f"ketakb {kind} record (kb/{vocab.FOLDER_OF_KIND[kind]}/<id>.yaml)"
    if definitions:
        schema["definitions"] = definitions
    return schema


def schema_files() -> dict[str, str]:
    """File name → text of every kind's schema, exactly as committed under `schemas/`."""
    return {
        f"{kind}.schema.json": json.dumps(schema_for(kind), indent=2, ensure_ascii=False) + "\n"
        for kind in vocab.FOLDER_OF_KIND
    }


def stale_schema_files(folder: Path) -> list[str]:
    """Names of the schema files in `folder` that are missing or differ from the models."""
    stale = []
    for name, text in schema_files().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
