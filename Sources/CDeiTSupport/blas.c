/* The optional OpenBLAS backend of the Linear layers (Package.swift: DEIT_BLAS=openblas defines
 * DEIT_OPENBLAS and links libopenblas). Without it every function is a stub and nothing is linked,
 * so the default build does not depend on OpenBLAS. */
#include "deit_support.h"

#ifdef DEIT_OPENBLAS
#include <cblas.h>   /* Debian: /usr/include/x86_64-linux-gnu/cblas.h (libopenblas-dev) */

void deit_support_sgemm_nt(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                           int64_t ldb, float beta, float *c, int64_t ldc) {
    /* Setting the count takes OpenBLAS's lock: only when it differs. */
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f, a,
                (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

const char *deit_support_blas_core_name(void) {
    const char *name = openblas_get_corename();
    return name ? name : "";
}

#else

void deit_support_sgemm_nt(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                           int64_t ldb, float beta, float *c, int64_t ldc) {
    (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc;
}

const char *deit_support_blas_core_name(void) { return ""; }

#endif
