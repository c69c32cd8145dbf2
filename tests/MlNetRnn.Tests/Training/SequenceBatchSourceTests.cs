using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Training;

/// <summary>Length-grouped training batches over ragged id sequences, and the matching <see cref="Model.PredictSequences"/>.</summary>
[TestClass]
public sealed class SequenceBatchSourceTests
{
    // Lengths 3, 1, 4, 2, 1, 3, 5; ids are 10·sequence + position + 1, tags position mod 3.
    private static readonly int[] Lengths = [3, 1, 4, 2, 1, 3, 5];
    private static readonly int[][] Ids = Lengths.Select((n, s) => Enumerable.Range(0, n).Select(t => 10 * s + t + 1).ToArray()).ToArray();
    private static readonly int[][] Tags = Lengths.Select(n => Enumerable.Range(0, n).Select(t => t % 3).ToArray()).ToArray();

    [TestMethod]
    public void Grouped_WithoutShuffle_SortsByLengthAndPadsEachBatchToItsLongest()
    {
        using var scope = NewDisposeScope();
        var source = new SequenceBatchSource(Ids, Tags, batchSize: 3, shuffle: false);
        var batches = source.GetBatches(0).ToArray();
        Assert.AreEqual(3, source.BatchesPerEpoch);
        Assert.HasCount(3, batches);
        // Sorted (stable) by length: sequences 1, 4, 3 | 0, 5, 2 | 6.
        CollectionAssert.AreEqual(new long[] { 3, 2 }, batches[0].Inputs[0].shape);
        CollectionAssert.AreEqual(new long[] { 11, 0, 41, 0, 31, 32 }, Flat(batches[0].Inputs[0]));
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0, 0, 1 }, Flat(batches[0].Targets));
        CollectionAssert.AreEqual(new[] { true, false, true, false, true, true }, batches[0].SampleWeight!.data<bool>().ToArray());
        CollectionAssert.AreEqual(new long[] { 3, 4 }, batches[1].Inputs[0].shape);
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 0, 51, 52, 53, 0, 21, 22, 23, 24 }, Flat(batches[1].Inputs[0]));
        CollectionAssert.AreEqual(new long[] { 1, 5 }, batches[2].Inputs[0].shape);
        Assert.AreEqual(3.0, batches[1].Count);
        Assert.AreEqual(1.0, batches[2].Count);
    }

    [TestMethod]
    public void Shuffled_CoversEverySequenceOncePerEpoch_ChangesOrder_AndRepeatsForASeed()
    {
        var lengths = Enumerable.Range(0, 60).Select(i => 1 + i * 7 % 9).ToArray();
        var ids = lengths.Select((n, s) => Enumerable.Repeat(s + 1, n).ToArray()).ToArray();
        var tags = lengths.Select(n => new int[n]).ToArray();
        var source = new SequenceBatchSource(ids, tags, batchSize: 4, seed: 5);
        var again = new SequenceBatchSource(ids, tags, batchSize: 4, seed: 5);
        var epochs = Enumerable.Range(0, 2).Select(e => Rows(source.GetBatches(e))).ToArray();
        var repeated = Enumerable.Range(0, 2).Select(e => Rows(again.GetBatches(e))).ToArray();
        foreach (var epoch in epochs)
        {
            CollectionAssert.AreEquivalent(Enumerable.Range(1, 60).ToArray(), epoch.SelectMany(b => b).ToArray());
            // Grouped: a batch's lengths differ by at most one length step of the sorted list (here: at most 1).
            foreach (var batch in epoch)
            {
                var batchLengths = batch.Select(id => lengths[id - 1]).ToArray();
                Assert.IsLessThanOrEqualTo(1, batchLengths.Max() - batchLengths.Min(), string.Join(",", batchLengths));
            }
        }
        CollectionAssert.AreNotEqual(epochs[0].SelectMany(b => b).ToArray(), epochs[1].SelectMany(b => b).ToArray());
        for (int e = 0; e < 2; e++)
        {
            CollectionAssert.AreEqual(epochs[e].SelectMany(b => b).ToArray(), repeated[e].SelectMany(b => b).ToArray());
        }
    }

    [TestMethod]
    public void NotGrouped_CutsBatchesFromTheGivenOrder()
    {
        using var scope = NewDisposeScope();
        var source = new SequenceBatchSource(Ids, Tags, batchSize: 3, shuffle: false, groupByLength: false);
        var rows = Rows(source.GetBatches(0));
        CollectionAssert.AreEqual(new[] { 1, 11, 21, 31, 41, 51, 61 }, rows.SelectMany(b => b).Select(id => id).ToArray());
    }

    [TestMethod]
    public void BadArguments_AreRefusedWithWhatWasReceived()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SequenceBatchSource(Ids, [.. Tags.Take(6)]));
        Assert.AreEqual("Expected one target row per sequence (7); received 6. (Parameter 'targets')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new SequenceBatchSource(Ids, [.. Tags.Take(6), new int[4]]));
        Assert.AreEqual("Target row 6 must have one class per token of sequence 6 (5); received 4. (Parameter 'targets')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new SequenceBatchSource(Ids, Tags, batchSize: 0));
        Assert.AreEqual("batchSize must be ≥ 1; received 0. (Parameter 'batchSize')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new SequenceBatchSource([[1, -2]], [[0, 0]]));
        Assert.AreEqual("Sequence 0 holds a negative id: -2. (Parameter 'sequences')", e.Message);
    }

    [TestMethod]
    public void PaddingNeverCounts_TheLossIsTheMeanOverRealTokens()
    {
        // No maskZero: only the batch's sample weight keeps padding out of the loss.
        using var scope = NewDisposeScope();
        using var model = Tagger(maskZero: false);
        var source = new SequenceBatchSource(Ids, Tags, batchSize: Ids.Length, shuffle: false);
        double loss = model.EvaluateMetrics(source)["loss"];
        var probabilities = model.PredictSequences(Ids);
        double total = 0;
        int tokens = 0;
        for (int s = 0; s < Ids.Length; s++)
        {
            for (int t = 0; t < Lengths[s]; t++)
            {
                total -= Math.Log(Math.Clamp(probabilities[s, t, Tags[s][t]].item<float>(), 1e-7, 1 - 1e-7));
                tokens++;
            }
        }
        Assert.AreEqual(total / tokens, loss, 1e-6);
    }

    [TestMethod]
    public void PredictSequences_EqualsOneSequenceAtATime_InInputOrder_ZeroPastEachLength()
    {
        using var scope = NewDisposeScope();
        using var model = Tagger(maskZero: true);
        var output = model.PredictSequences(Ids, batchSize: 2);
        CollectionAssert.AreEqual(new long[] { 7, 5, 4 }, output.shape);
        for (int s = 0; s < Ids.Length; s++)
        {
            var alone = model.Predict(tensor(Ids[s].Select(i => (long)i).ToArray(), [1, Lengths[s]]))[0];
            double difference = (output[s, ..Lengths[s]] - alone).abs().max().item<float>();
            Assert.IsLessThan(1e-6, difference, $"sequence {s}");
            Assert.AreEqual(0f, output[s, Lengths[s]..].abs().sum().item<float>(), $"padding of sequence {s}");
        }
    }

    [TestMethod]
    public void Fit_OnTheSource_TrainsLikeTrainOnBatchOverTheSameBatches()
    {
        using var scope = NewDisposeScope();
        using var fitted = Tagger(maskZero: true);
        using var stepped = Tagger(maskZero: true);
        var source = new SequenceBatchSource(Ids, Tags, batchSize: 3, seed: 2);
        var history = fitted.Fit(source, epochs: 2, verbose: 0);
        var replay = new SequenceBatchSource(Ids, Tags, batchSize: 3, seed: 2);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            foreach (var batch in replay.GetBatches(epoch))
            {
                stepped.TrainOnBatch(batch.Inputs, batch.Targets, batch.SampleWeight);
            }
        }
        Assert.HasCount(2, history.Loss);
        Assert.IsTrue(TrainingTestModels.SameWeights(fitted.GetWeights(), stepped.GetWeights()));
        Assert.IsFalse(TrainingTestModels.SameWeights(fitted.GetWeights(), Tagger(maskZero: true).GetWeights()));
    }

    // Embedding(80, 6) → SimpleRNN(5) → TimeDistributed(Dense(4, softmax)), seeded.
    private static Sequential Tagger(bool maskZero)
    {
        var model = new Sequential(seed: 11);
        model.Add(new Embedding(80, 6, maskZero: maskZero, inputShape: [-1]));
        model.Add(new SimpleRNN(5, returnSequences: true));
        model.Add(new TimeDistributed(new Dense(4, activation: "softmax")));
        model.Compile("sparse_categorical_crossentropy", new Adam(learningRate: 0.01));
        return model;
    }

    private static long[] Flat(Tensor t) => t.data<long>().ToArray();

    // Each batch's sequences, named by their first id (sequence s starts with 10·s + 1 in Ids, s + 1 in the shuffle test).
    private static List<int[]> Rows(IEnumerable<Batch> batches)
    {
        var rows = new List<int[]>();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            rows.Add(batch.Inputs[0][.., 0].data<long>().Select(v => (int)v).ToArray());
        }
        return rows;
    }
}
