"""The photos inside a zip, one at a time: what the Predict page reads when a visitor uploads a zip of photos.

Safe before it is fast: the zip's directory is checked first (at most MAX_PHOTOS photo entries, each no larger than
a photo may be, and no member that would inflate like a bomb), then each photo is inflated only when its turn comes,
through a stream bounded at its stated size; a member that cannot be read is handed on as an error sentence, and
the others are still read."""

from __future__ import annotations

import io

from ..data.archives import ZIP_ERRORS, open_zip, read_zip_member, safe_parts
from ..data.confined_files import MAX_PHOTO_BYTES
from ..data.image_folder import is_visible_photo
from ..errors import DataError

# A zip of more photos is refused before any is read: the page predicts, and holds rows for, this many at most.
MAX_PHOTOS = 2_000
# Entries besides photos (folders, a README, macOS's __MACOSX) a zip may hold on top.
MAX_OTHER_ENTRIES = 1_000


class PhotoZip:
    """A zip's photos, listed from its directory at once and each inflated only when read. DataError at once when
    the upload is not a zip, holds no photo or holds too many."""

    def __init__(self, data: bytes, name: str):
        self.name = name
        try:
            self._archive = open_zip(io.BytesIO(data), name, MAX_PHOTOS + MAX_OTHER_ENTRIES)
        except ZIP_ERRORS as exc:
            raise DataError(f"{name} is not a zip archive that can be read ({exc or type(exc).__name__}).") from None
        self._photos = {info.filename: info for info in self._archive.infolist()
                        if not info.is_dir() and (parts := safe_parts(info.filename)) and is_visible_photo(parts)}
        if not self._photos:
            raise DataError(f"{name} holds no photos (.jpg, .jpeg, .png, .bmp or .webp).")
        if len(self._photos) > MAX_PHOTOS:
            raise DataError(f"{name} holds {len(self._photos):,} photos; this page reads up to {MAX_PHOTOS:,} from one "
                            "zip. For more, use the command line: fer-studio predict FOLDER --table results.csv")

    @property
    def names(self) -> list[str]:
        """The photos' paths in the zip, in its order."""
        return list(self._photos)

    def read(self, member: str) -> bytes:
        """One photo's bytes, checked from the directory first and inflated through a bounded stream."""
        return read_zip_member(self._archive, self._photos[member], MAX_PHOTO_BYTES)
