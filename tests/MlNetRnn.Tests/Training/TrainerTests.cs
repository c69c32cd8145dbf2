using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Numerics;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;
using static MlNetRnn.Tests.Training.TrainingTestModels;

namespace MlNetRnn.Tests.Training;

[TestClass]
public sealed class TrainerTests
{
    // Batches of two rows in the order Fit draws: one Random(seed) shuffling 0..n−1 before each epoch.
    private sealed class ShuffledRows(Tensor x, Tensor y, int seed) : IBatchSource
    {
        private readonly Random _random = new(seed);

        public IEnumerable<Batch> GetBatches(int epoch)
        {
            var order = Enumerable.Range(0, (int)x.shape[0]).ToArray();
            _random.Shuffle(order);
            for (int start = 0; start < order.Length; start += 2)
            {
                var index = tensor(order[start..Math.Min(order.Length, start + 2)].Select(i => (long)i).ToArray());
                yield return new Batch([x.index_select(0, index)], y.index_select(0, index));
            }
        }
    }

    [TestMethod]
    public void CustomBatchSource_GivesTheSameLossesAndWeightsAsFitOnTensors()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var a = Seed(4);
        using var b = Seed(4);
        var fromTensors = a.Fit(x, y, epochs: 6, batchSize: 2, verbose: 0, seed: 7);
        var fromSource = b.Fit(new ShuffledRows(x, y, 7), epochs: 6, verbose: 0);
        CollectionAssert.AreEqual(fromTensors.Loss.ToArray(), fromSource.Loss.ToArray());
        Assert.IsTrue(SameWeights(a.GetWeights(), b.GetWeights()));
        // The list-of-inputs overload is the same training.
        using var c = Seed(4);
        CollectionAssert.AreEqual(fromTensors.Loss.ToArray(), c.Fit([x], y, epochs: 6, batchSize: 2, verbose: 0, seed: 7).Loss.ToArray());
    }

    [TestMethod]
    public void Cancellation_FromACallback_ThrowsAndKeepsTheLastCompletedStep()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(5);
        using var cancel = new CancellationTokenSource();
        using var recorder = new WeightRecorder(everyBatch: true);
        var canceller = new CancelAfterBatches(cancel, 5);
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            model.Fit(x, y, epochs: 10, batchSize: 2, verbose: 0, callbacks: [recorder, canceller], cancellationToken: cancel.Token));
        Assert.HasCount(5, recorder.Snapshots, "five steps completed, the sixth never started");
        Assert.IsTrue(SameWeights(recorder.Snapshots[^1], model.GetWeights()));
        Assert.AreEqual(5, model.Optimizer!.Iterations);
    }

    private sealed class CancelAfterBatches(CancellationTokenSource source, int batches) : Callback
    {
        private int _seen;

        public override void OnTrainBatchEnd(int batch, IDictionary<string, double> logs)
        {
            if (++_seen == batches) source.Cancel();
        }
    }

    [TestMethod]
    public void Float64Model_FitAndEvaluate() => Float64.Run(() =>
    {
        var (x, y) = RandomData();
        using var model = Seed(6, metrics: ["accuracy"]);
        Assert.AreEqual(ScalarType.Float64, model.GetWeights()[0].dtype);
        var history = model.Fit(x, y, epochs: 3, batchSize: 3, verbose: 0, validationData: (x, y));
        Assert.HasCount(3, history.Loss);
        double evaluated = model.Evaluate(x, y);
        Assert.AreEqual(history.ValidationLoss[^1], evaluated, 1e-12);
        Assert.AreEqual(model.Loss!.Compute(y, model.Predict(x)).item<double>(), evaluated, 1e-12);
    });

    [TestMethod]
    public void OneOptimizerInTwoModels_IsRefused()
    {
        using var scope = NewDisposeScope();
        var adam = new Adam();
        using var first = Seed(1, optimizer: adam);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Seed(2, optimizer: adam));
        StringAssert.Contains(e.Message, "already compiled into model 'sequential'");
        StringAssert.Contains(e.Message, "give each model its own optimizer");
        // Recompiling the same model with it is fine, and once the first model lets go another may take it.
        first.Compile("sparse_categorical_crossentropy", adam);
        first.Compile("sparse_categorical_crossentropy", "sgd");
        using var third = Seed(3, optimizer: adam);
        Assert.AreSame(adam, third.Optimizer);
    }

    [TestMethod]
    public void Memory_StaysFlatOver2000Epochs_CountedWithoutGarbageCollection()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(1, metrics: ["accuracy"]);
        model.Fit(x, y, epochs: 2, batchSize: 3, verbose: 0, validationData: (x, y));
        // Per-thread counters: a tensor left to a finalizer stays counted here, whatever the GC does meanwhile.
        var statistics = DisposeScopeManager.Statistics;
        long live = statistics.ThreadTotalLiveCount;
        long outside = statistics.CreatedOutsideScopeCount;
        model.Fit(x, y, epochs: 2000, batchSize: 3, verbose: 0, validationData: (x, y));
        Assert.AreEqual(live, statistics.ThreadTotalLiveCount, "live tensors on this thread after 2,000 more epochs");
        Assert.AreEqual(outside, statistics.CreatedOutsideScopeCount, "tensors created outside any dispose scope");
    }

    [TestMethod]
    public void Memory_StaysFlatOver2000Epochs_OfABiLstmTagger_WithPaddingAndDropout()
    {
        using var scope = NewDisposeScope();
        // Right-padded ids (0 pads): the masked fused path and the dropout masks run every step.
        var x = tensor(new long[] { 1, 2, 3, 0, 4, 5, 0, 0, 2, 2, 3, 1 }).reshape(3, 4);
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 0, 1, 1, 2, 0 }).reshape(3, 4);
        using var model = new Sequential(seed: 1);
        model.Add(new Embedding(6, 4, maskZero: true, inputShape: [4]));
        model.Add(new Dropout(0.2));
        model.Add(new Bidirectional(new LSTM(3, returnSequences: true, dropout: 0.1)));
        model.Add(new TimeDistributed(new Dense(3, activation: "softmax")));
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"]);
        model.Fit(x, y, epochs: 2, batchSize: 3, verbose: 0);
        var statistics = DisposeScopeManager.Statistics;
        long live = statistics.ThreadTotalLiveCount;
        long outside = statistics.CreatedOutsideScopeCount;
        model.Fit(x, y, epochs: 2000, batchSize: 3, verbose: 0);
        Assert.AreEqual(live, statistics.ThreadTotalLiveCount, "live tensors on this thread after 2,000 more epochs");
        Assert.AreEqual(outside, statistics.CreatedOutsideScopeCount, "tensors created outside any dispose scope");
    }

    [TestMethod]
    public void OptimizerState_IsFreedWhenTheModelIsDisposed()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        var statistics = DisposeScopeManager.Statistics;
        var untrained = Seed(1);
        long live = statistics.ThreadTotalLiveCount;
        untrained.Dispose();
        long freedWithoutTraining = live - statistics.ThreadTotalLiveCount;

        var model = Seed(1);
        model.Fit(x, y, epochs: 2, verbose: 0);
        var adam = model.Optimizer!;
        Assert.IsTrue(adam.Built);
        live = statistics.ThreadTotalLiveCount;
        model.Dispose();
        Assert.IsFalse(adam.Built);
        Assert.AreEqual(freedWithoutTraining + 2 * 5, live - statistics.ThreadTotalLiveCount, "Adam's two moments per weight go with the model");
    }

    [TestMethod]
    public void Progress_GoesToTheWriterGiven()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(1, metrics: ["accuracy"]);
        var writer = new StringWriter();
        var previous = Console.Out;
        var console = new StringWriter();
        Console.SetOut(console);
        try
        {
            model.Fit(x, y, epochs: 2, batchSize: 3, verbose: 2, validationData: (x, y), progress: writer);
        }
        finally
        {
            Console.SetOut(previous);
        }
        Assert.AreEqual("", console.ToString());
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(4, lines);
        Assert.AreEqual("Epoch 1/2", lines[0]);
        StringAssert.Matches(lines[1], new System.Text.RegularExpressions.Regex(
            @"^2/2 ━{20} \d+s \d+ms/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$"));
    }

    [TestMethod]
    public void EmptyEpoch_AndBadBatches_SayWhatWasReceived()
    {
        using var scope = NewDisposeScope();
        var (x, y) = RandomData();
        using var model = Seed(1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(BatchSource.FromBatches([]), verbose: 0));
        StringAssert.Contains(e.Message, "no batches for epoch 0");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Fit(BatchSource.FromBatches([new Batch([x], y[.., ..2])]), verbose: 0));
        StringAssert.Contains(e.Message, "(6, 2)");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Batch([x], y, count: 0));
        StringAssert.Contains(e.Message, "received 0");
    }
}
