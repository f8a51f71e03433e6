"""Thumbnails of real files: a drawing's first page as a small PNG; any file that cannot give one gives a reason a
person can read instead, never an exception."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib

import pytest
from PIL import Image

from connectability.thumbnails import BOX, Made, Unavailable, thumbnail
from local.drawing_pdf import drawing_pdf


def _image(made: Made) -> Image.Image:
    image = Image.open(io.BytesIO(made.png))
    image.load()
    return image


def test_a_drawing_gives_a_small_png_of_its_first_page_with_its_line_work() -> None:
    # Given a real A1 sheet of vector line work, two pages long
    pdf = drawing_pdf("A-101", "Ground floor plan", size="A1", pages=2)

    # When its thumbnail is made
    made = thumbnail(io.BytesIO(pdf), "application/pdf")

    # Then it is a PNG that fits the box, with the sheet's proportions, and holds dark lines on white
    assert isinstance(made, Made)
    image = _image(made)
    assert image.format == "PNG"
    assert (image.width, image.height) == (made.width, made.height)
    assert made.width == BOX
    assert abs(made.height - BOX * 1683.78 / 2383.94) <= 1
    pixels = list(image.convert("L").tobytes())
    assert sum(p < 100 for p in pixels) > 0.01 * len(pixels)  # the walls and the title block
    assert sum(p > 240 for p in pixels) > 0.5 * len(pixels)  # paper
    assert len(made.png) < 20_000


@pytest.mark.parametrize("size", ["A0", "ARCH E"])
def test_a_large_sheet_gives_a_thumbnail_of_the_same_box(size: str) -> None:
    made = thumbnail(io.BytesIO(drawing_pdf("A-900", "Site plan", size=size, rooms=60)), "application/pdf")
    assert isinstance(made, Made)
    assert max(made.width, made.height) == BOX


def test_a_huge_page_is_drawn_at_the_same_small_size() -> None:
    # Given a page at PDF's own limit of 200 inches a side (14,400 points), drawn on at that scale
    pdf = drawing_pdf("X-1", "Huge", size="A0")
    pdf = pdf.replace(b"/MediaBox [0 0 3370.39 2383.94]", b"/MediaBox [0 0 14400.00 14400.00]")
    pdf = _fix_xref(pdf)
    made = thumbnail(io.BytesIO(pdf), "application/pdf")
    assert isinstance(made, Made)
    assert (made.width, made.height) == (BOX, BOX)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"0" * 2048 + b"\n%%EOF\n",  # a header and nothing a reader can use
        b"",
        drawing_pdf("A-1", "Cut short")[:700],  # an upload that stopped half-way
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # another type of file altogether
    ],
    ids=["header-only", "empty", "truncated", "png-bytes"],
)
def test_a_file_that_is_not_a_readable_pdf_gives_a_reason(data: bytes) -> None:
    made = thumbnail(io.BytesIO(data), "application/pdf")
    assert made == Unavailable("The file is not a readable PDF: it may be damaged or incomplete.")


def test_an_encrypted_pdf_gives_a_reason_and_is_not_opened() -> None:
    # Given a PDF encrypted with a user password (the standard security handler, RC4)
    pdf = _encrypted(drawing_pdf("A-1", "Secret plan"), user_password=b"site-only")
    import pypdfium2 as pdfium

    assert len(pdfium.PdfDocument(pdf, password="site-only")) == 1  # a real, openable encrypted file

    # When its thumbnail is asked for, without the password
    made = thumbnail(io.BytesIO(pdf), "application/pdf")

    # Then the reason says why
    assert made == Unavailable("The PDF is password-protected, so it cannot be previewed.")


def test_images_are_shrunk_into_the_box_and_a_broken_one_gives_a_reason() -> None:
    picture = Image.new("RGB", (2000, 1000), "white")
    for x in range(0, 2000, 50):
        picture.paste((0, 0, 0), (x, 0, x + 3, 1000))
    for kind, fmt in (("image/png", "PNG"), ("image/jpeg", "JPEG"), ("image/tiff", "TIFF")):
        data = io.BytesIO()
        picture.save(data, format=fmt)
        made = thumbnail(io.BytesIO(data.getvalue()), kind)
        assert isinstance(made, Made), kind
        assert (made.width, made.height) == (BOX, BOX // 2)
    broken = thumbnail(io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * 100), "image/jpeg")
    assert broken == Unavailable("The file is not a readable image: it may be damaged or incomplete.")


def test_an_image_too_large_to_decode_is_refused_before_it_is_decoded() -> None:
    # A PNG whose header claims 40,000 x 40,000 pixels (1.6 billion): refused from its header alone
    header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    png = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
        for body in (chunk, b"IDAT" + zlib.compress(b"\x00" * 64), b"IEND")
    )
    assert thumbnail(io.BytesIO(png), "image/png") == Unavailable("The image is too large to preview.")


# -- helpers: PDFs changed by hand ----------------------------------------------------------------------------
def _fix_xref(pdf: bytes) -> bytes:
    """The object offsets and startxref of a PDF whose bytes were edited."""
    body = pdf[: pdf.index(b"xref\n")]
    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj\n", body)]
    xref = f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    xref += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    trailer = f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{len(body)}\n%%EOF\n".encode()
    return body + xref + trailer


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted(pdf: bytes, user_password: bytes) -> bytes:
    """The PDF encrypted by the standard security handler, revision 2 (40-bit RC4): every stream encrypted with
    its object's key, and /Encrypt and /ID in the trailer (PDF 32000-1, 7.6.3, algorithms 1-4)."""
    padded = (user_password + _PAD)[:32]
    owner = _rc4(hashlib.md5(padded).digest()[:5], padded)
    permissions = -4
    file_id = hashlib.md5(pdf).digest()
    key = hashlib.md5(padded + owner + struct.pack("<i", permissions) + file_id).digest()[:5]
    user = _rc4(key, _PAD)

    def encrypt_stream(match: re.Match[bytes]) -> bytes:
        number, head, data = int(match.group(1)), match.group(2), match.group(3)
        object_key = hashlib.md5(key + struct.pack("<I", number)[:3] + b"\x00\x00").digest()[:10]
        return match.group(0).replace(head + data, head + _rc4(object_key, data))

    body = pdf[: pdf.index(b"xref\n")]
    body = re.sub(rb"(?s)(\d+) 0 obj\n(<<[^\n]*>>\nstream\n)(.*?)\nendstream", encrypt_stream, body)
    count = len(re.findall(rb"(?m)^\d+ 0 obj\n", body))
    encrypt = (
        f"{count + 1} 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <{owner.hex()}> /U <{user.hex()}> "
        f"/P {permissions} >>\nendobj\n"
    ).encode()
    body += encrypt
    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj\n", body)]
    xref = f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    xref += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    trailer = (
        f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R /Encrypt {count + 1} 0 R "
        f"/ID [<{file_id.hex()}> <{file_id.hex()}>] >>\nstartxref\n{len(body)}\n%%EOF\n"
    ).encode()
    return body + xref + trailer
