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
    /// Makes sure MlNetRnn's native setting is in place: on Linux and macOS the library sets the process's
    /// <c>OMP_WAIT_POLICY=PASSIVE</c> (unless already set) when its assembly loads, before libtorch's OpenMP
    /// reads it, so that idle OpenMP threads sleep instead of spinning. This affects the whole host process.
    /// Call this first thing in a program that uses TorchSharp directly before any MlNetRnn type; set the
    /// variable yourself to choose another policy.
    /// </summary>
    /// <returns>False when the setting could not be applied (the C library's <c>setenv</c> is unavailable):
    /// everything still works, possibly slower on small machines. True otherwise, including when the variable
    /// was already set.</returns>
    public static bool EnsureNativeSettings()
    {
        NativeSettings.Apply();
        return NativeSettings.Problem is null;
    }
}
