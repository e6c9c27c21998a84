"""Real, small JPEG, PNG and PDF files so downloaded attachments open in any viewer."""

import io
import struct
import zlib
from functools import cache

from PIL import Image, ImageDraw

PNG_CONTENT_TYPE = "image/png"
JPEG_CONTENT_TYPE = "image/jpeg"
PDF_CONTENT_TYPE = "application/pdf"
# What a buyer's photo looks like in the thread: big enough to see, small enough to serve thousands.
PHOTO_SIZE = (320, 240)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png_bytes(red: int = 203, green: int = 17, blue: int = 171, side: int = 16) -> bytes:
    """A solid-colour square PNG (RGB, 8 bits per channel)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes((red, green, blue)) * side
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(row * side))
        + _png_chunk(b"IEND", b"")
    )


@cache
def photo_bytes(red: int, green: int, blue: int, *, content_type: str = JPEG_CONTENT_TYPE) -> bytes:
    """A product "photo": a box on a shaded background in the given colour, as JPEG or PNG."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, (238, 238, 242))
    draw = ImageDraw.Draw(image)
    for row in range(height // 2, height):
        shade = 238 - (row - height // 2) // 4
        draw.line([(0, row), (width, row)], fill=(shade, shade, shade + 4))
    draw.ellipse([70, 190, 250, 215], fill=(200, 200, 206))
    draw.rectangle([90, 60, 230, 200], fill=(red, green, blue), outline=(40, 40, 40), width=3)
    draw.polygon([(90, 60), (130, 30), (270, 30), (230, 60)], fill=_lighter(red, green, blue))
    draw.polygon([(230, 60), (270, 30), (270, 170), (230, 200)], fill=_darker(red, green, blue))
    output = io.BytesIO()
    if content_type == JPEG_CONTENT_TYPE:
        image.save(output, format="JPEG", quality=80)
    elif content_type == PNG_CONTENT_TYPE:
        image.save(output, format="PNG", optimize=True)
    else:
        raise ValueError(f"no photo as {content_type}")
    return output.getvalue()


def _lighter(red: int, green: int, blue: int) -> tuple[int, int, int]:
    return (min(255, red + 50), min(255, green + 50), min(255, blue + 50))


def _darker(red: int, green: int, blue: int) -> tuple[int, int, int]:
    return (red * 2 // 3, green * 2 // 3, blue * 2 // 3)


@cache
def pdf_bytes(title: str = "Sandbox receipt") -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 40 100 Td ({title}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(output)
    output += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        output += f"{offset:010d} 00000 n \n".encode()
    output += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(output)


def sniff_content_type(content: bytes) -> str | None:
    """The real type of an uploaded file by its magic bytes (marketplaces do not trust file names)."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG_CONTENT_TYPE
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"%PDF-"):
        return PDF_CONTENT_TYPE
    return None
