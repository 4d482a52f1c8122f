"""PDF rendering with reportlab (pure pip: its wheels ship the Bitstream Vera TTF
fonts used here, so nothing is needed from the system).

Every page: the practice's letterhead on the first page, the footer with the
document id, kind and "Page N of M", and, on drafts, a DRAFT watermark. Fonts
are TrueType, embedded (subset) in the file; text is real text, so it can be
selected, searched and extracted.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT, FONT_BOLD = "ScribeVera", "ScribeVera-Bold"
_FONTS_DIR = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
_registered = False


def _register_fonts() -> None:
    global _registered
    if _registered:
        return
    pdfmetrics.registerFont(TTFont(FONT, os.path.join(_FONTS_DIR, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(_FONTS_DIR, "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
    _registered = True


@dataclass
class PdfContent:
    """What one PDF shows; ``sections`` are (heading, text) blocks, ``tables`` (heading, rows)."""

    title: str
    document_id: str
    kind_label: str
    practice_name: str
    practice_address: str
    details: list[tuple[str, str]]
    sections: list[tuple[str, str]] = field(default_factory=list)
    tables: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    draft: bool = False


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14)
    return {
        "body": body,
        "practice": ParagraphStyle("practice", parent=body, fontName=FONT_BOLD, fontSize=14, leading=18),
        "address": ParagraphStyle("address", parent=body, fontSize=9, leading=12, textColor=colors.grey),
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=13, leading=18, spaceBefore=6),
        "heading": ParagraphStyle("heading", parent=body, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=8),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=12),
    }


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _numbered_canvas(content: PdfContent) -> type[canvas.Canvas]:
    """A canvas that learns the page count before drawing each page's footer (two passes
    over saved page states), so the footer says "Page N of M"."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _height = A4
            self.saveState()
            self.setFont(FONT, 8)
            self.setFillColor(colors.grey)
            self.line(18 * mm, 16 * mm, width - 18 * mm, 16 * mm)
            self.drawString(18 * mm, 11 * mm, f"{content.kind_label} - Document ID {content.document_id}")
            self.drawRightString(width - 18 * mm, 11 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return NumberedCanvas


def _watermark(pdf: canvas.Canvas, _doc: Any) -> None:
    width, height = A4
    pdf.saveState()
    pdf.setFont(FONT_BOLD, 110)
    pdf.setFillColor(colors.Color(0.85, 0.2, 0.2, alpha=0.18))
    pdf.translate(width / 2, height / 2)
    pdf.rotate(45)
    pdf.drawCentredString(0, -35, "DRAFT")
    pdf.restoreState()


def _nothing(_pdf: canvas.Canvas, _doc: Any) -> None:
    return None


def pdf_render(content: PdfContent) -> bytes:
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=22 * mm,
        title=content.title,
        author=content.practice_name,
        creator="Scribe",
        # Not Helvetica (a standard font, never embedded): Vera from the first byte.
        initialFontName=FONT,
    )
    story: list[Any] = [Paragraph(_text(content.practice_name), styles["practice"])]
    if content.practice_address:
        story.append(Paragraph(_text(content.practice_address), styles["address"]))
    story += [Spacer(1, 4 * mm), Paragraph(_text(content.title), styles["title"])]
    if content.draft:
        story.append(Paragraph("DRAFT - not signed; not for the record.", styles["heading"]))
    details = Table(
        [
            [Paragraph(_text(label), styles["cell"]), Paragraph(_text(value), styles["cell"])]
            for label, value in content.details
        ],
        colWidths=[45 * mm, None],
        hAlign="LEFT",
    )
    details.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.lightgrey),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story += [Spacer(1, 2 * mm), details, Spacer(1, 2 * mm)]
    for heading, text in content.sections:
        if heading:
            story.append(Paragraph(_text(heading), styles["heading"]))
        for paragraph in (text or "-").split("\n\n"):
            story.append(Paragraph(_text(paragraph), styles["body"]))
            story.append(Spacer(1, 1.5 * mm))
    for heading, rows in content.tables:
        story.append(Paragraph(_text(heading), styles["heading"]))
        table = Table(
            [[Paragraph(_text(cell), styles["cell"]) for cell in row] for row in rows], hAlign="LEFT", repeatRows=1
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    on_page = _watermark if content.draft else _nothing
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=_numbered_canvas(content))
    return buffer.getvalue()
