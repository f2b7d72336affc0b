import CDeiTSupport
import DeiTKernelTable
import DeiTKernels
#if arch(x86_64)
import DeiTKernelsAVX2
import DeiTKernelsAVX512
import DeiTKernelsAVX512VNNI
import DeiTKernelsAVXVNNI
#endif

#if arch(arm64)
/// DeiTKernelsDotProd's `CompiledKernels.table` (its CompiledKernels.swift says why it is reached by
/// symbol, not by import). Call only where `canRun(.neonDotProd)`.
@_silgen_name("deit_internal_dotprod_kernel_table")
private func dotProdKernelTable() -> KernelTable
#endif

/// Which kernel set a session runs: the one file that names the per-set kernel modules.
///
/// Chosen once, when the session is created: the set asked for (`deit_session_options.kernel_set`,
/// `Session(…, kernelSet:)`), else `DEIT_KERNEL_SET` from the environment, else the best set this CPU
/// and its OS support (CPUID + XGETBV on x86-64, `getauxval(AT_HWCAP)` on aarch64: CDeiTSupport's
/// cpu.c). A set this build has but this CPU cannot run is `.unsupported`, never a SIGILL.
public enum KernelChoice {
    /// The sets in order of preference (fastest first); `portable` runs on every x86-64 CPU, `neon`
    /// on every aarch64 one.
    static let preference: [KernelSet] = [.avx512VNNI, .avx512, .avxVNNI, .avx2, .neonDotProd, .neon, .portable]

    /// Whether this build compiled `set` (a question about the build alone: nothing of the set's
    /// module runs).
    public static func isCompiled(_ set: KernelSet) -> Bool {
        #if arch(x86_64)
        return set != .neon && set != .neonDotProd
        #elseif arch(arm64)
        return set == .neon || set == .neonDotProd
        #else
        return set == DeiTKernels.CompiledKernels.set
        #endif
    }

    /// The table of `set`. Only for a set that `isCompiled` and `canRun`: building the table runs code
    /// of the set's module, compiled for its instruction set (copying the table's closures may use
    /// ymm registers), so asking for an AVX2 table on a CPU without AVX2 would fault.
    private static func loadedTable(_ set: KernelSet) -> KernelTable? {
        guard isCompiled(set), canRun(set) else { return nil }
        #if arch(x86_64)
        switch set {
        case .avx512VNNI: return DeiTKernelsAVX512VNNI.CompiledKernels.table
        case .avx512: return DeiTKernelsAVX512.CompiledKernels.table
        case .avxVNNI: return DeiTKernelsAVXVNNI.CompiledKernels.table
        case .avx2: return DeiTKernelsAVX2.CompiledKernels.table
        case .portable: return DeiTKernels.CompiledKernels.table
        case .neon, .neonDotProd: return nil
        }
        #elseif arch(arm64)
        return set == .neonDotProd ? dotProdKernelTable() : DeiTKernels.CompiledKernels.table
        #else
        return DeiTKernels.CompiledKernels.table
        #endif
    }

    /// Whether this CPU, and the OS's register saving, can run `set`'s instructions.
    public static func canRun(_ set: KernelSet) -> Bool {
        let features = deit_support_cpu_features()
        switch set {
        case .avx512VNNI: return features & DEIT_CPU_X86_64_AVX512_VNNI != 0
        case .avx512: return features & DEIT_CPU_X86_64_V4 != 0
        case .avxVNNI: return features & DEIT_CPU_X86_64_AVX_VNNI != 0
        case .avx2: return features & DEIT_CPU_X86_64_V3 != 0
        case .neonDotProd: return features & DEIT_CPU_ARM_DOTPROD != 0
        case .neon, .portable: return true   // the baseline of their architecture
        }
    }

    /// The sets this build has and this CPU runs, best first.
    public static var runnable: [KernelSet] {
        preference.filter { isCompiled($0) && canRun($0) }
    }

    /// The fastest set this build has that this CPU runs.
    public static var best: KernelTable {
        for set in preference {
            if let table = loadedTable(set) { return table }
        }
        return DeiTKernels.CompiledKernels.table   // the baseline module runs everywhere
    }

    /// The table for `set`, or with nil the automatic choice (`DEIT_KERNEL_SET`, else `best`).
    public static func table(for set: KernelSet?) throws(DeiTError) -> KernelTable {
        guard let set else { return try automatic() }
        guard isCompiled(set) else {
            throw DeiTError(.unsupported, "kernel set \"\(set.name)\" is not built for this architecture (this build has: \(compiledNames))")
        }
        guard canRun(set), let table = loadedTable(set) else {
            throw DeiTError(.unsupported, "kernel set \"\(set.name)\" cannot run on this CPU (it runs: \(runnableNames))")
        }
        return table
    }

    /// The table for a set's name: nil or "auto" for the automatic choice.
    public static func table(named name: String?) throws(DeiTError) -> KernelTable {
        guard let name, !spells(name, "auto") else { return try automatic() }
        guard let set = KernelSet.allCases.first(where: { spells(name, $0.name) }) else {
            throw DeiTError(.invalidArgument, "\"\(name)\" is not a kernel set; use auto or one of: \(compiledNames)")
        }
        return try table(for: set)
    }

    /// `DEIT_KERNEL_SET` when it is set (and not "auto"), else `best`.
    static func automatic() throws(DeiTError) -> KernelTable {
        guard let value = deit_support_environment("DEIT_KERNEL_SET") else { return best }
        let name = String(cString: value)
        if name.isEmpty || spells(name, "auto") { return best }
        do {
            return try table(named: name)
        } catch {
            throw DeiTError(error.status, "DEIT_KERNEL_SET: \(error.message)")
        }
    }

    /// The panel width weights are packed for at load: the automatic choice's, so sessions that
    /// make that choice (every session not forced to another set) use the model's weights as they are.
    static var loadPanelWidth: Int { loadTable.gemmPanelWidth }

    /// The kernels weights are packed with at load: the automatic choice's (the best set when
    /// `DEIT_KERNEL_SET` names one this CPU cannot run: the session creation reports that).
    static var loadTable: KernelTable {
        (try? automatic()) ?? best
    }

    /// Byte-wise equality: names are ASCII, and Embedded Swift's `==` on strings would pull in the
    /// Unicode normalisation tables.
    private static func spells(_ name: String, _ expected: String) -> Bool {
        name.utf8.elementsEqual(expected.utf8)
    }

    private static var compiledNames: String {
        preference.filter { isCompiled($0) }.map { $0.name }.joined(separator: ", ")
    }

    private static var runnableNames: String { runnable.map { $0.name }.joined(separator: ", ") }
}
