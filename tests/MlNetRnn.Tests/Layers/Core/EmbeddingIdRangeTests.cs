using MlNetRnn.Layers;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Core;

/// <summary>The Embedding's id range check (one min/max reduction) names the lowest and highest id received.</summary>
[TestClass]
public sealed class EmbeddingIdRangeTests
{
    [TestMethod]
    [DataRow(new long[] { 1, 5, 2 }, "[1, 5]")]
    [DataRow(new long[] { -3, 0, 4 }, "[-3, 4]")]
    public void IdsOutsideTheTable_AreRejectedWithTheirRange(long[] ids, string range)
    {
        using var scope = NewDisposeScope();
        var embedding = new Embedding(5, 2, name: "words");
        embedding.Build([-1], manual_seed(1));
        var error = Assert.ThrowsExactly<ArgumentException>(() => embedding.Call(tensor(ids).reshape(1, ids.Length)));
        Assert.AreEqual($"Layer 'words' (Embedding) takes ids in [0, 4]; received ids in {range}. (Parameter 'inputs')", error.Message);
    }

    [TestMethod]
    public void IdsInsideTheTable_PickTheirRows()
    {
        using var scope = NewDisposeScope();
        var embedding = new Embedding(5, 2, name: "words");
        embedding.Build([-1], manual_seed(1));
        var table = embedding.Weights[0].Read();
        var vectors = embedding.Call(tensor(new long[] { 0, 4, 4 }).reshape(1, 3))[0];
        CollectionAssert.AreEqual(new long[] { 1, 3, 2 }, vectors.shape);
        var rows = table.data<float>().ToArray();
        float[] expected = [rows[0], rows[1], rows[8], rows[9], rows[8], rows[9]];
        CollectionAssert.AreEqual(expected, vectors.data<float>().ToArray());
    }
}
