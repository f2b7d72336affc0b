/// Patch extraction (im2col) for the ViT patch embedding: a P×P convolution with stride P becomes one
/// GEMM of the patches against the conv weight flattened to [D, C·P·P].
public enum PatchKernel {
    /// image CHW [C, S, S] → patches [(S/P)², C·P·P], patches in row-major grid order, each patch's
    /// values ordered (c, kh, kw) like a conv weight [D, C, P, P].
    ///
    /// Requires S to be a multiple of P (partial patches at the border are not produced).
    public static func extractPatches(
        image: UnsafePointer<Float>,  // [channels, imageSize, imageSize]
        channels: Int, imageSize: Int, patchSize: Int,
        out: UnsafeMutablePointer<Float>  // [(imageSize / patchSize)², channels · patchSize²]
    ) {
        guard channels > 0, patchSize > 0, imageSize >= patchSize else { return }
        let grid = imageSize / patchSize
        let channelPlane = imageSize * imageSize
        var destination = out
        for gridRow in 0..<grid {
            for gridColumn in 0..<grid {
                let patchOrigin = image + gridRow * patchSize * imageSize + gridColumn * patchSize
                for channel in 0..<channels {
                    for kernelRow in 0..<patchSize {
                        let source = patchOrigin + channel * channelPlane + kernelRow * imageSize
                        destination.update(from: source, count: patchSize)
                        destination += patchSize
                    }
                }
            }
        }
    }
}
