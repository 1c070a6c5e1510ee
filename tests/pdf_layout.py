"""Reading a PDF's layout back from its words' boxes (pdfplumber): what a reader would see as
overlapping words, words off the printable area, words crossed by a rule (a cell's border, a
chart's target line) and characters that are drawn but clipped away (a chart label cut off at
the edge of its drawing).

Each check returns faults as short sentences naming the page and the words, so a failing test
says what to look at. Used by tests/test_pdf_layout.py over every PDF the product makes.
"""

import io
import math
from dataclasses import dataclass

import pdfplumber

MM = 72 / 25.4
#: Office printers leave about 4-5 mm at every edge unprinted; text must stay 8 mm clear.
PRINTABLE_INSET = 8 * MM
#: Boxes may touch (kerning, tight table cells) by this much without counting as overlap.
TOLERANCE = 0.6
#: Resolution at which pages are drawn to look for clipped characters.
INK_DPI = 100


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    chars: tuple

    @property
    def height(self) -> float:
        return self.bottom - self.top


def words_of(page) -> list[Word]:
    """Words in the order they are drawn: text drawn over other text stays two words."""
    found = page.extract_words(use_text_flow=True, x_tolerance=1.5, y_tolerance=2, return_chars=True)
    return [
        Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"], tuple(w["chars"])) for w in found if w["text"].strip()
    ]


def _vertical_overlap(a: Word, b: Word) -> float:
    return min(a.bottom, b.bottom) - max(a.top, b.top)


def overlapping_words(page, words: list[Word]) -> list[str]:
    """Pairs of words whose boxes cross: a third of a line's height and more than a hairline wide."""
    faults = []
    ordered = sorted(words, key=lambda w: w.top)
    for index, a in enumerate(ordered):
        for b in ordered[index + 1 :]:
            if b.top >= a.bottom:
                break
            across = min(a.x1, b.x1) - max(a.x0, b.x0)
            if across > TOLERANCE and _vertical_overlap(a, b) > 0.3 * min(a.height, b.height):
                faults.append(f"page {page.page_number}: '{a.text}' overlaps '{b.text}'")
    return faults


def _outside(w: Word, box: tuple[float, float, float, float]) -> bool:
    left, top, right, bottom = box
    across = w.x0 < left - TOLERANCE or w.x1 > right + TOLERANCE
    return across or w.top < top - TOLERANCE or w.bottom > bottom + TOLERANCE


def outside_printable_area(page, words: list[Word]) -> list[str]:
    left, top = PRINTABLE_INSET, PRINTABLE_INSET
    right, bottom = float(page.width) - PRINTABLE_INSET, float(page.height) - PRINTABLE_INSET
    return [
        f"page {page.page_number}: '{w.text}' runs outside the printable area "
        f"(x {w.x0:.1f}-{w.x1:.1f}, y {w.top:.1f}-{w.bottom:.1f} of {float(page.width):.0f} x {float(page.height):.0f})"
        for w in words
        if _outside(w, (left, top, right, bottom))
    ]


def _faint(shape) -> bool:
    """A hairline lighter than 85% grey (a chart's grid line) does not hide text drawn across it."""
    colour = shape.get("stroking_color") if shape.get("stroke") else shape.get("non_stroking_color")
    if colour is None or isinstance(colour, str):
        return False
    values = colour if isinstance(colour, (tuple, list)) else (colour,)
    return len(values) in (1, 3) and all(isinstance(v, (int, float)) and v > 0.85 for v in values)


def _rules(page) -> list[tuple[float, float, float, float]]:
    """Every drawn straight edge as (x0, top, x1, bottom): lines, and the four sides of each
    rectangle (a table cell's border, a bar, a swatch). Faint grid lines are left out."""
    edges = []
    for line in page.lines:
        if not _faint(line):
            edges.append((line["x0"], line["top"], line["x1"], line["bottom"]))
    for rect in page.rects:
        if _faint(rect):
            continue
        x0, x1, top, bottom = rect["x0"], rect["x1"], rect["top"], rect["bottom"]
        if x1 - x0 < 2 or bottom - top < 2:  # a thin rectangle is itself a rule
            edges.append((x0, top, x1, bottom))
            continue
        edges += [(x0, top, x1, top), (x0, bottom, x1, bottom), (x0, top, x0, bottom), (x1, top, x1, bottom)]
    return edges


def words_crossed_by_rules(page, words: list[Word]) -> list[str]:
    """A rule through the body of a word: text overflowing its table cell, or a label drawn on a
    chart's line. The word's body is its box less the ascender and descender bands, so an
    underline or a border touching a cell's text is not counted."""
    faults = []
    edges = _rules(page)
    for w in words:
        band_top, band_bottom = w.top + 0.3 * w.height, w.bottom - 0.3 * w.height
        for x0, top, x1, bottom in edges:
            vertical = x1 - x0 <= bottom - top
            if vertical:
                x = (x0 + x1) / 2
                crosses = w.x0 + TOLERANCE < x < w.x1 - TOLERANCE and top < band_bottom and bottom > band_top
            else:
                y = (top + bottom) / 2
                crosses = band_top < y < band_bottom and x0 < w.x1 - TOLERANCE and x1 > w.x0 + TOLERANCE
            if crosses:
                faults.append(f"page {page.page_number}: '{w.text}' is crossed by a rule at ({x0:.1f}, {top:.1f})")
                break
    return faults


#: Letters too narrow to have ink in both halves of their box.
NARROW = set("fijlrtI1")


def _no_ink(image, box: tuple[float, float, float, float]) -> bool:
    """No mark in the box: the whole pixels covering it are all one shade (a thin "l" is less
    than two pixels wide, hence floor and ceiling)."""
    x0, top, x1, bottom = math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3])
    if x0 < 0 or top < 0 or x1 > image.width or bottom > image.height:
        return True  # off the page
    low, high = image.crop((x0, top, x1, bottom)).getextrema()
    return high - low < 40


def clipped_characters(page, words: list[Word]) -> list[str]:
    """Letters and digits that show no ink, or none in one half of their box, when the page is
    drawn: they are in the file but clipped away, whole or in part (a label running past the
    edge of its chart's drawing, text outside a page)."""
    image = page.to_image(resolution=INK_DPI).original.convert("L")
    scale = INK_DPI / 72
    faults = []
    for w in words:
        hidden = []
        for char in w.chars:
            if not char["text"].isalnum():
                continue
            x0, x1 = char["x0"] * scale, char["x1"] * scale
            top, bottom = char["top"] * scale, char["bottom"] * scale
            middle = (x0 + x1) / 2
            halves = char["text"] not in NARROW and x1 - x0 >= 4
            if _no_ink(image, (x0, top, x1, bottom)) or (
                halves and (_no_ink(image, (x0, top, middle, bottom)) or _no_ink(image, (middle, top, x1, bottom)))
            ):
                hidden.append(char["text"])
        if hidden:
            faults.append(f"page {page.page_number}: '{w.text}' is cut off (not drawn in full: {''.join(hidden)})")
    return faults


def figures(page) -> list[dict]:
    """The page's Figure elements from the structure tree of a tagged PDF (none when untagged)."""
    found = []

    def walk(elements):
        for element in elements:
            if element["type"] == "Figure":
                found.append(element)
            walk(element.get("children", []))

    walk(page.structure_tree)
    return found


def figure_box(figure: dict) -> tuple[float, float, float, float]:
    """(x0, top, x1, bottom) in points from the page's top-left corner. WeasyPrint 70 writes a
    Figure's /BBox in CSS pixels (0.75 pt) measured from the top-left corner of the page."""
    x0, top, x1, bottom = figure["attributes"]["BBox"]
    return x0 * 0.75, top * 0.75, x1 * 0.75, bottom * 0.75


def labels_outside_figures(page, words: list[Word]) -> list[str]:
    """A chart's text (the characters marked as its Figure's content) must lie inside the
    chart's drawing: what runs past its edge is cut off when printed."""
    faults = []
    for figure in figures(page):
        mcids = set(figure.get("mcids", []))
        x0, top, x1, bottom = figure_box(figure)
        for w in words:
            if not any(char.get("mcid") in mcids for char in w.chars):
                continue
            if _outside(w, (x0, top, x1, bottom)):
                faults.append(
                    f"page {page.page_number}: chart label '{w.text}' runs outside its chart "
                    f"(x {w.x0:.1f}-{w.x1:.1f} of {x0:.1f}-{x1:.1f})"
                )
    return faults


CHECKS = (
    overlapping_words,
    outside_printable_area,
    words_crossed_by_rules,
    clipped_characters,
    labels_outside_figures,
)


def layout_faults(pdf: bytes) -> list[str]:
    """Every fault on every page, in page order."""
    faults = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            words = words_of(page)
            for check in CHECKS:
                faults += check(page, words)
    return faults
