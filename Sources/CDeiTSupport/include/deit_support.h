/* Internal C shim shared by the Swift layers: what Swift cannot do without Foundation or libc
 * modules (which Embedded Swift does not have) — thread-local error text and reading a file.
 * Not part of the public ABI (that is include/deit.h). */
#ifndef DEIT_SUPPORT_H
#define DEIT_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Stores `length` bytes of `text` (truncated to the buffer, NUL-terminated) as this thread's last
 *  error message. */
void deit_support_set_error(const char *text, size_t length);

/** This thread's last error message ("" if none). Valid until the thread's next failing call. */
const char *deit_support_last_error(void);

/* Results of deit_support_read_file. */
#define DEIT_SUPPORT_READ_OK 0
#define DEIT_SUPPORT_READ_OPEN_FAILED 1    /* fopen failed; *out_errno says why */
#define DEIT_SUPPORT_READ_FAILED 2         /* seek, tell or read failed */
#define DEIT_SUPPORT_READ_TOO_LARGE 3      /* file larger than max_bytes; *out_size = its size */
#define DEIT_SUPPORT_READ_OUT_OF_MEMORY 4

/** Reads a whole file into a new malloc'ed buffer (free with deit_support_free). Refuses files
 *  larger than `max_bytes` before allocating. */
int deit_support_read_file(const char *path, size_t max_bytes, void **out_data, size_t *out_size,
                           int *out_errno);

/** Frees a buffer from deit_support_read_file or deit_support_aligned_alloc. NULL is a no-op. */
void deit_support_free(void *data);

/** `size` bytes aligned to `alignment` (a power of two ≥ sizeof(void*)), or NULL when the system
 *  has no memory — unlike Swift's allocate, which traps. Free with deit_support_free. */
void *deit_support_aligned_alloc(size_t alignment, size_t size);

#ifdef __cplusplus
}
#endif

#endif
