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
/// batches of 64, about 4e8 a step) trained 12% faster on two. So the automatic choice estimates a step's
/// multiply-adds as the model's weights outside its embeddings (which are looked up, not multiplied) times the
/// tokens in the batch, and uses every available thread only from <see cref="ParallelMultiplyAdds"/> on.
/// The setting is made for the calling thread (OpenMP's and MKL's thread counts are per thread) and restored
/// afterwards. libtorch also stores the last count set as the one a thread starts from when it first uses libtorch, so
/// a thread that starts meanwhile may start at one thread: the policy therefore reads the count it may use once,
/// <see cref="Available"/>, not from the calling thread. Different thread counts can round reductions differently, so
/// for bit-for-bit repeatable runs across machines fix the count with <c>Model.IntraOpThreads</c>.
/// </remarks>
public static class ThreadPolicy
{
    /// <summary>Estimated multiply-adds per step from which a step uses every available thread.</summary>
    public const long ParallelMultiplyAdds = 300_000_000;

    /// <summary>The threads the policy may use: libtorch's count when the policy was first used (its default, or what
    /// <c>torch.set_num_threads</c> set before).</summary>
    public static int Available { get; } = Math.Max(1, get_num_threads());

    /// <summary>Threads for a step of about <paramref name="multiplyAdds"/> multiply-adds.</summary>
    /// <param name="multiplyAdds">Estimated multiply-adds of the step.</param>
    /// <param name="available">Threads the caller may use (<see cref="Available"/>).</param>
    public static int Automatic(long multiplyAdds, int available) =>
        multiplyAdds >= ParallelMultiplyAdds ? Math.Max(1, available) : 1;

    /// <summary>Tokens in a batch whose first input is (batch, time, …): batch × time; (batch) alone counts batch.</summary>
    public static long Tokens(Tensor firstInput) =>
        firstInput.dim() >= 2 ? firstInput.shape[0] * firstInput.shape[1] : firstInput.dim() == 1 ? firstInput.shape[0] : 1;

    /// <summary>
    /// Runs <paramref name="body"/> for 0 … <paramref name="count"/> − 1. With several workers and several items, the
    /// items run concurrently on up to <paramref name="workers"/> .NET threads (the caller's among them), each with
    /// one libtorch thread: independent inference batches then keep every core busy without waking OpenMP workers for
    /// each op. Each worker takes the next item in order when it is free, so give the costliest items first. Otherwise
    /// they run in order on the calling thread. After a failure no new item starts; the first exception is rethrown as
    /// it was, not wrapped.
    /// </summary>
    internal static void ForEach(int count, int workers, Action<int> body)
    {
        // Items already in a worker run in order: the workers keep every core busy.
        if (t_inWorker) workers = 1;
        if (workers <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        int next = -1, failed = 0;
        void Work()
        {
            try
            {
                for (int i; Volatile.Read(ref failed) == 0 && (i = Interlocked.Increment(ref next)) < count;) body(i);
            }
            catch
            {
                Volatile.Write(ref failed, 1);
                throw;
            }
        }
        var others = Enumerable.Range(0, Math.Min(workers, count) - 1).Select(_ => Task.Run(() => InWorker(Work))).ToArray();
        Exception? mine = null;
        try
        {
            InWorker(Work);
        }
        catch (Exception e)
        {
            mine = e;
        }
        var theirs = others.Select(WaitFor).ToArray().FirstOrDefault(e => e is not null);
        if ((mine ?? theirs) is { } first) ExceptionDispatchInfo.Capture(first).Throw();
    }

    // Waits for a worker; its exception, or null.
    private static Exception? WaitFor(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [ThreadStatic]
    private static bool t_inWorker;

    // Runs on a worker thread: one libtorch thread, and marked so that nested work does not fan out again.
    private static void InWorker(Action body)
    {
        bool outer = t_inWorker;
        t_inWorker = true;
        try
        {
            using var threads = Use(1);
            body();
        }
        finally
        {
            t_inWorker = outer;
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
