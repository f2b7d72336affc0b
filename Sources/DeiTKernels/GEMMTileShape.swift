/// The GEMM register-tile shape: the one table to change when tuning for an ISA.
///
/// Measured on a 197×192×576 GEMM (x86-64, AMD EPYC with AVX2, one core, multiply-add written as
/// `*` then `+`): 6 rows ≈ 44 GFLOP/s with `-target-cpu native`, 8 rows ≈ 26, 4 rows ≈ 32; the
/// default build (SSE2 only) gets ≈ 22 for 4, 6 or 8 rows. AVX-512 machines reach their peak with
/// 8 or 12 rows (32 vector registers), so a per-ISA choice belongs here when build flags arrive.
enum GEMMTileShape {
    /// The full-size tile: MR = 6 rows of A (and C) per register tile.
    typealias FullTile = F32GEMMTile32<6>
    /// MR: rows of A (and C) per full tile.
    static var rows: Int { FullTile.rowCount }
    /// NR: columns per tile and per packed panel, two `SIMD16<Float>` per row.
    static let columns = 32
}
