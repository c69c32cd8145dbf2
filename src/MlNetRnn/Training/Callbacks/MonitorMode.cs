namespace MlNetRnn.Training;

/// <summary>Whether a monitored value should go up or down: Keras's <c>mode</c> ("auto", "min", "max").</summary>
internal static class MonitorMode
{
    /// <summary>True to maximise. "auto" maximises accuracy-like values (the name contains <c>acc</c> or <c>auc</c>) and minimises everything else.</summary>
    /// <exception cref="ArgumentException">An unknown mode.</exception>
    public static bool Maximize(string monitor, string mode) => mode switch
    {
        "min" => false,
        "max" => true,
        "auto" => monitor.Contains("acc", StringComparison.Ordinal) || monitor.Contains("auc", StringComparison.Ordinal),
        _ => throw new ArgumentException($"mode must be one of: auto, min, max; received '{mode}'.", nameof(mode)),
    };

    /// <summary>Where the best value starts, so that any real value improves on it: −∞ when maximising, else +∞.</summary>
    public static double Worst(bool maximize) => maximize ? double.NegativeInfinity : double.PositiveInfinity;

    public static void CheckMonitor(string monitor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(monitor, nameof(monitor));
    }
}
