/* Internal C shim shared by the Swift layers: what they cannot do in Swift without Foundation or
 * libc modules (which Embedded Swift does not have). Not part of the public ABI (that is
 * include/deit.h, which deit_api.h brings into Swift).
 *   support.c  thread-local error text; reading a file whole or at offsets; allocation that
 *              returns NULL instead of trapping
 *   here       the atomic busy flag of a session handle (inline)
 *   pool.c     the monotonic clock and the worker pool (pthreads)
 *   blas.c     the optional OpenBLAS sgemm (stubs unless built with DEIT_BLAS=openblas)
 *   cpu.c      what the CPU and OS support (CPUID + XGETBV, getauxval), for the kernel-set choice */
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

/** An open file read at explicit offsets (for loading a model one tensor at a time). */
typedef struct deit_support_file deit_support_file;

/** Opens `path` read-only and stores its size. NULL on failure, with *out_errno set. */
deit_support_file *deit_support_file_open(const char *path, uint64_t *out_size, int *out_errno);

/** Reads exactly `count` bytes at `offset` into `buffer`. Returns 0, or an errno value (EIO when the
 *  file ends early, e.g. it was truncated while being read). */
int deit_support_file_read_at(deit_support_file *file, uint64_t offset, void *buffer, size_t count);

/** Closes a file from deit_support_file_open. NULL is a no-op. */
void deit_support_file_close(deit_support_file *file);

/** Frees a buffer from deit_support_read_file or deit_support_aligned_alloc. NULL is a no-op. */
void deit_support_free(void *data);

/** `size` bytes aligned to `alignment` (a power of two ≥ sizeof(void*)), or NULL when the system
 *  has no memory — unlike Swift's allocate, which traps. Free with deit_support_free. */
void *deit_support_aligned_alloc(size_t alignment, size_t size);

/* MARK: Exclusive use */

/** Sets `*flag` to 1 and returns 1 if it was 0 (the caller now holds it), else returns 0. Atomic,
 *  with acquire ordering: detects a session used from two threads at once. */
static inline int deit_support_try_acquire(uint32_t *flag) {
    return __atomic_exchange_n(flag, 1u, __ATOMIC_ACQUIRE) == 0u;
}

/** Clears a flag taken with deit_support_try_acquire (release ordering). */
static inline void deit_support_release(uint32_t *flag) { __atomic_store_n(flag, 0u, __ATOMIC_RELEASE); }

/* MARK: Time */

/** CLOCK_MONOTONIC in nanoseconds (for the per-op profile). */
uint64_t deit_support_monotonic_ns(void);

/* MARK: Worker pool (pool.c) */

/** One task of a parallel step: `task` in [0, task_count), `worker` in [0, threads) names the thread
 *  running it (0 is the caller), so each worker can use its own scratch. */
typedef void (*deit_support_task_function)(void *context, int64_t task, int32_t worker);

/** A fixed set of `threads − 1` worker threads plus the calling thread. Opaque. */
typedef struct deit_support_pool deit_support_pool;

/** Starts `threads − 1` workers (threads ≥ 1; 1 starts none). Allocates here and only here; NULL
 *  when memory or threads run out. */
deit_support_pool *deit_support_pool_create(int32_t threads);

/** Stops and joins the workers and frees the pool. NULL is a no-op. */
void deit_support_pool_destroy(deit_support_pool *pool);

/** Runs `function(context, task, worker)` for every task in [0, task_count) on the workers and the
 *  calling thread, and returns when all have finished (their writes are then visible to the caller).
 *  Tasks are handed out in order from a shared counter. No allocation. Idle workers spin briefly,
 *  then yield the core (sched_yield), then sleep until the next step. Not reentrant: one caller at a
 *  time per pool (a session is used from one thread at a time). */
void deit_support_pool_run(deit_support_pool *pool, int64_t task_count, deit_support_task_function function,
                           void *context);

/* MARK: Optional OpenBLAS backend (blas.c; built in with DEIT_BLAS=openblas, else stubs) */

/** C[m×n] (ldc) = A[m×k] (lda) · B[n×k]ᵀ (ldb) + beta·C, all row-major, with OpenBLAS's cblas_sgemm on
 *  the calling thread (deit's pool shares the blocks out; OpenBLAS's process-wide thread count is set
 *  to 1 when it differs). Sizes must fit OpenBLAS's 32-bit integers (checked at model load). A no-op
 *  without OpenBLAS. */
void deit_support_sgemm_nt(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                           int64_t ldb, float beta, float *c, int64_t ldc);

/** OpenBLAS's kernel family for this CPU (openblas_get_corename(), e.g. "Haswell"; it follows
 *  OPENBLAS_CORETYPE), or "" without OpenBLAS. */
const char *deit_support_blas_core_name(void);

/* MARK: CPU features (cpu.c), read once per process */

/** x86-64-v3 as the AVX2 kernels are compiled for it (-march=x86-64-v3): AVX, AVX2, FMA, F16C, BMI1,
 *  BMI2, LZCNT, MOVBE, and the OS saves the ymm registers (XGETBV). */
#define DEIT_CPU_X86_64_V3 1u
/** x86-64-v4 (-march=x86-64-v4): v3 plus AVX-512 F, BW, CD, DQ, VL, and the OS saves the zmm and
 *  opmask registers. */
#define DEIT_CPU_X86_64_V4 2u
/** aarch64 with the dot-product instructions (SDOT/UDOT: ARMv8.2 `asimddp`, HWCAP_ASIMDDP). */
#define DEIT_CPU_ARM_DOTPROD 4u
/** x86-64-v3 plus AVX-VNNI (`{vex} vpdpbusd` on ymm: Alder Lake, Sapphire Rapids, Zen 5). */
#define DEIT_CPU_X86_64_AVX_VNNI 8u
/** x86-64-v4 plus AVX512-VNNI (`vpdpbusd` on zmm: Cascade Lake, Ice Lake, Sapphire Rapids, Zen 4). */
#define DEIT_CPU_X86_64_AVX512_VNNI 16u

/** The DEIT_CPU_* bits this CPU and OS support; 0 where nothing beyond the baseline is known. */
uint32_t deit_support_cpu_features(void);

/** getenv(name): the environment variable's value, or NULL. */
const char *deit_support_environment(const char *name);

#ifdef __cplusplus
}
#endif

#endif
