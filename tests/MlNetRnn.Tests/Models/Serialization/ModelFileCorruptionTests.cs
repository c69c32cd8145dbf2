using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using static MlNetRnn.Tests.Models.Serialization.SerializationModels;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models.Serialization;

/// <summary>Damaged and crafted model files: each is refused at load with the message of the check that fails.</summary>
[TestClass]
public sealed class ModelFileCorruptionTests
{
    private static byte[] _file = [];
    private static string _config = "";
    private static Tensor[] _weights = [];

    // The shared-layer model: dense/kernel (3, 2), dense/bias (2), dense_1/kernel (4, 1), dense_1/bias (1).
    [ClassInitialize]
    public static void SaveOne(TestContext context)
    {
        using var model = Shared(seed: 5);
        _file = Saved(model);
        _config = model.ToJson();
        _weights = model.GetWeights().Select(w => w.DetachFromDisposeScope()).ToArray();
    }

    private static long ContentLength => _file.Length - 32;

    [TestMethod]
    public void TheUndamagedFile_Loads()
    {
        using var loaded = MlNetRnn.Models.Model.Load(new MemoryStream(_file));
        Assert.AreEqual(_config, loaded.ToJson());
    }

    [TestMethod]
    [DataRow(0, 0, "Not an MlNetRnn model file: it does not begin with \"MLNETRNN\".")]
    [DataRow(7, 3, "Not an MlNetRnn model file: it does not begin with \"MLNETRNN\".")]
    [DataRow(8, 1, "The model file has format version 3; this MlNetRnn reads version 1. Upgrade MlNetRnn to load it.")]
    [DataRow(19, 6, "The model file is truncated: its header gives {big} bytes (content and checksum); {length} are present.")]
    [DataRow(30, 0, "The model file's SHA-256 checksum does not match its content: the file is corrupt.")]
    [DataRow(-40, 5, "The model file's SHA-256 checksum does not match its content: the file is corrupt.")]
    [DataRow(-33, 7, "The model file's SHA-256 checksum does not match its content: the file is corrupt.")]
    [DataRow(-1, 2, "The model file's SHA-256 checksum does not match its content: the file is corrupt.")]
    public void BitFlips_AreRefused(int offset, int bit, string message)
    {
        var file = _file.ToArray();
        file[offset < 0 ? file.Length + offset : offset] ^= (byte)(1 << bit);
        message = message.Replace("{big}", ((ulong)_file.Length + (1UL << 62)).ToString()).Replace("{length}", _file.Length.ToString());
        Assert.AreEqual(message, LoadFails(file).Message);
    }

    [TestMethod]
    [DataRow(0, "Not an MlNetRnn model file: it does not begin with \"MLNETRNN\".")]
    [DataRow(5, "The model file is truncated: it has 5 bytes; its header alone takes 20.")]
    [DataRow(19, "The model file is truncated: it has 19 bytes; its header alone takes 20.")]
    [DataRow(20, "The model file is truncated: its header gives {length} bytes (content and checksum); 20 are present.")]
    [DataRow(300, "The model file is truncated: its header gives {length} bytes (content and checksum); 300 are present.")]
    [DataRow(-1, "The model file is truncated: its header gives {length} bytes (content and checksum); {length - 1} are present.")]
    public void TruncatedFiles_AreRefused(int keep, string message)
    {
        var file = _file[..(keep < 0 ? _file.Length + keep : keep)];
        message = message.Replace("{length - 1}", (_file.Length - 1).ToString()).Replace("{length}", _file.Length.ToString());
        Assert.AreEqual(message, LoadFails(file).Message);
    }

    [TestMethod]
    public void TrailingBytes_AreRefused() =>
        Assert.AreEqual("The model file has 3 trailing byte(s) after its checksum.", LoadFails([.. _file, 0, 0, 0]).Message);

    [TestMethod]
    public void OtherFiles_AreNotModelFiles() =>
        Assert.AreEqual("Not an MlNetRnn model file: it does not begin with \"MLNETRNN\".",
            LoadFails(Encoding.UTF8.GetBytes("{\"class_name\": \"Sequential\"}")).Message);

    [TestMethod]
    [DataRow(2u, "The model file has format version 2; this MlNetRnn reads version 1. Upgrade MlNetRnn to load it.")]
    [DataRow(0u, "The model file has format version 0, which does not exist; this MlNetRnn reads version 1.")]
    public void OtherVersions_AreRefused(uint version, string message)
    {
        var file = _file.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), version);
        Assert.AreEqual(message, LoadFails(file).Message);
    }

    [TestMethod]
    public void AContentLengthBelowTheMinimum_IsRefused()
    {
        var file = _file.ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(12), 27);
        Assert.AreEqual("The model file's header gives a content length of 27 bytes; every model file has at least 28.", LoadFails(file).Message);
    }

    [TestMethod]
    public void ANaNWeight_IsRefused()
    {
        // The last 4 bytes of the content are dense_1/bias's one value.
        var file = Edited(_file, content => BinaryPrimitives.WriteSingleLittleEndian(content.AsSpan(content.Length - 4), float.NaN));
        Assert.AreEqual("Weight 'dense_1/bias' holds a non-finite value (NaN) at flat index 0; a model file holds finite weights only.", LoadFails(file).Message);
        // dense_1/kernel's last value comes before dense_1/bias's 28-byte record.
        file = Edited(_file, content => BinaryPrimitives.WriteSingleLittleEndian(content.AsSpan(content.Length - 28 - 4), float.NegativeInfinity));
        Assert.AreEqual("Weight 'dense_1/kernel' holds a non-finite value (-Infinity) at flat index 3; a model file holds finite weights only.", LoadFails(file).Message);
    }

    private static Weight[] Weights() =>
        [Weight.Of("dense/kernel", _weights[0]), Weight.Of("dense/bias", _weights[1]), Weight.Of("dense_1/kernel", _weights[2]), Weight.Of("dense_1/bias", _weights[3])];

    [TestMethod]
    public void HandCraftedFile_WithTheSameContent_Loads()
    {
        using var loaded = MlNetRnn.Models.Model.Load(new MemoryStream(Craft(_config, Weights())));
        Assert.IsTrue(SerializationModels.Same(_weights[2], loaded.GetWeights()[2]));
    }

    [TestMethod]
    [DataRow("transposed kernel", "Weight 'dense/kernel' has shape (2, 3) in the file; the config gives (3, 2).")]
    [DataRow("bias before kernel", "Weight 0 is 'dense/bias' in the file; the config gives 'dense/kernel'.")]
    [DataRow("float64 kernel", "Weight 'dense/kernel' has dtype float64 in the file; the config gives float32.")]
    [DataRow("a layer's weights missing", "Layer 'dense_1' (Dense) needs 5 weight values by its config; the file holds 0 for it.")]
    [DataRow("a weight of no layer", "The model file holds 5 weights; the config gives 4 (dense/kernel, dense/bias, dense_1/kernel, dense_1/bias).")]
    [DataRow("unknown dtype code", "Weight 'dense/kernel' has dtype code 7; expected 1 = float32, 2 = float64.")]
    [DataRow("rank 9", "Weight 'dense/kernel' has rank 9; at most 8 is allowed.")]
    [DataRow("negative size", "Weight 'dense/kernel' has a negative size in its shape (-3, -2).")]
    [DataRow("2^31 × 2^31 values", "Weight 'dense/kernel' has shape (2147483648, 2147483648), more than 2147483647 values; at most that many are allowed.")]
    [DataRow("more values than bytes", "Weight 'dense_1/bias' has shape (1000, 1000) of float32: 4000000 bytes, but only 4 remain in the file.")]
    [DataRow("a name too long", "Weight 0's name takes 1025 bytes; at most 1024 are allowed.")]
    public void InconsistentWeights_AreRefused(string edit, string message)
    {
        var weights = Weights();
        var kernel = weights[0];
        switch (edit)
        {
            case "transposed kernel": weights[0] = kernel with { Shape = [2, 3] }; break;
            case "bias before kernel": (weights[0], weights[1]) = (weights[1], weights[0]); break;
            case "float64 kernel": weights[0] = Weight.Of("dense/kernel", _weights[0].to_type(ScalarType.Float64)); break;
            case "a layer's weights missing": weights = weights[..2]; break;
            case "a weight of no layer": weights = [.. weights, Weight.Floats("ghost/kernel", [1], 1f)]; break;
            case "unknown dtype code": weights[0] = kernel with { DType = 7 }; break;
            case "rank 9": weights[0] = kernel with { Shape = [1, 1, 1, 1, 1, 1, 1, 3, 2] }; break;
            case "negative size": weights[0] = kernel with { Shape = [-3, -2] }; break;
            case "2^31 × 2^31 values": weights[0] = kernel with { Shape = [1L << 31, 1L << 31] }; break;
            case "more values than bytes": weights[3] = weights[3] with { Shape = [1000, 1000] }; break;
            case "a name too long": weights[0] = kernel with { Name = new string('k', 1025) }; break;
        }
        Assert.AreEqual(message, LoadFails(Craft(_config, weights)).Message);
    }

    // A crafted config asks for gigabytes; the file holds a few values. Refused before any layer allocates.
    [TestMethod]
    public void HugeSizesInTheConfig_AreRefusedBeforeAllocating()
    {
        var config = _config.Replace("\"name\":\"dense\",\"units\":2,", "\"name\":\"dense\",\"units\":1073741824,");
        Assert.AreNotEqual(_config, config);
        Assert.AreEqual("Layer 'dense' (Dense) needs 4294967296 weight values by its config; the file holds 8 for it.",
            LoadFails(Craft(config, Weights())).Message);

        var embedding = """
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "Embedding", "config": {"name": "embedding", "input_dim": 268435456, "output_dim": 268435456, "input_shape": [-1]}}]}}
            """;
        Assert.AreEqual("Layer 'embedding' (Embedding) needs 72057594037927936 weight values by its config; the file holds 4 for it.",
            LoadFails(Craft(embedding, Weight.Floats("embedding/embeddings", [2, 2], 1, 2, 3, 4))).Message);
    }

    [TestMethod]
    public void BadJson_IsRefused()
    {
        var json = "{\"class_name\": \"Sequential\", \"config\": {";
        var parserMessage = Assert.Throws<JsonException>(() => JsonNode.Parse(json)).Message;
        Assert.AreEqual($"The model config is not valid JSON: {parserMessage}", LoadFails(Craft(json)).Message);
    }

    [TestMethod]
    public void DeeplyNestedJson_IsRefused()
    {
        var json = new string('[', 100) + new string(']', 100);
        StringAssert.StartsWith(LoadFails(Craft(json)).Message, "The model config is not valid JSON: The maximum configured depth of 64 has been exceeded.");
    }

    [TestMethod]
    public void ConfigThatIsNotUtf8_IsRefused()
    {
        var file = Edited(Craft("{\"x\": 1}"), content => content[24] = 0xFF);
        Assert.AreEqual("The model file's config is not valid UTF-8.", LoadFails(file).Message);
    }

    [TestMethod]
    public void UnknownLayerClass_IsNamed()
    {
        var config = _config.Replace("\"class_name\":\"Concatenate\"", "\"class_name\":\"Attention\"");
        Assert.AreEqual($"Unknown layer class 'Attention'; expected one of: {string.Join(", ", LayerRegistry.ClassNames)}.",
            LoadFails(Craft(config, Weights())).Message);
    }

    // A recurrent layer whose config asks for 2^30 units is refused from the config alone, before any weight exists.
    [TestMethod]
    public void HugeRecurrentLayerInTheConfig_IsRefusedBeforeAllocating()
    {
        var config = """
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "LSTM", "config": {"name": "lstm", "units": 1073741824, "input_shape": [-1, 3]}}]}}
            """;
        Assert.AreEqual("Layer 'lstm' (LSTM) needs 4611686035607257088 weight values by its config; the file holds 0 for it.", LoadFails(Craft(config)).Message);
    }

    [TestMethod]
    [DataRow(16777217u, "The model file's config takes 16777217 bytes; at most 16777216 are allowed.")]
    [DataRow(1000000u, "The model file's content ends inside its config.")]
    public void ConfigLengths_AreBounded(uint length, string message)
    {
        var file = Edited(_file, content => BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(20), length));
        Assert.AreEqual(message, LoadFails(file).Message);
    }

    [TestMethod]
    [DataRow(200000u, "The model file lists 200000 weights; at most 100000 are allowed.")]
    [DataRow(5u, "The model file's content ends inside weight 4's name length.")]
    [DataRow(3u, "The model file has 28 unread bytes between its last weight and its checksum.")]
    public void WeightCounts_AreChecked(uint count, string message)
    {
        int at = 24 + Encoding.UTF8.GetByteCount(_config);
        var file = Edited(_file, content => BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(at), count));
        Assert.AreEqual(message, LoadFails(file).Message);
    }

    [TestMethod]
    public void BytesBetweenTheLastWeightAndTheChecksum_AreRefused()
    {
        var file = Reseal([.. _file[..^32], 1, 2]);
        Assert.AreEqual("The model file has 2 unread bytes between its last weight and its checksum.", LoadFails(file).Message);
    }
}
