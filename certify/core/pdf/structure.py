"""A tagged PDF (issue 20): the logical structure that screen readers and text extraction
follow, added to the revision that is signed.

The page's content marks each piece of text (and the QR code) as marked content with an MCID
and everything decorative as an artifact (:mod:`~certify.core.pdf.certificate.drawing`);
:func:`add_structure` then writes the structure tree: one ``Document`` element whose children,
in reading order (top to bottom as the page is laid out), point at those MCIDs; the parent
tree that maps them back; ``/MarkInfo``, the document language and ``DisplayDocTitle``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import BasePdfFileWriter

__all__ = ["StructureItem", "add_structure"]


@dataclass(frozen=True)
class StructureItem:
    """One structure element: its standard role (``H1``, ``H2``, ``P``, ``Figure``), the
    MCID of its marked content on the (only) page, and alternate text for a figure."""

    role: str
    mcid: int
    alt: str | None = None


def _name(value: str) -> generic.NameObject:
    return generic.pdf_name("/" + value)


def add_structure(
    writer: BasePdfFileWriter, items: Sequence[StructureItem], *, lang: str = "en"
) -> None:
    """Write the structure tree of *items* (reading order) for the first page of *writer*'s
    document, and mark the document as tagged.

    Raises:
        ValueError: two items share an MCID, or an MCID is negative.
    """
    mcids = [item.mcid for item in items]
    if len(set(mcids)) != len(mcids) or any(m < 0 for m in mcids):
        raise ValueError("every structure item needs its own non-negative MCID")
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    tree_ref = writer.add_object(generic.DictionaryObject())
    doc_ref = writer.add_object(generic.DictionaryObject())
    by_mcid: dict[int, generic.IndirectObject] = {}
    kids = generic.ArrayObject()
    for item in items:
        element = generic.DictionaryObject(
            {
                _name("Type"): _name("StructElem"),
                _name("S"): _name(item.role),
                _name("P"): doc_ref,
                _name("Pg"): page_ref,
                _name("K"): generic.NumberObject(item.mcid),
            }
        )
        if item.alt:
            element[_name("Alt")] = generic.TextStringObject(item.alt)
        ref = writer.add_object(element)
        by_mcid[item.mcid] = ref
        kids.append(ref)
    parents = generic.ArrayObject(
        by_mcid.get(m, generic.NullObject()) for m in range(max(mcids, default=-1) + 1)
    )
    doc = doc_ref.get_object()
    doc.update({_name("Type"): _name("StructElem"), _name("S"): _name("Document")})
    doc.update({_name("P"): tree_ref, _name("K"): kids})
    tree = tree_ref.get_object()
    tree.update(
        {
            _name("Type"): _name("StructTreeRoot"),
            _name("K"): doc_ref,
            _name("ParentTree"): generic.DictionaryObject(
                {_name("Nums"): generic.ArrayObject([generic.NumberObject(0), parents])}
            ),
            _name("ParentTreeNextKey"): generic.NumberObject(1),
        }
    )
    page[_name("StructParents")] = generic.NumberObject(0)
    page[_name("Tabs")] = _name("S")
    writer.update_container(page)
    root = writer.root
    root[_name("StructTreeRoot")] = tree_ref
    root[_name("MarkInfo")] = generic.DictionaryObject(
        {_name("Marked"): generic.BooleanObject(True)}
    )
    root[_name("Lang")] = generic.TextStringObject(lang)
    root[_name("ViewerPreferences")] = generic.DictionaryObject(
        {_name("DisplayDocTitle"): generic.BooleanObject(True)}
    )
    writer.update_root()
