"""Thumbnails: a small PNG of a file's first page, or the reason there can be none.

PDFs are rendered with PDFium (pypdfium2), images read with Pillow; both are imported on first use, so only the
function that makes thumbnails pays for them, and only when it makes one. A file that is not what it says it is,
a password-protected PDF or a page too large to draw gives a reason a person can read, never an exception: a
thumbnail is a courtesy, and the pipeline must not fail for want of one.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

if TYPE_CHECKING:
    from PIL.Image import Image

BOX = 320  # the thumbnail fits a square of this many pixels
COLOURS = 64  # drawings are line work on white: a small palette keeps the PNG small and the lines crisp
MAX_IMAGE_PIXELS = 200_000_000  # an image larger than this is refused, not decoded (a "decompression bomb")


class Made(NamedTuple):
    """A thumbnail: PNG bytes and their size in pixels."""

    png: bytes
    width: int
    height: int


class Unavailable(NamedTuple):
    """Why there is no thumbnail, in words for the people who look at the sheet."""

    reason: str


def thumbnail(source: BinaryIO, content_type: str) -> Made | Unavailable:
    """The first page of a PDF, or an image, fitted into BOX x BOX pixels. `source` is read as needed (a PDF's
    reader seeks: its table of contents is at the end)."""
    if content_type == "application/pdf":
        return _from_pdf(source)
    if content_type in ("image/png", "image/jpeg", "image/tiff"):
        return _from_image(source)
    return Unavailable(f"No preview for files of type {content_type}.")


def _from_pdf(source: BinaryIO) -> Made | Unavailable:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return Unavailable("The PDF is password-protected, so it cannot be previewed.")
        return Unavailable("The file is not a readable PDF: it may be damaged or incomplete.")
    try:
        if len(document) == 0:
            return Unavailable("The PDF has no pages.")
        page = document[0]
        try:
            width, height = page.get_size()  # points, rotation applied
            if width <= 0 or height <= 0:
                return Unavailable("The PDF's first page has no size.")
            scale = BOX / max(width, height)
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
        except pdfium.PdfiumError:
            return Unavailable("The PDF's first page could not be drawn: the file may be damaged.")
        finally:
            page.close()
    finally:
        document.close()
    return _png(image)


def _from_image(source: BinaryIO) -> Made | Unavailable:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(source) as opened:
            opened.draft("RGB", (BOX, BOX))  # JPEG: decode at a reduced size straight away
            opened.thumbnail((BOX, BOX))
            image = opened.convert("RGB")
    except Image.DecompressionBombError:
        return Unavailable("The image is too large to preview.")
    except (UnidentifiedImageError, OSError, ValueError):
        return Unavailable("The file is not a readable image: it may be damaged or incomplete.")
    return _png(image)


def _png(image: Image) -> Made:
    from PIL import Image as PILImage

    image = image.convert("RGB")
    if image.width > BOX or image.height > BOX:
        image.thumbnail((BOX, BOX))
    small = image.quantize(colors=COLOURS, method=PILImage.Quantize.MEDIANCUT, dither=PILImage.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return Made(out.getvalue(), small.width, small.height)
