"""An upload handler that stops keeping an upload past the import size limit.

Installed first in ``FILE_UPLOAD_HANDLERS``: a 200 MB file is not written to a temporary
file to be refused afterwards. The form's other fields (the CSRF token comes before the
file) are still read, so the page can say why; the view finds the refusal on the request.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# The rest of a multipart body besides the file: boundaries, the token, the other fields.
MARGIN = 64 * 1024


class SizeLimitUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0
        self.limit = settings.IMPORT_MAX_BYTES
        if content_length and content_length > self.limit + MARGIN:
            # Announced too large: nothing of the file will be kept.
            self._refuse(content_length - MARGIN)
        return None

    def _refuse(self, size: int) -> None:
        if self.request is not None:
            self.request.upload_too_large = size

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if getattr(self.request, "upload_too_large", 0) or self.received > self.limit:
            self._refuse(max(self.received, getattr(self.request, "upload_too_large", 0)))
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
