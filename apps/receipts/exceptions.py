"""Answers of the receipt download that are not a file."""
from rest_framework import status

from apps.core.exceptions import ApiError


class ReceiptPending(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "receipt_pending"
    message = "The receipt is being produced; try again shortly."
    retry_after = 1  # a receipt is usually ready about half a second after its transaction


class ReceiptLost(ReceiptPending):
    """A receipt that must be produced again: answered exactly like a pending one.

    Its row says ``ready`` but a file is gone from storage, or the row itself
    is missing.
    """
