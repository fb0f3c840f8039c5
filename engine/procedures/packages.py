"""A procedure package as bytes: read from `processes/<code>/` plus the forms it names."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from engine.errors import InvalidPackage, Problem

from .xmlsafe import parse_xml

PACKAGE_SUFFIXES = (".bpmn", ".dmn", ".toml", ".html")  # .html: the result template (engine/rendering)
FORM_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,100}")
SPIFF_NS = {"spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ProcedurePackage:
    code: str
    files: dict[str, bytes]          # procedure.toml, BPMN and DMN files by name
    forms: dict[str, dict[str, Any]]  # form name -> form-js schema

    @property
    def content_hash(self) -> str:
        """Stable over file order and form formatting, so an unchanged folder never makes a new version."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        for name in sorted(self.forms):
            digest.update(b"form:" + name.encode() + b"\0" +
                          orjson.dumps(self.forms[name], option=orjson.OPT_SORT_KEYS))
        return digest.hexdigest()

    @property
    def bpmn_name(self) -> str:
        return next((n for n in self.files if n.endswith(".bpmn")), "process.bpmn")

    def text_files(self) -> dict[str, str]:
        return {name: content.decode("utf-8", errors="replace") for name, content in self.files.items()}


def read_package(folder: Path, forms_dir: Path) -> ProcedurePackage:
    files: dict[str, bytes] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in PACKAGE_SUFFIXES:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InvalidPackage([Problem("file-too-large", f"{path.name} is larger than 2 MB",
                                              file=path.name)])
            files[path.name] = path.read_bytes()
    return ProcedurePackage(code=folder.name, files=files, forms=read_forms(files, forms_dir))


def read_forms(files: dict[str, bytes], forms_dir: Path) -> dict[str, dict[str, Any]]:
    """The forms a package's diagrams name; a missing one is left out and reported by the compiler."""
    forms: dict[str, dict[str, Any]] = {}
    for name in sorted(form_names(files)):
        if not FORM_NAME_RE.fullmatch(name):
            continue
        path = forms_dir / f"{name}.form"
        if not path.is_file():
            continue
        try:
            forms[name] = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InvalidPackage([Problem("form-syntax", f"forms/{name}.form: {exc}",
                                          file=f"forms/{name}.form")]) from exc
    return forms


def form_names(files: dict[str, bytes]) -> set[str]:
    """Form names given as `formKey` properties anywhere in the package's diagrams."""
    names: set[str] = set()
    for filename, content in files.items():
        if not filename.endswith(".bpmn"):
            continue
        try:
            root = parse_xml(content, filename)
        except InvalidPackage:
            continue  # the compiler reports it with the rest
        names.update(root.xpath("//spiffworkflow:property[@name='formKey']/@value", namespaces=SPIFF_NS))
    return names
