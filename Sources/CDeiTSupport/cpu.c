/* What this CPU and its OS support, for choosing a kernel set at run time (DeiTRuntime's
 * KernelChoice). An instruction set counts only when the CPU has it (CPUID) and the OS saves its
 * registers on a context switch (XGETBV's XCR0): a CPU with AVX under an OS that does not enable it
 * faults on the first ymm instruction all the same. */
#include "deit_support.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <cpuid.h>

/* XCR0 (XGETBV with ECX = 0), read only once CPUID says OSXSAVE is set. */
static uint64_t extended_control_register(void) {
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

static uint32_t detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, movbe = (c >> 22) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1,
              f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = extended_control_register();
    const int ymm_saved = (xcr0 & 0x6) == 0x6;             /* SSE and AVX state */
    const int zmm_saved = (xcr0 & 0xe6) == 0xe6;           /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const int bmi1 = (b >> 3) & 1, avx2 = (b >> 5) & 1, bmi2 = (b >> 8) & 1;
    const int avx512 = ((b >> 16) & 1) /* F */ && ((b >> 17) & 1) /* DQ */ && ((b >> 28) & 1) /* CD */ &&
                       ((b >> 30) & 1) /* BW */ && ((b >> 31) & 1) /* VL */;
    const int avx512_vnni = (c >> 11) & 1;
    const unsigned max_leaf7_subleaf = a;
    int avx_vnni = 0;
    if (max_leaf7_subleaf >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) avx_vnni = (a >> 4) & 1;
    int lzcnt = 0;
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d)) lzcnt = (c >> 5) & 1;
    uint32_t features = 0;
    if (ymm_saved && fma && movbe && f16c && bmi1 && bmi2 && avx2 && lzcnt) {
        features |= DEIT_CPU_X86_64_V3;
        if (avx_vnni) features |= DEIT_CPU_X86_64_AVX_VNNI;
        if (zmm_saved && avx512) {
            features |= DEIT_CPU_X86_64_V4;
            if (avx512_vnni) features |= DEIT_CPU_X86_64_AVX512_VNNI;
        }
    }
    return features;
}

#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif

static uint32_t detect(void) {
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) ? DEIT_CPU_ARM_DOTPROD : 0;
}

#else
static uint32_t detect(void) { return 0; }
#endif

uint32_t deit_support_cpu_features(void) {
    /* Bit 31 marks "detected"; racing first calls store the same value. */
    static uint32_t cached;
    uint32_t value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value == 0) {
        value = detect() | (1u << 31);
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value & ~(1u << 31);
}

const char *deit_support_environment(const char *name) { return name ? getenv(name) : NULL; }
