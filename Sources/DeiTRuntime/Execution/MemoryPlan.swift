/// One activation buffer the forward pass needs: its size and the steps (inclusive) it is live in.
package struct BufferRequest: Equatable, Sendable {
    package var bytes: Int
    package var firstUse: Int
    package var lastUse: Int

    package init(bytes: Int, firstUse: Int, lastUse: Int) {
        self.bytes = bytes
        self.firstUse = firstUse
        self.lastUse = lastUse
    }

    /// True when both buffers are live at some common step.
    package func overlapsInTime(_ other: BufferRequest) -> Bool {
        firstUse <= other.lastUse && other.firstUse <= lastUse
    }
}

/// Offsets for a set of buffers inside one arena: buffers whose lifetimes overlap never share bytes,
/// the others may. Greedy by size (largest first, lowest free offset), as tflite-micro's planner.
package struct MemoryPlan: Sendable {
    /// Byte offset of each request, in request order; multiples of `alignment`.
    package let offsets: [Int]
    /// Arena bytes the plan needs (the peak).
    package let totalBytes: Int
    package let alignment: Int

    /// Plans `requests`. Fails with `.outOfMemory` if a size is negative or the total overflows.
    package init(_ requests: [BufferRequest], alignment: Int = 64) throws(DeiTError) {
        self.alignment = alignment
        var sizes: [Int] = []
        sizes.reserveCapacity(requests.count)
        for (index, request) in requests.enumerated() {
            guard request.bytes >= 0, request.firstUse <= request.lastUse,
                  let size = MemoryPlan.alignUp(request.bytes, to: alignment) else {
                throw DeiTError(.outOfMemory, "memory plan: buffer \(index) has an invalid size or lifetime")
            }
            sizes.append(size)
        }
        // Largest first; ties by earlier first use, then by index, so the plan is deterministic.
        let order = requests.indices.sorted { lhs, rhs in
            if sizes[lhs] != sizes[rhs] { return sizes[lhs] > sizes[rhs] }
            if requests[lhs].firstUse != requests[rhs].firstUse {
                return requests[lhs].firstUse < requests[rhs].firstUse
            }
            return lhs < rhs
        }
        var offsets = [Int](repeating: 0, count: requests.count)
        var placed: [Int] = []   // indices already given an offset, sorted by offset
        var total = 0
        for index in order {
            var candidate = 0
            for other in placed where requests[other].overlapsInTime(requests[index]) {
                let otherEnd = offsets[other] + sizes[other]
                if candidate + sizes[index] <= offsets[other] { break }   // fits in the gap before `other`
                candidate = max(candidate, otherEnd)
            }
            let (end, overflow) = candidate.addingReportingOverflow(sizes[index])
            guard !overflow else { throw DeiTError(.outOfMemory, "memory plan: arena size overflows") }
            offsets[index] = candidate
            total = max(total, end)
            let position = placed.firstIndex { offsets[$0] > candidate } ?? placed.count
            placed.insert(index, at: position)
        }
        self.offsets = offsets
        self.totalBytes = total
    }

    static func alignUp(_ value: Int, to alignment: Int) -> Int? {
        let (sum, overflow) = value.addingReportingOverflow(alignment - 1)
        return overflow ? nil : sum / alignment * alignment
    }
}
