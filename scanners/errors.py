"""What can be wrong with a frame source, one slug per case (the API and CLI print the slug)."""

from __future__ import annotations

from codeid.errors import InvalidInput


class ScanInputError(InvalidInput):
    """An image, video or camera that cannot be read as it is."""

    code = "scan-input"


class EmptyImageError(ScanInputError):
    code = "empty-image"


class NotAnImageError(ScanInputError):
    """Not one of the accepted formats, or the decoder refused the data."""

    code = "not-an-image"


class TruncatedImageError(ScanInputError):
    code = "truncated-image"


class ImageTooLargeError(ScanInputError):
    """Too many bytes, or a declared raster above the pixel or side limit (bombs too)."""

    code = "image-too-large"


class ImageFileMissingError(ScanInputError):
    code = "file-not-found"


class VideoUnreadableError(ScanInputError):
    code = "video-unreadable"


class CameraUnavailableError(ScanInputError):
    code = "camera-unavailable"


class NoVerifiedCodeError(ScanInputError):
    """The image holds no business code that verifies (none at all, or only refused ones)."""

    code = "no-code-found"
