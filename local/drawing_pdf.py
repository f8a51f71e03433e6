"""Drawing sheets as real PDFs: a floor plan of walls, doors, a grid and dimensions, with a title block, drawn as
vector line work the way CAD exports do. The demo publishes them, the tests upload them, the benches render
them. Standard library only (it runs inside the local stack and in tests); the same inputs give the same bytes.
"""

from __future__ import annotations

import itertools
import random
import zlib

# Sheet sizes in points (1/72 inch), landscape.
SIZES = {
    "A3": (1190.55, 841.89),
    "A1": (2383.94, 1683.78),
    "A0": (3370.39, 2383.94),
    "ARCH E": (3456.0, 2592.0),
}


def _text(x: float, y: float, size: float, text: str, bold: bool = False) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(")
    safe = safe.replace(")", "\\)")
    return f"BT /{'F2' if bold else 'F1'} {size:.1f} Tf {x:.2f} {y:.2f} Td ({safe}) Tj ET\n"


def _plan(width: float, height: float, rng: random.Random, rooms: int) -> list[str]:
    """Walls of a rectangular plan split into rooms, each with a door swing, under a column grid."""
    ops: list[str] = []
    margin, block = width * 0.06, width * 0.25
    left, bottom = margin, margin
    right, top = width - block - margin, height - margin
    # the column grid: thin dashed lines with bubbles
    ops.append("0.6 0.6 0.6 RG 0.5 w [6 4] 0 d\n")
    columns = 8
    for i in range(columns + 1):
        x = left + (right - left) * i / columns
        ops.append(f"{x:.2f} {bottom - 20:.2f} m {x:.2f} {top + 10:.2f} l S\n")
    ops.append("[] 0 d 0 0 0 RG\n")
    for i in range(columns + 1):
        x = left + (right - left) * i / columns
        ops.append(_circle(x, top + 22, 10))
        ops.append(_text(x - 3.5, top + 18.5, 10, chr(ord("A") + i)))
    # the outer walls, thick
    ops.append(f"0 0 0 RG 4 w {left:.2f} {bottom:.2f} {right - left:.2f} {top - bottom:.2f} re S\n")
    # inner walls splitting the plan into rooms
    ops.append("2 w\n")
    count = max(2, rooms // 2 + 1)
    cuts = [(i + rng.uniform(-0.2, 0.2)) / count for i in range(1, count)]
    for cut in cuts:
        x = left + (right - left) * cut
        ops.append(f"{x:.2f} {bottom:.2f} m {x:.2f} {top:.2f} l S\n")
    middle = bottom + (top - bottom) * rng.uniform(0.35, 0.65)
    ops.append(f"{left:.2f} {middle:.2f} m {right:.2f} {middle:.2f} l S\n")
    # doors: a leaf and its swing in each room
    ops.append("0.8 w\n")
    xs = [left, *(left + (right - left) * c for c in cuts), right]
    for a, b in itertools.pairwise(xs):
        door = a + (b - a) * rng.uniform(0.3, 0.6)
        leaf = min(36.0, (b - a) * 0.25)
        ops.append(f"{door:.2f} {middle:.2f} m {door:.2f} {middle + leaf:.2f} l S\n")
        ops.append(_quarter(door, middle, leaf))
        name = rng.choice(["OFFICE", "MEETING", "STORE", "PLANT", "LOBBY", "KITCHEN", "W.C.", "RISER"])
        ops.append(_text((a + b) / 2 - 20, (middle + top) / 2, 11, f"{name} {rng.randint(1, 40):02d}", bold=True))
        ops.append(_text((a + b) / 2 - 20, (bottom + middle) / 2, 9, f"{rng.randint(12, 90)} m2"))
    # a dimension line along the bottom
    ops.append("0.5 w\n")
    y = bottom - 40
    ops.append(f"{left:.2f} {y:.2f} m {right:.2f} {y:.2f} l S\n")
    for x in (left, right):
        ops.append(f"{x - 4:.2f} {y - 4:.2f} m {x + 4:.2f} {y + 4:.2f} l S\n")
    ops.append(_text((left + right) / 2 - 20, y + 6, 9, f"{rng.randint(30, 90) * 1000} mm"))
    return ops


def _detail(width: float, height: float, rng: random.Random, strokes: int) -> list[str]:
    """Furniture, hatching and dimension ticks: `strokes` short lines of thin line work, as a busy CAD sheet has."""
    margin, block = width * 0.06, width * 0.25
    ops = ["0.3 0.3 0.3 RG 0.25 w\n"]
    for _ in range(strokes):
        x = rng.uniform(margin, width - block - margin)
        y = rng.uniform(margin, height - margin)
        dx, dy = rng.uniform(-6, 6), rng.uniform(-6, 6)
        ops.append(f"{x:.1f} {y:.1f} m {x + dx:.1f} {y + dy:.1f} l S\n")
    return [*ops, "0 0 0 RG\n"]


def _circle(x: float, y: float, r: float) -> str:
    k = 0.5523 * r
    return (
        f"{x + r:.2f} {y:.2f} m {x + r:.2f} {y + k:.2f} {x + k:.2f} {y + r:.2f} {x:.2f} {y + r:.2f} c "
        f"{x - k:.2f} {y + r:.2f} {x - r:.2f} {y + k:.2f} {x - r:.2f} {y:.2f} c "
        f"{x - r:.2f} {y - k:.2f} {x - k:.2f} {y - r:.2f} {x:.2f} {y - r:.2f} c "
        f"{x + k:.2f} {y - r:.2f} {x + r:.2f} {y - k:.2f} {x + r:.2f} {y:.2f} c S\n"
    )


def _quarter(x: float, y: float, r: float) -> str:
    k = 0.5523 * r
    return f"{x:.2f} {y + r:.2f} m {x + k:.2f} {y + r:.2f} {x + r:.2f} {y + k:.2f} {x + r:.2f} {y:.2f} c S\n"


def _title_block(width: float, height: float, fields: dict[str, str]) -> list[str]:
    margin = width * 0.02
    block = width * 0.25 - margin
    x0, x1 = width - margin - block, width - margin
    y0, y1 = margin, height - margin
    ops = [f"0 0 0 RG 1.5 w {x0:.2f} {y0:.2f} {block:.2f} {y1 - y0:.2f} re S\n"]
    ops.append(f"0.9 0.93 0.97 rg {x0:.2f} {y1 - 90:.2f} {block:.2f} 90 re f 0 0 0 rg\n")
    ops.append(_text(x0 + 14, y1 - 40, 22, fields.get("company", ""), bold=True))
    ops.append(_text(x0 + 14, y1 - 70, 13, fields.get("project", "")))
    rows = [("DRAWING", fields["number"]), ("TITLE", fields["title"]), ("REVISION", fields.get("revision", "1"))]
    rows += [("SCALE", "1:100 @ " + fields.get("size", "A1")), ("STATUS", fields.get("status", "FOR CONSTRUCTION"))]
    y = y0 + 54 * len(rows)
    for label, value in rows:
        ops.append(f"0.5 w {x0:.2f} {y:.2f} m {x1:.2f} {y:.2f} l S\n")
        ops.append(_text(x0 + 14, y - 14, 8, label))
        ops.append(_text(x0 + 14, y - 42, 14 if label != "DRAWING" else 24, value, bold=label == "DRAWING"))
        y -= 54
    return ops


def drawing_pdf(
    number: str,
    title: str,
    *,
    project: str = "Harbor Tower",
    company: str = "Apex Builders",
    revision: str = "1",
    size: str = "A1",
    rooms: int = 6,
    pages: int = 1,
    detail: int = 0,
) -> bytes:
    """A sheet drawn as vector line work, with a title block naming it; `rooms` sets how busy the plan is,
    `detail` adds that many strokes of furniture and hatching (a large CAD export holds hundreds of thousands)."""
    width, height = SIZES[size]
    rng = random.Random(f"{number}/{revision}")  # noqa: S311 - a drawing's layout, not a secret
    contents = []
    for page in range(pages):
        ops = (
            _plan(width, height, rng, rooms)
            + _detail(width, height, rng, detail)
            + _title_block(
                width,
                height,
                {
                    "number": number if pages == 1 else f"{number} ({page + 1}/{pages})",
                    "title": title,
                    "project": project,
                    "company": company,
                    "revision": revision,
                    "size": size,
                },
            )
        )
        contents.append(zlib.compress("".join(ops).encode("latin-1")))
    return _document(width, height, contents)


def _document(width: float, height: float, contents: list[bytes]) -> bytes:
    """A PDF 1.7 file: catalog, page tree, the two standard fonts, one content stream a page, and the xref."""
    objects: list[bytes] = []
    pages = len(contents)
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    for i, stream in enumerate(contents):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {6 + 2 * i} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


if __name__ == "__main__":  # `python -m local.drawing_pdf A-101 "Ground floor plan" > sheet.pdf`
    import sys

    if len(sys.argv) != 3:
        sys.exit('usage: python -m local.drawing_pdf NUMBER "TITLE" > sheet.pdf')
    sys.stdout.buffer.write(drawing_pdf(sys.argv[1], sys.argv[2]))
