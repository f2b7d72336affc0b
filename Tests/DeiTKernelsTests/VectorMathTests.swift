import DeiTKernels
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every 1e-3 over a range, computed from an integer index so the grid is exact and reproducible.
private func denseGrid(from lower: Double, to upper: Double, step: Double = 1e-3) -> [Float] {
    let count = Int(((upper - lower) / step).rounded())
    return (0...count).map { Float(lower + Double($0) * step) }
}

/// Applies the SIMD16 version of a function 16 lanes at a time (the tail padded with zeros).
private func vectorized(_ x: [Float], _ function: (SIMD16<Float>) -> SIMD16<Float>) -> [Float] {
    var out = [Float]()
    out.reserveCapacity(x.count + 16)
    var i = 0
    while i < x.count {
        var lanes = SIMD16<Float>()
        for lane in 0..<16 where i + lane < x.count { lanes[lane] = x[i + lane] }
        let result = function(lanes)
        for lane in 0..<16 where i + lane < x.count { out.append(result[lane]) }
        i += 16
    }
    return out
}

@Suite("VectorMath")
struct VectorMathTests {
    @Test("exp: relative error against glibc expf on every 1e-3 in [-88, 88]")
    func expAccuracy() {
        let grid = denseGrid(from: -88, to: 88)
        // Results below Float.leastNormalMagnitude (x < -87.34) have fewer significant bits, so they
        // are measured separately.
        var worstNormal = 0.0
        var worstNormalAt: Float = 0
        var worstSubnormal = 0.0
        for x in grid {
            let expected = expf(x)
            let error = abs(Double(VectorMath.exp(x)) - Double(expected)) / Double(expected)
            if expected >= .leastNormalMagnitude {
                if error > worstNormal { (worstNormal, worstNormalAt) = (error, x) }
            } else {
                worstSubnormal = max(worstSubnormal, error)
            }
        }
        let ulps = worstNormal / Double(Float.ulpOfOne)
        print(
            "exp: max relative error vs expf \(worstNormal) (\(ulps) ulp of 1) at x = \(worstNormalAt);"
                + " subnormal results \(worstSubnormal)"
        )
        #expect(worstNormal < 2.5e-7)
        #expect(worstSubnormal < 5e-7)
        #expect(vectorized(grid, VectorMath.exp) == grid.map(VectorMath.exp), "SIMD16 and scalar exp differ")
    }

    @Test("exp: special values and saturation")
    func expSpecialValues() {
        #expect(VectorMath.exp(0) == 1)
        #expect(VectorMath.exp(-.infinity) == 0)
        #expect(VectorMath.exp(-104) == 0)
        #expect(VectorMath.exp(-1e30) == 0)
        #expect(VectorMath.exp(.infinity) == .infinity)
        #expect(VectorMath.exp(89) == .infinity)
        #expect(VectorMath.exp(1e30) == .infinity)
        #expect(VectorMath.exp(88.7) == expf(88.7) || abs(VectorMath.exp(88.7) / expf(88.7) - 1) < 3e-7)
        #expect(VectorMath.exp(.nan).isNaN)
        // Subnormal results keep going down smoothly instead of flushing early.
        let subnormal = VectorMath.exp(-100)
        #expect(subnormal > 0 && abs(Double(subnormal) - Foundation.exp(-100.0)) <= Double(Float.leastNonzeroMagnitude))
        let lanes = VectorMath.exp(
            SIMD16<Float>(0, -.infinity, .infinity, .nan, 89, -104, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0))
        #expect(
            lanes[0] == 1 && lanes[1] == 0 && lanes[2] == .infinity && lanes[3].isNaN && lanes[4] == .infinity
                && lanes[5] == 0)
    }

    @Test("erf: absolute error against glibc erff on every 1e-3 in [-10, 10]")
    func erfAccuracy() {
        let grid = denseGrid(from: -10, to: 10)
        var worst = 0.0
        var worstAt: Float = 0
        var worstUlp = 0.0
        for x in grid {
            let expected = erff(x)
            let error = abs(Double(VectorMath.erf(x)) - Double(expected))
            if error > worst { (worst, worstAt) = (error, x) }
            if expected != 0 { worstUlp = max(worstUlp, error / Double(expected.magnitude.ulp)) }
        }
        print("erf: max absolute error vs erff \(worst) at x = \(worstAt); max \(worstUlp) ulp")
        #expect(worst <= 2e-7)
        #expect(worstUlp <= 4)
        #expect(vectorized(grid, VectorMath.erf) == grid.map(VectorMath.erf), "SIMD16 and scalar erf differ")
    }

    @Test("erf: special values and tiny arguments")
    func erfSpecialValues() {
        #expect(VectorMath.erf(0) == 0)
        #expect(VectorMath.erf(.infinity) == 1)
        #expect(VectorMath.erf(-.infinity) == -1)
        #expect(VectorMath.erf(100) == 1 && VectorMath.erf(-100) == -1)
        #expect(VectorMath.erf(.nan).isNaN)
        for x: Float in [1e-30, 1e-10, 1e-5, -3e-4] {
            #expect(abs(VectorMath.erf(x) - erff(x)) <= erff(x).magnitude.ulp)
        }
        let lanes = VectorMath.erf(
            SIMD16<Float>(0, .infinity, -.infinity, .nan, 0.5, -0.5, 2, -2, 0, 0, 0, 0, 0, 0, 0, 0))
        #expect(
            lanes[0] == 0 && lanes[1] == 1 && lanes[2] == -1 && lanes[3].isNaN && lanes[4] == -lanes[5]
                && lanes[6] == -lanes[7])
    }

    @Test("gelu: against the double-precision exact-erf GELU on every 1e-3 in [-10, 10]")
    func geluAccuracy() {
        let grid = denseGrid(from: -10, to: 10)
        var worst = 0.0
        for x in grid {
            let error = abs(Double(VectorMath.gelu(x)) - Reference.gelu(Double(x))) / max(1, Double(x.magnitude))
            worst = max(worst, error)
        }
        print("gelu: max error / max(1, |x|) vs double reference \(worst)")
        #expect(worst <= 1e-6)
        #expect(vectorized(grid, VectorMath.gelu) == grid.map(VectorMath.gelu), "SIMD16 and scalar GELU differ")
    }

    @Test("gelu: special values")
    func geluSpecialValues() {
        #expect(VectorMath.gelu(0) == 0)
        #expect(VectorMath.gelu(.infinity) == .infinity)
        #expect(VectorMath.gelu(.nan).isNaN)
        #expect(VectorMath.gelu(100) == 100)
        #expect(abs(VectorMath.gelu(-100)) <= 1e-5)
        let lanes = VectorMath.gelu(SIMD16<Float>(0, .infinity, .nan, 100, -100, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        #expect(lanes[0] == 0 && lanes[1] == .infinity && lanes[2].isNaN && lanes[3] == 100)
        #expect(lanes[4] == VectorMath.gelu(-100) && lanes[5] == VectorMath.gelu(1) && lanes[6] == VectorMath.gelu(-1))
    }
}
