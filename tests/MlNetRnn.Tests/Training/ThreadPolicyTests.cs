using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tagging;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Training;

/// <summary><see cref="ThreadPolicy"/>: one libtorch thread for small work, every available one for large work, and
/// independent inference batches run concurrently with the same numbers as one at a time.</summary>
[TestClass]
public sealed class ThreadPolicyTests
{
    // Lengths 1 … 9 twice over; ids 1 … 79.
    private static readonly int[][] Ids = Enumerable.Range(0, 18)
        .Select(s => Enumerable.Range(0, s % 9 + 1).Select(t => (s * 7 + t * 3) % 79 + 1).ToArray()).ToArray();

    [TestMethod]
    public void Automatic_IsOneThreadBelowTheThreshold_AndEveryAvailableThreadFromIt()
    {
        Assert.AreEqual(1, ThreadPolicy.Automatic(ThreadPolicy.ParallelMultiplyAdds - 1, available: 4));
        Assert.AreEqual(4, ThreadPolicy.Automatic(ThreadPolicy.ParallelMultiplyAdds, available: 4));
        Assert.AreEqual(1, ThreadPolicy.Automatic(ThreadPolicy.ParallelMultiplyAdds, available: 0));
    }

    [TestMethod]
    public void Use_SetsTheCallingThreadsCount_AndPutsThePreviousOneBack()
    {
        using var two = ThreadPolicy.Use(2);
        Assert.AreEqual(2, get_num_threads());
        using (ThreadPolicy.Use(1))
        {
            Assert.AreEqual(1, get_num_threads());
        }
        Assert.AreEqual(2, get_num_threads());
        var e = Assert.ThrowsExactly<ArgumentException>(() => ThreadPolicy.Use(0));
        Assert.AreEqual("threads must be ≥ 1; received 0. (Parameter 'threads')", e.Message);
    }

    [TestMethod]
    public void Model_CountsWeightsOutsideEmbeddingsTimesTokens()
    {
        using var scope = NewDisposeScope();
        using var model = Tagger();
        model.Predict(tensor(new long[] { 1 }, [1, 1]));
        // SimpleRNN 6·5 + 5·5 + 5 = 60 and Dense 5·4 + 4 = 24: 84 multiply-adds per token.
        long tokensAtThreshold = (ThreadPolicy.ParallelMultiplyAdds + 83) / 84;
        Assert.AreEqual(1, model.ThreadsFor([empty([1, tokensAtThreshold - 1], ScalarType.Int64)]));
        Assert.AreEqual(ThreadPolicy.Available, model.ThreadsFor([empty([1, tokensAtThreshold], ScalarType.Int64)]));
        model.IntraOpThreads = 3;
        Assert.AreEqual(3, model.ThreadsFor([zeros([1, 1], ScalarType.Int64)]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.IntraOpThreads = 0);
        Assert.AreEqual("IntraOpThreads must be ≥ 1 or null (automatic); received 0. (Parameter 'value')", e.Message);
    }

    [TestMethod]
    public void PredictSequences_ConcurrentBatches_EqualOneBatchAtATime_BitForBit()
    {
        RequireTwoThreads();
        using var scope = NewDisposeScope();
        int callerThreads = get_num_threads();
        using var model = Tagger();
        model.IntraOpThreads = 1;
        Assert.AreEqual(1, model.InferenceWorkers(9));
        var sequential = model.PredictSequences(Ids, batchSize: 2);
        model.IntraOpThreads = null;
        Assert.AreEqual(Math.Min(ThreadPolicy.Available, 9), model.InferenceWorkers(9));
        var concurrent = model.PredictSequences(Ids, batchSize: 2);
        CollectionAssert.AreEqual(sequential.shape, concurrent.shape);
        CollectionAssert.AreEqual(sequential.data<float>().Select(BitConverter.SingleToInt32Bits).ToArray(),
            concurrent.data<float>().Select(BitConverter.SingleToInt32Bits).ToArray(), "concurrent batches differ from one at a time");
        Assert.AreEqual(callerThreads, get_num_threads(), "the caller's thread count is restored");
    }

    [TestMethod]
    public void PredictSequences_ABadIdInAConcurrentBatch_ThrowsWhatOneBatchAtATimeThrows()
    {
        RequireTwoThreads();
        using var scope = NewDisposeScope();
        using var model = Tagger();
        int[][] ids = [.. Ids, [3, 500]];
        model.IntraOpThreads = 1;
        var expected = Assert.ThrowsExactly<ArgumentException>(() => model.PredictSequences(ids, batchSize: 2));
        StringAssert.Contains(expected.Message, "500");
        model.IntraOpThreads = null;
        var concurrent = Assert.ThrowsExactly<ArgumentException>(() => model.PredictSequences(ids, batchSize: 2));
        Assert.AreEqual(expected.Message, concurrent.Message);
    }

    [TestMethod]
    [DataRow(CharFeatureKind.None)]
    [DataRow(CharFeatureKind.Cnn)]
    public void TaggerPredict_ConcurrentBatches_EqualOneBatchAtATime_BitForBit(CharFeatureKind chars)
    {
        string[][] tokens = [["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "runs", "fast"]];
        string[][] tags = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB", "ADV"]];
        using var network = SequenceTaggerNetwork.Train(tokens, tags, new SequenceTaggerHyperParameters
        {
            CharFeatures = chars, EmbeddingSize = 8, Units = 8, CharEmbeddingSize = 4, CharFilters = 4, Epochs = 2,
            BatchSize = 2, Seed = 3, EarlyStoppingPatience = 0,
        });
        // More sentences than one batch of SequenceTaggerNetwork.PredictBatchSize, of many lengths.
        var sentences = Enumerable.Range(0, 3 * SequenceTaggerNetwork.PredictBatchSize)
            .Select(s => Enumerable.Range(0, s % 11 + 1).Select(t => tokens[(s + t) % 3][t % 3]).ToArray()).ToArray();
        RequireTwoThreads();
        network.Model.IntraOpThreads = 1;
        var sequential = network.Predict(sentences);
        network.Model.IntraOpThreads = null;
        var concurrent = network.Predict(sentences);
        for (int s = 0; s < sentences.Length; s++)
        {
            CollectionAssert.AreEqual(sequential[s].Tags, concurrent[s].Tags, $"sentence {s}");
            CollectionAssert.AreEqual(sequential[s].Distribution.Select(BitConverter.SingleToInt32Bits).ToArray(),
                concurrent[s].Distribution.Select(BitConverter.SingleToInt32Bits).ToArray(), $"sentence {s}");
        }
    }

    private static Sequential Tagger()
    {
        var model = new Sequential(seed: 4);
        model.Add(new Embedding(80, 6, maskZero: true, inputShape: [-1]));
        model.Add(new SimpleRNN(5, returnSequences: true));
        model.Add(new TimeDistributed(new Dense(4, activation: "softmax")));
        return model;
    }

    // Concurrency needs a second thread to run on.
    private static void RequireTwoThreads()
    {
        if (ThreadPolicy.Available < 2) Assert.Inconclusive($"libtorch has {ThreadPolicy.Available} thread here; concurrency needs 2.");
    }
}
