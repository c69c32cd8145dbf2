using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlNetRnn;

/// <summary>
/// Settings that must reach libtorch's OpenMP runtime before it loads. With OpenMP's default (active)
/// waiting, idle worker threads spin and starve the .NET threads on small machines: the seed model's
/// epoch took 20 ms on 2 cores instead of 1 ms. Passive waiting removes that. This changes
/// <c>OMP_WAIT_POLICY</c> for the whole host process (every OpenMP library it loads), unless it is already set.
/// </summary>
internal static class NativeSettings
{
    private const string Variable = "OMP_WAIT_POLICY";
    private const string Value = "PASSIVE";

    /// <summary>Why the setting could not be applied (null when it was, or when the user set the variable).</summary>
    internal static string? Problem { get; private set; }

#pragma warning disable CA2255 // Runs before any TorchSharp call this assembly makes; that is the point.
    [ModuleInitializer]
    internal static void Apply()
    {
        // libgomp reads its environment once, when it loads; .NET's Environment.SetEnvironmentVariable does
        // not reach the native environment on Unix, so call setenv. A value the user set is kept.
        if (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable(Variable) is not null) return;
        // A module initializer that throws makes the whole assembly unusable: a C library without setenv
        // (or not found under this name) only costs speed, so record it and carry on.
        try
        {
            Problem = setenv(Variable, Value, 0) == 0 ? null : $"setenv({Variable}) failed with errno {Marshal.GetLastPInvokeError()}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            Problem = $"setenv({Variable}) is not available ({e.GetType().Name}: {e.Message})";
        }
    }
#pragma warning restore CA2255

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
