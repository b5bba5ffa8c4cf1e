"""The text of each page of a PDF that Chromium (Skia) printed: enough to check what a printed
page says, without a PDF library. Skia writes each font as Type0/Identity-H with a ToUnicode
map and shows text with <hex> Tj; nothing else is supported."""

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n")


def _stream(body: bytes) -> bytes:
    # Exactly /Length bytes: compressed data may itself end in a CR, which a pattern for the
    # line break before "endstream" would eat.
    length = int(re.search(rb"/Length (\d+)", body).group(1))
    start = _STREAM.search(body).end()
    raw = body[start : start + length]
    return zlib.decompress(raw) if b"/FlateDecode" in body else raw


def _unicode_map(cmap: bytes) -> dict[int, str]:
    found: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            found[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, start in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            for offset in range(int(hi, 16) - int(lo, 16) + 1):
                found[int(lo, 16) + offset] = chr(int(start, 16) + offset)
    return found


def pages_text(pdf: bytes) -> list[str]:
    objects = {int(n): body for n, body in _OBJECT.findall(pdf)}
    maps = {
        n: _unicode_map(_stream(objects[int(m.group(1))]))
        for n, body in objects.items()
        if (m := re.search(rb"/ToUnicode (\d+) 0 R", body))
    }
    kids = re.search(rb"/Type /Pages\s*/Count \d+\s*/Kids \[([^\]]*)\]", pdf).group(1)
    pages = []
    for page_id in (int(n) for n in re.findall(rb"(\d+) 0 R", kids)):
        page = objects[page_id]
        fonts = dict(re.findall(rb"/(F\d+) (\d+) 0 R", page))
        content = _stream(objects[int(re.search(rb"/Contents (\d+) 0 R", page).group(1))])
        text, font = [], {}
        for name, hexes in re.findall(rb"/(F\d+) [\d.]+ Tf|<([0-9A-Fa-f]*)> Tj", content):
            if name:
                font = maps.get(int(fonts[name]), {})
            else:
                codes = bytes.fromhex(hexes.decode())
                text.extend(
                    font.get(int.from_bytes(codes[i : i + 2]), "?") for i in range(0, len(codes), 2)
                )
        pages.append("".join(text))
    return pages
