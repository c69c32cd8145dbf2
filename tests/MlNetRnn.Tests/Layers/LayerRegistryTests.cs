using System.Text.Json.Nodes;
using MlNetRnn.Layers;

namespace MlNetRnn.Tests.Layers;

[TestClass]
public sealed class LayerRegistryTests
{
    [TestMethod]
    public void UnknownClass_IsNamed()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            LayerRegistry.FromJson(new JsonObject { ["class_name"] = "Lambda", ["config"] = new JsonObject() }));
        StringAssert.Contains(e.Message, "Unknown layer class 'Lambda'");
        StringAssert.Contains(e.Message, "Dense");
    }

    [TestMethod]
    public void BadConfigs_SayWhatWasReceived()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => LayerRegistry.FromJson(new JsonObject { ["config"] = new JsonObject() }));
        StringAssert.Contains(e.Message, "needs a string 'class_name'");
        e = Assert.ThrowsExactly<InvalidDataException>(() =>
            LayerRegistry.FromJson(new JsonObject { ["class_name"] = "Dense", ["config"] = new JsonObject { ["units"] = "ten" } }));
        StringAssert.Contains(e.Message, "The Dense config's 'units' must be an integer; received \"ten\"");
        e = Assert.ThrowsExactly<InvalidDataException>(() =>
            LayerRegistry.FromJson(new JsonObject { ["class_name"] = "Dense", ["config"] = new JsonObject { ["units"] = -2 } }));
        StringAssert.Contains(e.Message, "received units=-2");
    }

    [TestMethod]
    public void EveryRegisteredClass_RoundTrips()
    {
        Layer[] layers =
        [
            new Dense(3), new Embedding(4, 2), new Dropout(0.5), new Concatenate(), new Conv1D(2, 3),
            new GlobalMaxPooling1D(), new TimeDistributed(new TimeDistributed(new Dense(1))),
            new SimpleRNN(2), new LSTM(3, returnSequences: true), new GRU(2, resetAfter: false),
            new Bidirectional(new LSTM(2, returnSequences: true), mergeMode: "sum"),
        ];
        CollectionAssert.AreEquivalent(LayerRegistry.ClassNames.ToArray(), layers.Select(l => l.TypeName).ToArray());
        foreach (var layer in layers)
        {
            LayerChecks.AssertConfigRoundTrip(layer);
        }
    }
}
