"""Zip archives that people upload (XLSX workbooks, DOCX templates): refused before they are
opened when they unpack to far more than they weigh ("zip bombs")."""

import io
import zipfile

# An entry over 1 MB compressed more than this many times is a bomb, not a document (real
# sheets compress 5-30 times; a column of one repeated value a little more).
MAX_RATIO = 200


def unpacks_too_far(archive: zipfile.ZipFile, max_bytes: int) -> bool:
    """True when the entries of ``archive`` add up to more than ``max_bytes`` unpacked, or one
    of them unpacks to more than ``MAX_RATIO`` times its size. Reads the directory only."""
    unpacked = 0
    for entry in archive.infolist():
        unpacked += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if unpacked > max_bytes or (entry.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            return True
    return False


def open_zip(content: bytes) -> zipfile.ZipFile | None:
    """``content`` as a zip archive, or None when it is not one (or is damaged)."""
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
