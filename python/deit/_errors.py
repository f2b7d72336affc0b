"""deit's statuses and the exceptions that carry them."""

import enum


class Status(enum.IntEnum):
    """deit_status (include/deit.h)."""

    OK = 0
    INVALID_ARGUMENT = 1  # NULL pointer, wrong count, bad handle, bad thread count
    IO = 2  # the file could not be opened or read
    FORMAT = 3  # malformed safetensors or image, or tensors that do not form a DeiT/ViT
    UNSUPPORTED = 4  # well-formed, but something this runtime does not run
    OUT_OF_MEMORY = 5  # an allocation failed or a size limit was exceeded
    ARENA_TOO_SMALL = 6  # the caller's arena is smaller than deit_session_arena_size


class DeiTError(Exception):
    """A failure reported by libdeit: `status` (a Status, or the raw int of one this module does not
    know), `status_name` ("DEIT_ERR_FORMAT", ...) and deit's one-line `message`."""

    def __init__(self, status, status_name, message):
        try:
            status = Status(status)
        except ValueError:
            pass  # a status from a newer library: keep the number
        self.status = status
        self.status_name = status_name
        self.message = message
        super().__init__(f"{status_name}: {message}")


class InputError(DeiTError, ValueError):
    """Input refused by the bindings before it reaches libdeit (wrong type, dtype, shape or range):
    status INVALID_ARGUMENT, as libdeit would say, and a ValueError for Python's conventions."""

    def __init__(self, message):
        super().__init__(Status.INVALID_ARGUMENT, "DEIT_ERR_INVALID_ARGUMENT", message)
