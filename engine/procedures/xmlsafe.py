"""The one way Motcua parses XML: no entity expansion, no DTD loading, no network."""

from __future__ import annotations

from lxml import etree

from engine.errors import InvalidPackage, Problem


def _parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(content: bytes, filename: str) -> etree._Element:
    """Parse a BPMN/DMN document; any DOCTYPE is refused outright, since BPMN never needs one."""
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidPackage([Problem("xml-syntax", f"{filename}: {exc}", file=filename)]) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvalidPackage([Problem("xml-doctype", f"{filename}: DOCTYPE and entities are not allowed",
                                      file=filename)])
    return root


BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def almost_bpmn(content: bytes) -> bool:
    """Whether a diagram that does not parse is still a BPMN document a modeler can read (another tool's slip:
    an undeclared prefix, no space in the XML declaration): read leniently, with the same safety, and without
    any DOCTYPE, its root is BPMN's `definitions`."""
    if b"<!DOCTYPE" in content.upper():
        return False
    try:
        content.decode("utf-8")  # a draft keeps its files as text
    except UnicodeDecodeError:
        return False
    try:
        root = etree.fromstring(content, parser=_parser(recover=True))
    except (etree.XMLSyntaxError, ValueError):
        return False
    return root is not None and etree.QName(root).localname == "definitions" and \
        etree.QName(root).namespace in (BPMN_MODEL, None)
