import CDeiTSupport
import DeiTKernelTable

/// The worker threads of one session (`threads − 1` of them; the calling thread is worker 0).
/// Created with the session and reused by every run: a parallel step hands out task indices from a
/// shared counter and returns when all tasks are done. Nothing is allocated per step.
final class WorkerPool {
    /// Threads taking part in a step, the caller included.
    let threadCount: Int
    /// The session's kernel set, which every step calls through.
    let kernels: KernelTable
    private let pool: OpaquePointer?  // deit_support_pool *, nil for one thread

    init(threads: Int, kernels: KernelTable) throws(DeiTError) {
        threadCount = threads
        self.kernels = kernels
        if threads <= 1 {
            pool = nil
            return
        }
        guard let pool = deit_support_pool_create(Int32(threads)) else {
            throw DeiTError(.outOfMemory, "could not start \(threads - 1) worker threads")
        }
        self.pool = pool
    }

    deinit { deit_support_pool_destroy(pool) }

    /// Runs `step` for every task in `0..<taskCount`, spread over the threads (`worker` in
    /// `0 ..< threadCount` tells a task which per-thread scratch is its own). Returns when every task
    /// has finished. The step crosses into C as a pointer to a stack copy: nothing is allocated.
    func run(_ step: ParallelStep, taskCount: Int) {
        guard taskCount > 0 else { return }
        guard let pool, taskCount > 1 else {
            for task in 0..<taskCount { step.run(task: task, worker: 0, kernels: kernels) }
            return
        }
        var scheduled = ScheduledStep(step: step, kernels: kernels)
        withUnsafeMutablePointer(to: &scheduled) { context in
            deit_support_pool_run(pool, Int64(taskCount), { context, task, worker in
                guard let context else { return }
                let scheduled = context.assumingMemoryBound(to: ScheduledStep.self)
                scheduled.pointee.step.run(task: Int(task), worker: Int(worker), kernels: scheduled.pointee.kernels)
            }, context)
        }
    }

    /// Tasks to cut `count` items into: about `tasksPerThread` per thread, never more than the items.
    func chunkCount(of count: Int, tasksPerThread: Int) -> Int {
        min(count, max(1, threadCount * tasksPerThread))
    }
}

/// A step and the kernels it runs with, handed to the C pool as one stack value.
private struct ScheduledStep {
    var step: ParallelStep
    let kernels: KernelTable
}
