namespace MlNetRnn;

/// <summary>Process-wide settings, as in <c>keras.utils</c>.</summary>
public static class Utils
{
    /// <summary>
    /// Seeds TorchSharp's global generator (Keras <c>keras.utils.set_random_seed</c>): models without a seed of
    /// their own then draw the same initial weights and shuffle the same way on every run of the process.
    /// </summary>
    public static void SetRandomSeed(int seed) => TorchSharp.torch.random.manual_seed(seed);

    /// <summary>
    /// Makes sure MlNetRnn's native settings (OpenMP passive waiting) are in place. They apply when this
    /// assembly loads; call this first thing in a program that uses TorchSharp directly before any MlNetRnn type.
    /// </summary>
    public static void EnsureNativeSettings() => NativeSettings.Apply();
}
