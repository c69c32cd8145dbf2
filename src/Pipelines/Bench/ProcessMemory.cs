using System.Globalization;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>The process's resident memory as Linux reports it in <c>/proc/self/status</c>.</summary>
public static class ProcessMemory
{
    private const string Status = "/proc/self/status";

    /// <summary>Current resident set size (VmRSS) in MB.</summary>
    /// <exception cref="PlatformNotSupportedException">No /proc/self/status (not Linux).</exception>
    public static double ResidentMegabytes() => Read("VmRSS:");

    /// <summary>Peak resident set size (VmHWM) in MB, since the process started or the last <see cref="TryResetPeak"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">No /proc/self/status (not Linux).</exception>
    public static double PeakResidentMegabytes() => Read("VmHWM:");

    /// <summary>Starts the peak over (writes 5 to /proc/self/clear_refs), so it covers only what follows.</summary>
    /// <returns>False when the kernel refused; the peak then covers the whole process.</returns>
    public static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static double Read(string field)
    {
        if (!File.Exists(Status)) throw new PlatformNotSupportedException($"{Status} is missing; the memory workload needs Linux.");
        foreach (var line in File.ReadLines(Status))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var kilobytes = line[field.Length..].Trim().Split(' ')[0];
            return long.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024.0;
        }
        throw new InvalidDataException($"{Status} has no {field} line.");
    }
}
