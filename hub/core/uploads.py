"""What an uploaded file really is, from its first bytes, never its name or the browser's word.

The hub takes a short list of types that evidence on an ASB case comes in: PDF (letters, diary
sheets, witness statements), JPEG and PNG (photos, scans), and MP3, M4A, WAV and OGG (noise
recordings; a phone's voice memo is M4A). Each is recognised by its signature, the name's
extension must agree with it, and an image's declared size is checked before any program
decodes it (a "decompression bomb"). Archives and office documents are not taken at all: a
zip (and so a .docx) can hide a bomb or a macro, and a partner can print it to PDF.

A hand check rather than a library: python-magic needs the system's libmagic and says what
libmagic guesses; the pure-Python packages cover hundreds of types we refuse anyway. Eight
signatures are easier to read and test than a dependency (see pyproject.toml).
"""

import struct
from dataclasses import dataclass

# An image larger than this many pixels is refused before any viewer decodes it: a phone
# photo is 12-50 million; 100 million decoded is some 400 MB of memory.
MAX_PIXELS = 100_000_000


class UploadRefused(ValueError):
    """A file the hub will not keep; the message says why in plain words."""


@dataclass(frozen=True)
class FileType:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


TYPES = {
    t.key: t
    for t in (
        FileType("pdf", "PDF", "application/pdf", ("pdf",)),
        FileType("jpeg", "JPEG image", "image/jpeg", ("jpg", "jpeg")),
        FileType("png", "PNG image", "image/png", ("png",)),
        FileType("mp3", "MP3 recording", "audio/mpeg", ("mp3",)),
        FileType("m4a", "M4A recording", "audio/mp4", ("m4a",)),
        FileType("wav", "WAV recording", "audio/wav", ("wav",)),
        FileType("ogg", "OGG recording", "audio/ogg", ("ogg", "oga", "opus")),
    )
}
ALLOWED_TEXT = "PDF, JPEG, PNG, MP3, M4A, WAV or OGG"
ACCEPT = ",".join(f".{e}" for t in TYPES.values() for e in t.extensions)

# Things people send by mistake or on purpose, named so the refusal can say what it was.
_KNOWN_OTHERS = (
    (b"PK\x03\x04", "a ZIP archive (or a Word or Excel file)"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\xd0\xcf\x11\xe0", "an old Word or Excel file"),
    (b"GIF8", "a GIF image"),
)


def sniff(data: bytes) -> str | None:
    """The key of the allowed type the content is, or None."""
    head = data[:64]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"ID3") or (len(head) > 2 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        # An ID3 tag, or an MPEG audio frame: sync bits, then layer III (not "reserved").
        return "mp3"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"M4B ", b"mp42", b"isom", b"3gp4"):
        return "m4a"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    return None


def _what_else(data: bytes) -> str:
    for signature, label in _KNOWN_OTHERS:
        if data.startswith(signature):
            return label
    stripped = data[:512].lstrip().lower()
    if stripped.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script")):
        return "a web page or script"
    return "not a type the hub keeps"


def _png_pixels(data: bytes) -> int:
    # IHDR is always the first chunk: width and height, 4 bytes each, at bytes 16-24.
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise UploadRefused("The PNG image is damaged: it has no header")
    width, height = struct.unpack(">II", data[16:24])
    return width * height


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_pixels(data: bytes) -> int:
    """Walk the JPEG's segments to its frame header (SOFn), which gives height and width."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # padding
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width * height
        if length < 2:
            break
        i += 2 + length
    raise UploadRefused("The JPEG image is damaged: it has no frame header")


def size_text(n: int) -> str:
    """'20 MB', '512 KB': a limit in the words a person uses."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    return f"{max(1, n // 1024)} KB"


def check(filename: str, data: bytes, *, max_bytes: int) -> FileType:
    """The type of an upload the hub may keep, or UploadRefused saying why not."""
    if any(c in (filename or "") for c in "/\\") or (filename or "").startswith("."):
        # Browsers send a file's own name; a folder in it is a forged request or a mistake,
        # and a name is never used as a path here anyway (hub.core.storage).
        raise UploadRefused(
            "The file's name includes a folder path: upload the file by its own name"
        )
    name = display_name(filename)
    if name != (filename or "").strip():
        raise UploadRefused("The file's name has characters that cannot be shown: rename it")
    if not data:
        raise UploadRefused(f"{name} is empty")
    if len(data) > max_bytes:
        raise UploadRefused(f"{name} is larger than {size_text(max_bytes)}: send a smaller file")
    key = sniff(data)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if key is None:
        raise UploadRefused(f"{name} is {_what_else(data)}: upload a {ALLOWED_TEXT} file instead")
    kind = TYPES[key]
    if extension not in kind.extensions:
        raise UploadRefused(
            f"{name} is a {kind.label} but its name says otherwise: "
            f"name it .{kind.extensions[0]} and upload it again"
        )
    if key == "png" and _png_pixels(data) > MAX_PIXELS:
        raise UploadRefused(f"{name} is too large an image to open safely: resize it first")
    if key == "jpeg" and _jpeg_pixels(data) > MAX_PIXELS:
        raise UploadRefused(f"{name} is too large an image to open safely: resize it first")
    if key == "pdf" and b"%%EOF" not in data[-2048:]:
        raise UploadRefused(f"{name} is an incomplete PDF: save it again and upload it")
    return kind


def display_name(filename: str) -> str:
    """The file's own name, without any folder a browser or a forged request put before it,
    without control characters, and short enough to show."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".")
    return (name or "file")[-120:]
