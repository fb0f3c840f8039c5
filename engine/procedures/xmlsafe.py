"""The one way Motcua parses XML: no entity expansion, no DTD loading, no network."""

from __future__ import annotations

from lxml import etree

from engine.errors import InvalidPackage, Problem


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
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
