using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Models.Serialization;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models.Serialization;

[TestClass]
public sealed class ModelFileTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("mlnetrnn-modelfile-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static void AssertSameModel(Model expected, Model actual, IReadOnlyList<Tensor> inputs)
    {
        Assert.AreEqual(expected.ToJson(), actual.ToJson());
        CollectionAssert.AreEqual(expected.NamedWeights.Select(w => w.Path).ToArray(), actual.NamedWeights.Select(w => w.Path).ToArray());
        foreach (var (e, a) in expected.GetWeights().Zip(actual.GetWeights()))
        {
            Assert.AreEqual(e.dtype, a.dtype);
            Assert.IsTrue(SerializationModels.Same(e, a), "identical weights");
        }
        foreach (var (e, a) in expected.PredictOutputs(inputs).Zip(actual.PredictOutputs(inputs)))
        {
            Assert.IsTrue(SerializationModels.Same(e, a), "identical predictions");
        }
    }

    [TestMethod]
    public void SaveLoad_Sequential_GivesTheSameModel()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.Tagger(seed: 1);
        var path = Path.Combine(_folder, "tagger.mlnetrnn");
        model.Save(path);
        using var loaded = Model.Load(path, seed: 9);
        Assert.IsInstanceOfType<Sequential>(loaded);
        Assert.AreEqual(9, loaded.Seed);
        AssertSameModel(model, loaded, [SerializationModels.TaggerIds()]);
        CollectionAssert.AreEqual(new[] { "tagger.mlnetrnn" }, Directory.GetFiles(_folder).Select(Path.GetFileName).ToArray(), "no temporary file left");
    }

    [TestMethod]
    public void SaveLoad_TwoInputFunctional_GivesTheSameModel_AndTheSameBytes()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.WordsAndChars(seed: 3);
        var bytes = SerializationModels.Saved(model);
        using var loaded = Model.Load(new MemoryStream(bytes));
        AssertSameModel(model, loaded, SerializationModels.WordsAndCharsInputs());
        CollectionAssert.AreEqual(bytes, SerializationModels.Saved(loaded), "saving the loaded model writes the same file");
    }

    [TestMethod]
    public void SaveLoad_RecurrentModels_GiveTheSameModel()
    {
        using var scope = NewDisposeScope();
        // Words → Bidirectional(LSTM) ⊕ chars → TimeDistributed(Bidirectional(GRU)) → Dense, on right-padded ids.
        var words = new Input([-1], name: "words");
        var chars = new Input([-1, 5], name: "chars");
        var w = new Embedding(9, 4, maskZero: true).Apply(words)[0];
        var c = new TimeDistributed(new Embedding(7, 3, maskZero: true)).Apply(chars)[0];
        c = new TimeDistributed(new Bidirectional(new GRU(2))).Apply(c)[0];
        var x = new Concatenate().Apply(w, c)[0];
        x = new Bidirectional(new LSTM(3, returnSequences: true), mergeMode: "ave").Apply(x)[0];
        x = new SimpleRNN(4, returnSequences: true, activation: "sigmoid").Apply(x)[0];
        var outputs = new TimeDistributed(new Dense(3, activation: "softmax")).Apply(x);
        using var model = new Model(new[] { words, chars }, outputs, seed: 5);
        var wordIds = tensor(new long[] { 1, 2, 3, 4, 5, 0 }).reshape(2, 3);
        var charIds = randint(1, 7, [2, 3, 5], dtype: ScalarType.Int64).index_put_(tensor(0L), TensorIndex.Slice(), TensorIndex.Slice(), TensorIndex.Slice(3));
        var path = Path.Combine(_folder, "recurrent.mlnetrnn");
        model.Save(path);
        using var loaded = Model.Load(path);
        AssertSameModel(model, loaded, [wordIds, charIds]);

        // A second output (the state) round-trips too.
        var input = new Input([4, 2]);
        using var withState = new Model(input, new LSTM(3, returnState: true).Apply(input), seed: 2);
        using var fromJson = Model.FromJson(withState.ToJson());
        fromJson.SetWeights(withState.GetWeights());
        AssertSameModel(withState, fromJson, [randn(2, 4, 2)]);
    }

    [TestMethod]
    public void SaveLoad_SharedLayer_FromAStreamThatCannotSeek()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.Shared(seed: 5);
        using var loaded = Model.Load(new ForwardOnlyStream(SerializationModels.Saved(model)));
        AssertSameModel(model, loaded, SerializationModels.SharedInputs());
    }

    [TestMethod]
    public void SaveLoad_Float64_KeepsEveryBit()
    {
        using var scope = NewDisposeScope();
        var previous = get_default_dtype();
        using (var model = Float64.Run(() => SerializationModels.WordsAndChars(seed: 4)))
        {
            var path = Path.Combine(_folder, "float64.mlnetrnn");
            model.Save(path);
            using var loaded = Model.Load(path);
            Assert.AreEqual(ScalarType.Float64, loaded.GetWeights()[0].dtype);
            AssertSameModel(model, loaded, SerializationModels.WordsAndCharsInputs());
            Assert.AreEqual(previous, get_default_dtype());
        }
    }

    [TestMethod]
    public void File_HasTheDocumentedLayout()
    {
        using var scope = NewDisposeScope();
        using var model = new Sequential(seed: 1);
        model.Add(new MlNetRnn.Layers.Dense(2, inputShape: [3], name: "d"));
        var bytes = SerializationModels.Saved(model);
        var config = model.ToJson();
        // Written again by hand from docs/model-file-format.md, it is the same file.
        var weights = model.GetWeights();
        var expected = SerializationModels.Craft(config,
            SerializationModels.Weight.Of("d/kernel", weights[0]), SerializationModels.Weight.Of("d/bias", weights[1]));
        CollectionAssert.AreEqual(expected, bytes);
        Assert.AreEqual(20 + 4 + config.Length + 4 + (2 + 8 + 1 + 1 + 16 + 24) + (2 + 6 + 1 + 1 + 8 + 8) + 32, bytes.Length);
    }

    [TestMethod]
    public void Save_OverAnExistingFile_ReplacesIt()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.mlnetrnn");
        using (var first = SerializationModels.Shared(seed: 1)) first.Save(path);
        using var second = SerializationModels.Shared(seed: 2);
        second.Save(path);
        CollectionAssert.AreEqual(SerializationModels.Saved(second), File.ReadAllBytes(path));
        Assert.AreEqual(1, Directory.GetFiles(_folder).Length);
    }

    [TestMethod]
    public void InterruptedSave_LeavesTheOldFile_AndNoTemporaryFile()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.mlnetrnn");
        using (var first = SerializationModels.Shared(seed: 1)) first.Save(path);
        var old = File.ReadAllBytes(path);
        using var second = SerializationModels.WordsAndChars(seed: 2);
        // The disk fills up 100 bytes into the weights of the new file.
        var e = Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(path, stream =>
            ModelFileWriter.Write(second, new FailingStream(stream, failAfter: second.ToJson().Length + 100))));
        Assert.AreEqual("No space left on device (simulated).", e.Message);
        CollectionAssert.AreEqual(old, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "model.mlnetrnn" }, Directory.GetFiles(_folder).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void SaveOfNonFiniteWeights_IsRefused_AndTheOldFileKept()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.mlnetrnn");
        using var model = SerializationModels.Shared(seed: 1);
        model.Save(path);
        var old = File.ReadAllBytes(path);
        var weights = model.GetWeights().ToArray();
        weights[2] = weights[2].clone();
        weights[2][1, 0] = tensor(float.PositiveInfinity);
        model.SetWeights(weights);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.Save(path));
        Assert.AreEqual("Weight 'dense_1/kernel' holds a non-finite value (NaN or infinity); a model file holds finite weights only.", e.Message);
        CollectionAssert.AreEqual(old, File.ReadAllBytes(path));
        Assert.AreEqual(1, Directory.GetFiles(_folder).Length);
    }

    [TestMethod]
    public void Save_IntoAMissingFolder_FailsAndLeavesNothing()
    {
        using var scope = NewDisposeScope();
        using var model = SerializationModels.Shared(seed: 1);
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => model.Save(Path.Combine(_folder, "missing", "model.mlnetrnn")));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(_folder).Length);
    }

    [TestMethod]
    public void Save_OfAnUnbuiltModel_IsRefused()
    {
        using var model = new Sequential();
        model.Add(new MlNetRnn.Layers.Dense(2));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.Save(new MemoryStream()));
        StringAssert.StartsWith(e.Message, "Model 'sequential' has not been built yet");
    }

    /// <summary>Passes writes through until <c>failAfter</c> bytes, then throws as a full disk does.</summary>
    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > failAfter)
            {
                int fits = (int)(failAfter - _written);
                inner.Write(buffer[..fits]);
                _written = failAfter;
                throw new IOException("No space left on device (simulated).");
            }
            inner.Write(buffer);
            _written += buffer.Length;
        }
    }

    /// <summary>Bytes read once, front to back, like a network stream.</summary>
    internal sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
