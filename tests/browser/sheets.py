"""Small, valid PDF sheets for the browser tests: a border, a title block, a grid of rooms and text, drawn as vectors.

Standard library only; every byte is written here (objects, cross-reference table, trailer), so a sheet's size is
a few kilobytes whatever its page size, and pdf.js draws real lines from it.
"""

from __future__ import annotations

A3 = (1190.55, 841.89)  # landscape, in points
A0 = (3370.39, 2383.94)


def _text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def sheet_pdf(number: str, title: str, revision: str = "1", size: tuple[float, float] = A3) -> bytes:
    """One landscape sheet: border, a floor plan of rooms, and a title block with number, title and revision."""
    width, height = size
    k = width / A3[0]  # everything scales with the sheet
    ops = [f"{1.2 * k:.2f} w", "0 0 0 RG"]
    m = 20 * k
    ops.append(f"{m:.2f} {m:.2f} {width - 2 * m:.2f} {height - 2 * m:.2f} re S")
    # rooms: a grid of rectangles, with a corridor
    left, bottom = 60 * k, 200 * k
    room_w, room_h = 150 * k, 120 * k
    for row in range(4):
        for col in range(5):
            x, y = left + col * room_w, bottom + row * room_h + (30 * k if row >= 2 else 0)
            ops.append(f"{x:.2f} {y:.2f} {room_w:.2f} {room_h:.2f} re S")
            # a door swing in each room
            ops.append(f"{x + 20 * k:.2f} {y:.2f} m {x + 20 * k:.2f} {y + 25 * k:.2f} l S")
    # dimension line
    ops.append(f"{left:.2f} {bottom - 40 * k:.2f} m {left + 5 * room_w:.2f} {bottom - 40 * k:.2f} l S")
    # title block, bottom right
    tb_w, tb_h = 330 * k, 140 * k
    tx, ty = width - m - tb_w, m
    ops.append(f"{3 * k:.2f} w {tx:.2f} {ty:.2f} {tb_w:.2f} {tb_h:.2f} re S {1 * k:.2f} w")
    ops.append(f"{tx:.2f} {ty + 50 * k:.2f} m {tx + tb_w:.2f} {ty + 50 * k:.2f} l S")
    ops.append(f"{tx + 200 * k:.2f} {ty:.2f} m {tx + 200 * k:.2f} {ty + 50 * k:.2f} l S")
    # a filled north arrow, so that a thumbnail has some ink at any size
    ax, ay = width - 120 * k, height - 140 * k
    ops.append(f"{ax:.2f} {ay:.2f} m {ax + 20 * k:.2f} {ay - 60 * k:.2f} l {ax - 20 * k:.2f} {ay - 60 * k:.2f} l f")
    texts = [
        (tx + 12 * k, ty + 100 * k, 26 * k, number),
        (tx + 12 * k, ty + 68 * k, 14 * k, title),
        (tx + 12 * k, ty + 20 * k, 12 * k, "Apex Builders - Harbor Tower"),
        (tx + 212 * k, ty + 20 * k, 12 * k, f"Rev {revision}"),
        (left, bottom + 4 * room_h + 70 * k, 18 * k, title.upper()),
    ]
    for row in range(4):
        for col in range(5):
            x = left + col * room_w + 40 * k
            y = bottom + row * room_h + (30 * k if row >= 2 else 0) + room_h / 2
            texts.append((x, y, 10 * k, f"ROOM {row + 1}{col + 1:02d}"))
    for x, y, points, text in texts:
        ops.append(f"BT /F1 {points:.2f} Tf {x:.2f} {y:.2f} Td ({_text(text)}) Tj ET")
    content = "\n".join(ops).encode("latin-1", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
            "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
