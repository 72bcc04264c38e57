"""Reading import inputs safely: size limits, binary files, and the encodings of Kazakh archives.

Old Kazakh and Russian sites saved text as UTF-8 (often with a byte-order mark), as
Windows-1251 (Russian code page: no Kazakh letters), as KZ-1048 (the Kazakh Windows code
page, Windows-1251 with ә ғ қ ң ө ұ ү һ і in place of Serbian and Ukrainian letters), and
sometimes as "mojibake": UTF-8 read as Windows-1251 and saved again as UTF-8
("Р РµСЃРµР№" for "Ресей").  :func:`decode_text` reads all of these and says what it did;
anything else is refused with the position of the first bad byte.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from qalam.content.safefs import human_size, parse_size  # noqa: F401 — parse_size is part of this module's API

__all__ = ["ImportProblem", "Decoded", "read_bytes", "decode_text", "MAX_ARTICLE_BYTES", "parse_size"]

#: One article (a saved page, an HTML file) is never larger than this by default.
MAX_ARTICLE_BYTES = 5 * 1024 * 1024


class ImportProblem(Exception):
    """An input that cannot be imported: the message names the file (and line) and the fix."""

    def __init__(self, path: str | Path, message: str, *, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class Decoded:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


_MAGIC = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx/.odt document)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document (.doc/.xls)"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"SQLite format 3", "an SQLite database"),
]
_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")
_KAZAKH_KZ1048 = set("ҚқҺһҰұӘәӨөҒғҮүҢң")
_SERBIAN_CP1251 = set("ЌќЋћЎўЈјҐґЄєЇїЅѕ")


def read_bytes(path: Path, max_bytes: int, *, what: str = "file", root: Path | None = None) -> bytes:
    """The file's bytes, or :class:`ImportProblem` when it is missing, not a regular file, outside
    ``root`` (the folder being imported; default: the folder the file really is in) or too big.

    Reads go through :mod:`qalam.content.safefs`: a FIFO or a device is refused, never waited on.
    """
    from qalam.content.safefs import FileTooLarge, UnsafeFile
    from qalam.content.safefs import read_bytes as safe_read

    if root is None:
        root = Path(os.path.realpath(path)).parent
    try:
        return safe_read(path, root, max_bytes=max_bytes)
    except FileTooLarge as err:
        raise ImportProblem(
            path,
            f"the {what} is {human_size(err.size)}, larger than the limit of {human_size(max_bytes)}; "
            f"if it really is one {what}, raise the limit with --max-size",
        ) from None
    except UnsafeFile as err:
        raise ImportProblem(path, err.reason) from None
    except FileNotFoundError:
        raise ImportProblem(path, "no such file") from None
    except OSError as err:
        raise ImportProblem(path, f"cannot read: {err.strerror}") from None


def _binary_reason(data: bytes) -> str | None:
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return f"this is {name}, not text"
    head = data[:65536]
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"binary data (a zero byte at offset {nul}), not text"
    controls = len(_CONTROL.findall(head))
    if head and controls > max(8, len(head) // 100):
        return f"binary data ({controls} control bytes in the first {len(head)} bytes), not text"
    return None


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[start:offset].decode("utf-8", errors="replace")) + 1  # in characters, as an editor counts
    return line, col


def _looks_like_text(text: str) -> bool:
    letters = _LETTER.findall(text[:20000])
    if len(letters) < 3:
        return False
    cyr = sum(1 for ch in letters if _CYRILLIC.match(ch))
    return cyr / len(letters) >= 0.5


def _fix_mojibake(text: str) -> str | None:
    """UTF-8 that was once read as Windows-1251 and saved again: put it back, or None."""
    if text.isascii() or not re.search(r"[РС][\u0400-\u045f\u00a0-\u00bf\u2018-\u2122]", text):
        return None
    try:
        fixed = text.encode("cp1251").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return fixed if len(fixed) < len(text) else None


def decode_text(data: bytes, path: str | Path, encoding: str = "auto") -> Decoded:
    """Bytes of a text file to str (see the module doc); :class:`ImportProblem` when it cannot be read."""
    if encoding and encoding.lower() != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportProblem(path, f"unknown encoding {encoding!r} (use e.g. utf-8, cp1251, kz1048)") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            line, col = _line_col(data, err.start)
            raise ImportProblem(
                path, f"not valid {encoding}: byte 0x{data[err.start]:02x} at column {col}", line=line
            ) from None
        return Decoded(text.lstrip("\ufeff"), encoding)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), codec)
            except UnicodeDecodeError as err:
                line, col = _line_col(data, err.start)
                raise ImportProblem(
                    path, f"starts with a {codec} byte-order mark but is not valid {codec} "
                    f"(bad byte at column {col}); re-save the file as UTF-8", line=line,
                ) from None
    reason = _binary_reason(data)
    if reason:
        raise ImportProblem(path, reason + "; import saved article text (.txt) or HTML pages instead")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        utf8_error = err
    else:
        fixed = _fix_mojibake(text)
        if fixed is not None:
            return Decoded(fixed, "utf-8", [
                "the text was double-encoded (UTF-8 read as Windows-1251 and saved again); repaired — "
                "check a few paragraphs against the original"
            ])
        return Decoded(text, "utf-8")
    # Not UTF-8: the Windows Cyrillic code pages, Kazakh (KZ-1048) or Russian (1251).
    cp1251 = data.decode("cp1251", errors="replace")
    if "\ufffd" not in cp1251 and _looks_like_text(cp1251):
        kz = data.decode("kz1048", errors="replace")
        kazakh = sum(1 for ch in kz if ch in _KAZAKH_KZ1048)
        serbian = sum(1 for ch in cp1251 if ch in _SERBIAN_CP1251)
        if kazakh and serbian and "\ufffd" not in kz:
            return Decoded(kz, "kz1048", ["read as KZ-1048 (the Kazakh Windows code page), not UTF-8"])
        return Decoded(cp1251, "cp1251", ["read as Windows-1251, not UTF-8"])
    line, col = _line_col(data, utf8_error.start)
    raise ImportProblem(
        path,
        f"not UTF-8 (byte 0x{data[utf8_error.start]:02x} at column {col}) and not Windows-1251 Cyrillic text "
        f"either; convert it to UTF-8 (e.g. `iconv -f CP1251 -t UTF-8`) or name its encoding with --encoding",
        line=line,
    )
