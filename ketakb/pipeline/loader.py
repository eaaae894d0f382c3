"""Finding the record files of a KB and checking each one on its own: parse, then model.

One file's result never depends on another file, which is what lets the cache reuse it when
the file is unchanged. Cross-record checks live in `checks.py`.
"""

from __future__ import annotations

import difflib
import errno
import operator
import os
import traceback
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ketakb import vocab
from ketakb.files import open_regular, printable_path, undecodable
from ketakb.findings import Finding, Loc, format_loc
from ketakb.pipeline.parse import MAX_BYTES, Parsed, locate, parse_yaml


class RecordFile(NamedTuple):
    """A file found in a kind folder, with how it is shown to the user.

    `location` is a plain string, and this a named tuple: building 100,000 Path objects or
    frozen dataclasses costs more than the stat calls that decide whether a file changed.
    """

    location: str
    kind: str
    display: str

    @property
    def path(self) -> Path:
        return Path(self.location)


@dataclass
class FileResult:
    """What checking one file on its own produced: the record's values, or findings, or both."""

    file: str
    kind: str
    record: dict[str, Any] | None
    findings: list[Finding] = field(default_factory=list)


def display_path(path: Path) -> str:
    """Paths relative to the working directory when inside it, as CI annotations need."""
    try:
        return printable_path(str(path.relative_to(Path.cwd())))
    except ValueError:
        return printable_path(str(path))


_NOT_UTF8 = ("the name is not valid UTF-8, so it is not loaded",
             "rename it: record files are named <id>.yaml, in ASCII")
_NOT_A_RECORD = "records are files named <id>.yaml directly inside a kind folder"


def link_problem(path: str, real_root: Path) -> tuple[str, str, str] | None:
    """Why the symbolic link at `path` must not be followed, as (code, message, hint): it
    leads outside the KB (whose resolved folder is `real_root`), or in a loop; else None."""
    try:
        os.stat(path)
    except OSError as err:
        if err.errno != errno.ENOENT:  # ELOOP: a link to itself, or a circle of links
            return ("KB012", f"cannot follow the symbolic link: {err.strerror}",
                    "point the link at a file inside the KB, or remove it")
    target = Path(path).resolve()  # a dangling link is reported as what it fails to be
    if target.is_relative_to(real_root):
        return None
    return ("KB011", f"symbolic link leads outside the KB, to {printable_path(str(target))}",
            "copy the record into the KB instead of linking it")


def discover(root: Path, only: str | None = None) -> tuple[list[RecordFile], list[Finding]]:
    """Every record file under `root` (or only in its folder named `only`), sorted, and the
    stray files and links found on the way."""
    records: list[RecordFile] = []
    findings: list[Finding] = []
    real_root = root.resolve()

    def stray(path: str, message: str, hint: str, code: str = "KB010") -> None:
        findings.append(Finding(display_path(Path(path)), 1, 1, code, message, hint))

    def unusable(entry: os.DirEntry[str]) -> bool:
        """A link that must not be followed, or a name that is not UTF-8 (reported).

        A linked kind folder or record leading outside would load records from elsewhere.
        """
        if undecodable(entry.name):
            stray(entry.path, *_NOT_UTF8)
            return True
        problem = link_problem(entry.path, real_root) if entry.is_symlink() else None
        if problem is not None:
            stray(entry.path, problem[1], problem[2], problem[0])
        return problem is not None

    by_name = operator.attrgetter("name")
    # displayed names are built from the root's once: relative_to per file is slow at scale
    base = display_path(root)
    prefix = "" if base == "." else os.path.join(base, "")
    for entry in sorted(os.scandir(root), key=by_name):
        if entry.name.startswith(".") or (only is not None and entry.name != only):
            continue
        if unusable(entry):
            continue
        if entry.is_dir():
            kind = vocab.KINDS.get(entry.name)
            if kind is None:
                stray(entry.path, f"folder '{entry.name}' is not a kind folder; nothing "
                      "in it is loaded", "kind folders are: " + ", ".join(vocab.KINDS))
                continue
            try:
                children = sorted(os.scandir(entry.path), key=by_name)
            except OSError as err:  # one unreadable folder must not stop the whole run
                stray(entry.path, f"cannot read the folder: {err.strerror}",
                      "check the folder's permissions", "KB012")
                continue
            folder = prefix + entry.name + os.sep
            for child in children:
                name = child.name
                if name.startswith(".") or ((not name.isascii() or child.is_symlink())
                                            and unusable(child)):
                    continue
                if not name.endswith(".yaml") or not child.is_file():
                    stray(child.path, f"'{name}' is not a record file", _NOT_A_RECORD)
                    continue
                records.append(RecordFile(child.path, kind, folder + name))
        elif entry.name.endswith((".yaml", ".yml")):
            stray(entry.path, "a record file outside any kind folder is not loaded",
                  "move it into one of: " + ", ".join(vocab.KINDS))
    return records, findings


def record_file_at(path: Path) -> RecordFile | Finding:
    """The record file `path` names (<KB>/<kind folder>/<id>.yaml, by the names as given),
    or the finding `discover` makes there: the checks of `discover` for a single file."""
    full = Path(os.path.abspath(path))
    display = display_path(path)
    if undecodable(full.name):
        return Finding(display, 1, 1, "KB010", *_NOT_UTF8)
    real_root = full.parent.parent.resolve()
    for step in (full.parent, full):  # a linked kind folder leads elsewhere just as well
        problem = link_problem(str(step), real_root) if step.is_symlink() else None
        if problem is not None:
            return Finding(display_path(step), 1, 1, *problem)
    kind = vocab.KINDS.get(full.parent.name)
    if kind is None or full.suffix != ".yaml" or not full.is_file():
        return Finding(display, 1, 1, "KB010", f"'{printable_path(full.name)}' is not a record "
                       "file", _NOT_A_RECORD)
    return RecordFile(str(path), kind, display)


def read_file(record_file: RecordFile) -> bytes | Finding:
    """The file's bytes, or the finding that explains why they cannot be used."""
    try:
        with open_regular(record_file.location) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                return Finding(record_file.display, 1, 1, "KB009",
                               f"file is {size} bytes; at most {MAX_BYTES} allowed",
                               "a record this large is almost certainly a mistake")
            return handle.read()
    except OSError as err:
        return Finding(record_file.display, 1, 1, "KB012", f"cannot read the file: {err.strerror}")


def check_bytes(record_file: RecordFile, raw: bytes, *, debug: bool = False) -> FileResult:
    """Parse and model-check one file's bytes. An unexpected error becomes a KB099 finding."""
    try:
        return _check_bytes(record_file, raw)
    except Exception as err:  # one bad file must not stop the run
        detail = traceback.format_exc() if debug else f"{type(err).__name__}: {err}"
        return FileResult(record_file.display, record_file.kind, None, [Finding(
            record_file.display, 1, 1, "KB099", f"internal error: {detail}",
            "please report this; the rest of the KB was still checked")])


def _check_bytes(record_file: RecordFile, raw: bytes) -> FileResult:
    parsed = parse_yaml(raw)
    file = record_file.display
    findings = [Finding(file, p.line, p.column, p.code, p.message, p.hint)
                for p in parsed.problems]
    if parsed.value is None:
        return FileResult(file, record_file.kind, None, findings)
    findings.extend(_schema_findings(record_file, parsed))
    record = parsed.value if not findings else None
    name = os.path.basename(record_file.location)
    if record is not None and record["id"] != os.path.splitext(name)[0]:
        line, column, _ = locate(parsed.root, ("id",))
        findings.append(Finding(file, line, column, "KB030",
                                f"id '{record['id']}' differs from the file name "
                                f"'{name}'",
                                f"rename the file to {record['id']}.yaml or fix the id",
                                ("id",)))
    return FileResult(file, record_file.kind, record, findings)


def _schema_findings(record_file: RecordFile, parsed: Parsed) -> list[Finding]:
    from pydantic import ValidationError

    from ketakb.models import ADAPTERS

    try:
        ADAPTERS[record_file.kind].validate_python(parsed.value)
    except ValidationError as err:
        return [_finding_from_error(record_file, parsed, error) for error in err.errors()]
    return []


def _finding_from_error(record_file: RecordFile, parsed: Parsed, error: Any) -> Finding:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    line, column, node = locate(parsed.root, loc, key=kind == "extra_forbidden")
    where = format_loc(loc) or "record"
    if kind == "extra_forbidden":
        code, message = "KB021", f"unknown field '{loc[-1]}'"
        hint = _unknown_field_hint(record_file.kind, loc)
    elif kind == "unit_mismatch":
        code, message = "KB060", f"{where}: {error['msg']}"
        hint = f"allowed units: {error['ctx']['allowed']}"
    elif kind == "undated_approval":
        code, message = "KB049", f"{where}: {error['msg']}"
        hint = ("add `context: {date: YYYY-MM-DD, jurisdiction: US}`: when and where the "
                "approval took effect")
    elif kind == "missing":
        code, message = "KB022", f"missing required field '{where}'"
        hint = f"add `{loc[-1]}:` here"
    else:
        code, message = "KB020", f"{where}: {error['msg']}"
        hint = _value_hint(kind, error, node)
    return Finding(record_file.display, line, column, code, message, hint, loc)


def _unknown_field_hint(kind: str, loc: Loc) -> str:
    from ketakb.models import MODEL_OF_KIND

    model: Any = MODEL_OF_KIND[kind]
    for part in loc[:-1]:
        if isinstance(part, str):
            fields = getattr(model, "model_fields", {})
            model = _model_in(getattr(fields.get(part), "annotation", None))
    fields = getattr(model, "model_fields", None)
    if not fields:
        return ""
    allowed = sorted(f.alias or name for name, f in fields.items())
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed here: " + ", ".join(allowed)


def _model_in(annotation: Any) -> Any:
    """The model inside a field's annotation: `Xrefs | None` → Xrefs, `list[Claim]` → Claim.

    Optional and list fields wrap their model, so looking only at the annotation itself gave
    no hint for a typo inside `xrefs` or `context`.
    """
    if getattr(annotation, "model_fields", None) is not None:
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _value_hint(kind: str, error: Any, node: Any) -> str:
    written = getattr(node, "value", None)
    value = error.get("input")
    if kind == "string_type" and isinstance(value, bool):
        return f"YAML read `{written}` as a boolean; write '{written}' in quotes to keep text"
    if kind == "string_type" and isinstance(value, (int, float)):
        return (f"YAML read `{written}` as the number {value!r}; quote it, '{written}', "
                "to keep it as text (identifiers, versions and dates are text)")
    if kind == "finite_number":
        return (f"YAML read `{written}` as {value!r}, which JSON cannot hold; a figure needs a "
                "finite number (at most ±1.8e308)")
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        close = difflib.get_close_matches(str(value), options, n=1)
        return f"did you mean '{close[0]}'?" if close else ""
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "archive":
        return "a file name in --sources-dir: no folder, no leading dot, no control characters"
    if kind == "string_pattern_mismatch" and error["loc"][-1] in ("id", "subject", "object",
                                                                  "source"):
        return "ids are lower-case ASCII words joined by hyphens, e.g. nmda-receptor"
    return ""
