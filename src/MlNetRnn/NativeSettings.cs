using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlNetRnn;

/// <summary>
/// Settings that must reach libtorch's OpenMP runtime before it loads. With OpenMP's default (active)
/// waiting, idle worker threads spin and starve the .NET threads on small machines: the seed model's
/// epoch took 20 ms on 2 cores instead of 1 ms. Passive waiting removes that.
/// </summary>
internal static class NativeSettings
{
#pragma warning disable CA2255 // Runs before any TorchSharp call this assembly makes; that is the point.
    [ModuleInitializer]
    internal static void Apply()
    {
        // libgomp reads its environment once, when it loads; .NET's Environment.SetEnvironmentVariable does
        // not reach the native environment on Unix, so call setenv. A value the user set is kept.
        if (!OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
        {
            _ = setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
    }

#pragma warning restore CA2255

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
