namespace MlNetRnn;

/// <summary>Process-wide settings, as in <c>keras.utils</c>.</summary>
public static class Utils
{
    /// <summary>
    /// Seeds TorchSharp's global generator (Keras <c>keras.utils.set_random_seed</c>): models without a seed of
    /// their own then draw the same initial weights and shuffle the same way on every run of the process.
    /// </summary>
    public static void SetRandomSeed(int seed) => TorchSharp.torch.random.manual_seed(seed);
}
