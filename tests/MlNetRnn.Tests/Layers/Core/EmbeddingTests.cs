using MlNetRnn.Layers;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Core;

[TestClass]
public sealed class EmbeddingTests
{
    [TestMethod]
    public void AnyRankOfIds_GetsAVectorEach()
    {
        using var scope = NewDisposeScope();
        var embedding = new Embedding(5, 2, maskZero: true);
        CollectionAssert.AreEqual(new long[] { -1, -1, 2 }, embedding.ComputeOutputShapes([-1, -1])[0]);
        embedding.Build([-1, -1], null);
        var table = tensor(new float[] { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4 }).reshape(5, 2);
        embedding.Weights[0].Assign(table, "embeddings");
        var ids = tensor(new long[] { 1, 2, 0, 4, 0, 0 }).reshape(1, 2, 3);   // (batch, words, chars)
        var vectors = embedding.Call(ids)[0];
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 2 }, vectors.shape);
        CollectionAssert.AreEqual(new float[] { 1, 1, 2, 2, 0, 0, 4, 4, 0, 0, 0, 0 }, vectors.data<float>().ToArray());
        var mask = embedding.ComputeMask(ids, null)!;
        CollectionAssert.AreEqual(new long[] { 1, 2, 3 }, mask.shape);
        CollectionAssert.AreEqual(new[] { true, true, false, true, false, false }, mask.data<bool>().ToArray());
    }

    [TestMethod]
    public void Gradients_MatchFiniteDifferences() => Float64.Run(() =>
    {
        using var g = new Generator(5);
        var embedding = new Embedding(4, 3);
        embedding.Build([5], g);
        var ids = tensor(new long[] { 0, 3, 3, 1, 2, 1, 1, 0, 3, 2 }).reshape(2, 5);
        Assert.AreEqual(12, LayerChecks.AssertGradientsMatch(embedding, [ids]));
    });

    [TestMethod]
    public void Config_RoundTrips()
    {
        var embedding = new Embedding(100, 16, maskZero: true, embeddingsInitializer: "normal", inputShape: [-1]);
        var config = embedding.GetConfig();
        Assert.AreEqual(100, (int)config["input_dim"]!);
        Assert.AreEqual(16, (int)config["output_dim"]!);
        Assert.IsTrue((bool)config["mask_zero"]!);
        var rebuilt = (Embedding)LayerChecks.AssertConfigRoundTrip(embedding);
        Assert.IsTrue(rebuilt.MaskZero);
    }
}
