using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace MlNetRnn;

/// <summary>
/// How many libtorch intra-op threads a training step or an inference batch uses.
/// </summary>
/// <remarks>
/// libtorch splits an op over its OpenMP threads once it has more than 32,768 elements. With passive waiting (which
/// the library sets, see <c>NativeSettings</c>) each such op wakes the sleeping workers and then waits for them to
/// sleep again, and for a small model that costs more than the split saves. On this project's 2-core machine, one
/// thread against two: the benchmark tagger (SimpleRNN 128, batches of 32, about 2e7 multiply-adds a step) trained
/// 3.6× faster and predicted 1.3× faster on one thread, while the default EWT tagger (BiLSTM 150 with a character CNN,
/// batches of 64, about 7e8 a step) trained 12% faster on two. So the automatic choice estimates a step's
/// multiply-adds as the model's weights outside its embeddings (which are looked up, not multiplied) times the
/// tokens in the batch, and uses every available thread only from <see cref="ParallelMultiplyAdds"/> on.
/// The setting is per calling thread (OpenMP's and MKL's thread counts are), and is restored afterwards.
/// Different thread counts can round reductions differently, so for bit-for-bit repeatable runs across machines
/// fix the count with <c>Model.IntraOpThreads</c>.
/// </remarks>
public static class ThreadPolicy
{
    /// <summary>Estimated multiply-adds per step from which a step uses every available thread.</summary>
    public const long ParallelMultiplyAdds = 300_000_000;

    /// <summary>Threads for a step of about <paramref name="multiplyAdds"/> multiply-adds.</summary>
    /// <param name="multiplyAdds">Estimated multiply-adds of the step.</param>
    /// <param name="available">Threads the caller may use (libtorch's count on this thread).</param>
    public static int Automatic(long multiplyAdds, int available) =>
        multiplyAdds >= ParallelMultiplyAdds ? Math.Max(1, available) : 1;

    /// <summary>Tokens in a batch whose first input is (batch, time, …): batch × time; (batch) alone counts batch.</summary>
    public static long Tokens(Tensor firstInput) =>
        firstInput.dim() >= 2 ? firstInput.shape[0] * firstInput.shape[1] : firstInput.dim() == 1 ? firstInput.shape[0] : 1;

    /// <summary>
    /// Runs <paramref name="body"/> for 0 … <paramref name="count"/> − 1. With several workers and several items, the
    /// items run concurrently on up to <paramref name="workers"/> .NET threads, each with one libtorch thread:
    /// independent inference batches then keep every core busy without waking OpenMP workers for each op. Otherwise
    /// they run in order on the calling thread. The first exception is rethrown as it was, not wrapped.
    /// </summary>
    internal static void ForEach(int count, int workers, Action<int> body)
    {
        if (workers <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
            {
                using var threads = Use(1);
                body(i);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }

    /// <summary>Runs the calling thread's libtorch ops on <paramref name="threads"/> threads until disposed.</summary>
    /// <exception cref="ArgumentException"><paramref name="threads"/> is below 1.</exception>
    public static Scope Use(int threads)
    {
        if (threads < 1) throw new ArgumentException($"threads must be ≥ 1; received {threads}.", nameof(threads));
        int current = get_num_threads();
        if (current == threads) return default;
        set_num_threads(threads);
        return new Scope(current);
    }

    /// <summary>Restores the calling thread's previous thread count when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly int _previous;

        internal Scope(int previous) => _previous = previous;

        /// <summary>Puts the previous count back (nothing when it was not changed).</summary>
        public void Dispose()
        {
            if (_previous > 0) set_num_threads(_previous);
        }
    }
}
