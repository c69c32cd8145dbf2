using MlNetRnn.Tests.Numerics;
using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Models.Serialization;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models.Serialization;

[TestClass]
public sealed class ModelConfigTests
{
    // ToJson → FromJson → ToJson gives the same text; with the first model's weights the rebuilt one predicts the same.
    private static Model AssertRoundTrip(Model model, Func<string, Model> fromJson, IReadOnlyList<Tensor> inputs)
    {
        var json = model.ToJson();
        var rebuilt = fromJson(json);
        Assert.AreEqual(json, rebuilt.ToJson());
        Assert.AreEqual(model.GetType(), rebuilt.GetType());
        CollectionAssert.AreEqual(model.NamedWeights.Select(w => w.Path).ToArray(), rebuilt.NamedWeights.Select(w => w.Path).ToArray());
        CollectionAssert.AreEqual(model.Layers.Select(l => l.Name).ToArray(), rebuilt.Layers.Select(l => l.Name).ToArray());
        rebuilt.SetWeights(model.GetWeights());
        var expected = model.PredictOutputs(inputs);
        var actual = rebuilt.PredictOutputs(inputs);
        Assert.AreEqual(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.IsTrue(SerializationModels.Same(e, a), "identical predictions");
        }
        return rebuilt;
    }

    [TestMethod]
    public void Sequential_RoundTrips()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.Tagger(seed: 1);
        using var rebuilt = AssertRoundTrip(model, json => Model.FromJson(json, seed: 2), [SerializationModels.TaggerIds()]);
        Assert.AreEqual("tagger", rebuilt.Name);
        Assert.AreEqual(2, rebuilt.Seed);
    }

    [TestMethod]
    public void Sequential_HasKerasShape()
    {
        using var model = new Sequential(seed: 1);
        model.Add(new Dense(2, inputShape: [3], name: "out"));
        Assert.AreEqual(
            """{"class_name":"Sequential","config":{"name":"sequential","dtype":"float32","layers":[""" +
            """{"class_name":"Dense","config":{"name":"out","input_shape":[3],"units":2,"activation":"linear","use_bias":true,"kernel_initializer":"glorot_uniform","bias_initializer":"zeros"}}]}}""",
            model.ToJson());
    }

    [TestMethod]
    public void Sequential_BuiltFromItsFirstBatch_StartsWithAnInputLayer()
    {
        using var scope = NewDisposeScope();
        using var model = new Sequential(seed: 1);
        model.Add(new Dense(2));
        Assert.ThrowsExactly<InvalidOperationException>(() => model.ToJson());
        var x = tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(2, 3);
        model.Predict(x);
        StringAssert.StartsWith(model.ToJson(),
            """{"class_name":"Sequential","config":{"name":"sequential","dtype":"float32","layers":[{"class_name":"InputLayer","config":{"name":"input_layer","shape":[3],"dtype":"float32"}},{"class_name":"Dense","config":{"name":"dense","units":2,""");
        using var rebuilt = AssertRoundTrip(model, json => Model.FromJson(json), [x]);
        Assert.IsTrue(rebuilt.Built);
        CollectionAssert.AreEqual(new long[] { 3 }, rebuilt.InputShape);
    }

    [TestMethod]
    public void TwoInputs_ConcatenateCharEncoderDropout_RoundTrip()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.WordsAndChars(seed: 3);
        using var rebuilt = AssertRoundTrip(model, json => Model.FromJson(json, seed: 4), SerializationModels.WordsAndCharsInputs());
        CollectionAssert.AreEqual(new[] { "words", "chars" }, rebuilt.Inputs.Select(i => i.Name).ToArray());
        var config = JsonNode.Parse(model.ToJson())!["config"]!;
        Assert.AreEqual("""[["words",0,0],["chars",0,0]]""", config["input_layers"]!.ToJsonString());
        Assert.AreEqual("""[["tags",0,0]]""", config["output_layers"]!.ToJsonString());
        // Ids are int64; the Concatenate reads a list of two tensors.
        var layers = config["layers"]!.AsArray();
        Assert.AreEqual("""{"name":"words","shape":[-1],"dtype":"int64"}""", layers[0]!["config"]!.ToJsonString());
        Assert.AreEqual("""{"name":"chars","shape":[-1,-1],"dtype":"int64"}""", layers[1]!["config"]!.ToJsonString());
        var concatenate = layers.Single(l => l!["class_name"]!.GetValue<string>() == "Concatenate")!;
        Assert.AreEqual(
            """[{"args":[[{"class_name":"__keras_tensor__","config":{"keras_history":["embedding",0,0]}},""" +
            """{"class_name":"__keras_tensor__","config":{"keras_history":["time_distributed_2",0,0]}}]],"kwargs":{}}]""",
            concatenate["inbound_nodes"]!.ToJsonString());
    }

    [TestMethod]
    public void SharedLayer_HasTwoCalls_AndRoundTrips()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.Shared(seed: 5);
        Assert.AreEqual(
            """{"class_name":"Functional","config":{"name":"functional","dtype":"float32","layers":[""" +
            """{"class_name":"InputLayer","config":{"name":"input_layer","shape":[3],"dtype":"float32"},"name":"input_layer","inbound_nodes":[]},""" +
            """{"class_name":"InputLayer","config":{"name":"input_layer_1","shape":[3],"dtype":"float32"},"name":"input_layer_1","inbound_nodes":[]},""" +
            """{"class_name":"Dense","config":{"name":"dense","units":2,"activation":"linear","use_bias":true,"kernel_initializer":"glorot_uniform","bias_initializer":"zeros"},"name":"dense","inbound_nodes":[""" +
            """{"args":[{"class_name":"__keras_tensor__","config":{"keras_history":["input_layer",0,0]}}],"kwargs":{}},""" +
            """{"args":[{"class_name":"__keras_tensor__","config":{"keras_history":["input_layer_1",0,0]}}],"kwargs":{}}]},""" +
            """{"class_name":"Concatenate","config":{"name":"concatenate","axis":-1},"name":"concatenate","inbound_nodes":[""" +
            """{"args":[[{"class_name":"__keras_tensor__","config":{"keras_history":["dense",0,0]}},{"class_name":"__keras_tensor__","config":{"keras_history":["dense",1,0]}}]],"kwargs":{}}]},""" +
            """{"class_name":"Dense","config":{"name":"dense_1","units":1,"activation":"linear","use_bias":true,"kernel_initializer":"glorot_uniform","bias_initializer":"zeros"},"name":"dense_1","inbound_nodes":[""" +
            """{"args":[{"class_name":"__keras_tensor__","config":{"keras_history":["concatenate",0,0]}}],"kwargs":{}}]}],""" +
            "\"input_layers\":[[\"input_layer\",0,0],[\"input_layer_1\",0,0]],\"output_layers\":[[\"dense_1\",0,0]]}}",
            model.ToJson());
        using var rebuilt = AssertRoundTrip(model, json => Model.FromJson(json), SerializationModels.SharedInputs());
        Assert.AreEqual(4, rebuilt.NamedWeights.Count(), "the shared Dense has one kernel and one bias");
    }

    [TestMethod]
    public void SecondOutputOfALayer_IsNamedByItsIndex_AndRoundTrips()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.WithTwoOutputs(seed: 6);
        var config = JsonNode.Parse(model.ToJson())!["config"]!;
        Assert.AreEqual("""[["concatenate",0,0],["halves",0,1]]""", config["output_layers"]!.ToJsonString());
        var concatenate = config["layers"]!.AsArray().Single(l => l!["name"]!.GetValue<string>() == "concatenate")!;
        StringAssert.Contains(concatenate["inbound_nodes"]!.ToJsonString(), """{"keras_history":["halves",0,1]}""");
        using var rebuilt = AssertRoundTrip(model,
            json => ModelConfig.FromJson(json, seed: 7, SerializationModels.LayerFromJsonWithHalves), [SerializationModels.WithTwoOutputsInput()]);
        Assert.AreEqual(2, rebuilt.OutputShapes.Count);
    }

    [TestMethod]
    public void Float64Model_KeepsItsDtype()
    {
        using var scope = NewDisposeScope();
        var previous = get_default_dtype();
        using (var model = Float64.Run(() => SerializationModels.Shared(seed: 8)))
        {
            StringAssert.Contains(model.ToJson(), "\"dtype\":\"float64\",\"layers\"");
            using var rebuilt = Model.FromJson(model.ToJson());
            Assert.AreEqual(ScalarType.Float64, rebuilt.GetWeights()[0].dtype);
            Assert.AreEqual(previous, get_default_dtype(), "the default dtype is restored");
        }
    }

    [TestMethod]
    public void LayersListedBeforeWhatTheyRead_AreConnected()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.Shared(seed: 5);
        var json = JsonNode.Parse(model.ToJson())!;
        var layers = json["config"]!["layers"]!.AsArray();
        var reordered = new JsonArray(layers.Reverse().Select(l => l!.DeepClone()).ToArray());
        json["config"]!["layers"] = reordered;
        using var rebuilt = Model.FromJson(json.ToJsonString());
        Assert.AreEqual(model.ToJson(), rebuilt.ToJson());
    }

    [TestMethod]
    public void FromJson_RefusesHugeSizes_BeforeBuilding()
    {
        var json = """
            {"class_name": "Sequential", "config": {"name": "huge", "layers": [
              {"class_name": "Dense", "config": {"name": "dense", "units": 1073741824, "input_shape": [5]}}]}}
            """;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Model.FromJson(json));
        Assert.AreEqual("The model config implies 6442450944 weight values; at most 2147483648 are allowed.", e.Message);
    }

    [TestMethod]
    [DataRow("[1, 2]", "The model config must be a JSON object {\"class_name\", \"config\"}; received [1,2].")]
    [DataRow("""{"class_name": "Model", "config": {}}""", "The model config's 'class_name' must be \"Functional\" or \"Sequential\"; received \"Model\".")]
    [DataRow("""{"class_name": "Sequential"}""", "The model config needs a 'config' object; received nothing.")]
    [DataRow("""{"class_name": "Sequential", "config": {"name": "s", "dtype": "int8", "layers": []}}""", "The Sequential config's 'dtype' must be \"float32\" or \"float64\"; received \"int8\".")]
    [DataRow("""{"class_name": "Sequential", "config": {"layers": []}}""", "The Sequential config has no 'name'.")]
    [DataRow("""{"class_name": "Functional", "config": {"name": "f", "layers": {}}}""", "The Functional config's 'layers' must be an array; received {}.")]
    [DataRow("""{"class_name": "Functional", "config": {"name": "f", "layers": [{"class_name": "Dense", "config": {"units": 2}, "inbound_nodes": []}]}}""",
        "The Functional config's layer 0 needs a string 'name'; received nothing.")]
    public void MalformedConfigs_SayWhatIsWrong(string json, string message)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Model.FromJson(json));
        Assert.AreEqual(message, e.Message);
    }

    // Edits of the shared-layer model's config, and what each is refused with.
    [TestMethod]
    [DataRow("rename dense_1 to dense", "The Functional config names two layers 'dense'; layer names must be unique.")]
    [DataRow("read a layer that is not listed", "The inbound_nodes of 'concatenate' read layer 'nowhere', which the config does not list.")]
    [DataRow("read a call that does not exist", "The inbound_nodes of 'concatenate' read dense[2][0], but layer 'dense' has 2 call(s).")]
    [DataRow("read an output that does not exist", "The Functional config's inbound_nodes of 'concatenate' read dense[1][1], but layer 'dense' has 1 output(s).")]
    [DataRow("make a cycle", "Call 0 of layer 'dense' reads dense_1[0][0], which is never produced (a cycle, or a call that does not exist).")]
    [DataRow("add call arguments", "Call 0 of layer 'dense_1' has call arguments (kwargs) {\"training\":true}; only inputs are supported.")]
    [DataRow("leave an input out", "The InputLayer 'input_layer_1' is not among the Functional config's input_layers.")]
    [DataRow("name the wrong output", "The Functional config's output_layers read dense_1[0][3], but layer 'dense_1' has 1 output(s).")]
    [DataRow("call the shared layer on another shape", "The model config is not valid: Layer 'dense' was built for input (None, 3); received (None, 5).")]
    public void InconsistentGraphs_AreRefused(string edit, string message)
    {
        using var model = SerializationModels.Shared(seed: 5);
        var json = JsonNode.Parse(model.ToJson())!;
        var config = json["config"]!;
        var layers = config["layers"]!.AsArray();
        JsonNode History(int layer, int call, int arg) => layers[layer]!["inbound_nodes"]![call]!["args"]![0]![arg]!["config"]!["keras_history"]!;
        switch (edit)
        {
            case "rename dense_1 to dense": layers[4]!["name"] = "dense"; layers[4]!["config"]!["name"] = "dense"; break;
            case "read a layer that is not listed": History(3, 0, 0)[0] = "nowhere"; break;
            case "read a call that does not exist": History(3, 0, 1)[1] = 2; break;
            case "read an output that does not exist": History(3, 0, 1)[2] = 1; break;
            case "make a cycle": layers[2]!["inbound_nodes"]![0]!["args"]![0]!["config"]!["keras_history"]![0] = "dense_1"; break;
            case "add call arguments": layers[4]!["inbound_nodes"]![0]!["kwargs"] = new JsonObject { ["training"] = true }; break;
            case "leave an input out": config["input_layers"]!.AsArray().RemoveAt(1); break;
            case "name the wrong output": config["output_layers"]![0]![2] = 3; break;
            case "call the shared layer on another shape": layers[1]!["config"]!["shape"] = new JsonArray(5); break;
        }
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Model.FromJson(json.ToJsonString()));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void FloatInputFeedingAnEmbedding_IsRefused()
    {
        using var model = SerializationModels.WordsAndChars(seed: 1);
        var json = model.ToJson().Replace("""{"name":"words","shape":[-1],"dtype":"int64"}""", """{"name":"words","shape":[-1],"dtype":"float32"}""");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Model.FromJson(json));
        Assert.AreEqual("The InputLayer 'words' feeds embedding (Embedding), which reads integer ids; its dtype is float32.", e.Message);
    }

    [TestMethod]
    public void UnknownLayerClass_IsNamed()
    {
        var json = """
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "Attention", "config": {"name": "attention"}}]}}
            """;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Model.FromJson(json));
        Assert.AreEqual($"Unknown layer class 'Attention'; expected one of: {string.Join(", ", LayerRegistry.ClassNames)}.", e.Message);
    }
}
