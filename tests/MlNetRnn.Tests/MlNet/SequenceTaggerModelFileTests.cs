using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.MlNet;

namespace MlNetRnn.Tests.MlNet;

[TestClass]
public sealed class SequenceTaggerModelFileTests
{
    private DirectoryInfo _dir = null!;

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("mlnetrnn-test-");

    [TestCleanup]
    public void Cleanup() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static (MLContext Ml, SequenceTaggerTransformer Tagger, IDataView Data) Train()
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        return (ml, ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options()).Fit(data), data);
    }

    /// <summary>A tagger whose chain carries <paramref name="payload"/> instead of its own network.</summary>
    private static SequenceTaggerTransformer WithPayload(MLContext ml, SequenceTaggerTransformer tagger, IDataView data, string payload) =>
        new(ml, SvoData.Options(), tagger.Network, Guid.NewGuid().ToString("N"), payload, data);

    [TestMethod]
    public void CorruptFile_IsInvalidData()
    {
        var (ml, _, _) = Train();
        var path = PathOf("corrupt.zip");
        File.WriteAllBytes(path, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.Load(ml, path, out _));
        Assert.StartsWith($"{path}: not an MlNetRnn model file: not a zip archive (", e.Message);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => SequenceTaggerModelFile.Load(ml, PathOf("missing.zip"), out _));
        Assert.AreEqual($"{PathOf("missing.zip")}: model file not found", missing.Message);
        var directory = Assert.ThrowsExactly<IOException>(() => SequenceTaggerModelFile.Load(ml, _dir.FullName, out _));
        Assert.AreEqual($"{_dir.FullName}: is a directory, not a model file", directory.Message);
    }

    [TestMethod]
    public void TruncatedFile_IsInvalidData()
    {
        var (ml, tagger, data) = Train();
        var path = PathOf("model.zip");
        SequenceTaggerModelFile.Save(ml, tagger, data.Schema, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.Load(ml, path, out _));
        Assert.StartsWith($"{path}: not an MlNetRnn model file: not a zip archive", e.Message);
    }

    [TestMethod]
    public void ForeignZip_IsInvalidData()
    {
        var (ml, _, _) = Train();
        var path = PathOf("foreign.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry("readme.txt").Open()))
            writer.Write("not a model");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.Load(ml, path, out _));
        Assert.StartsWith($"{path}: not an MlNetRnn model file: ML.NET cannot load it (", e.Message);
    }

    [TestMethod]
    public void ForeignMlNetModel_IsNotATagger()
    {
        var (ml, _, data) = Train();
        var path = PathOf("foreign-model.zip");
        ml.Model.Save(ml.Transforms.CopyColumns("Copy", "Tokens").Fit(data), data.Schema, path);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.Load(ml, path, out _));
        Assert.AreEqual($"{path}: not an MlNetRnn tagger: an ML.NET model without an MlNetRnn sequence tagger", e.Message);
    }

    [TestMethod]
    public void NewerPayloadFormat_FailsAtHelperLoad_AndOnFirstRowWithPlainLoad()
    {
        var (ml, tagger, data) = Train();
        var future = WithPayload(ml, tagger, data, TaggerPayload.Encode(TaggerPayload.FormatVersion + 1, "future", "AAAA"));
        var path = PathOf("future.zip");
        SequenceTaggerModelFile.Save(ml, future, data.Schema, path);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.Load(ml, path, out _));
        StringAssert.Contains(e.Message, $"format version {TaggerPayload.FormatVersion + 1}, newer than this library reads");
        StringAssert.StartsWith(e.Message, path);

        var loaded = ml.Model.Load(path, out _); // plain ML.NET load is lazy: the payload is read on the first row
        var e2 = Assert.Throws<Exception>(() => SvoData.Read(ml, loaded.Transform(SvoData.Queries(ml))));
        Assert.IsTrue(Unwrap(e2) is InvalidDataException, e2.ToString());
        using var engine = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(loaded);
        var e3 = Assert.Throws<Exception>(() => engine.Predict(new Sentence { Tokens = ["John"] }));
        Assert.IsTrue(Unwrap(e3) is InvalidDataException, e3.ToString());
    }

    [TestMethod]
    [DataRow("wrong magic", "Other.Payload|1|id|AAAA")]
    [DataRow("not valid base64", "MlNetRnn.SequenceTagger.Payload|1|id|@@@not base64@@@")]
    [DataRow("unreadable network", "MlNetRnn.SequenceTagger.Payload|1|id|AAAA")]
    [DataRow("has no network data", "MlNetRnn.SequenceTagger.Payload|1|id|")]
    [DataRow("unreadable format version", "MlNetRnn.SequenceTagger.Payload|x|id|AAAA")]
    public void DamagedPayload_IsInvalidData(string expected, string payload)
    {
        var (ml, tagger, data) = Train();
        payload = payload.Replace("|id|", $"|{Guid.NewGuid():N}|", StringComparison.Ordinal);
        var path = PathOf("damaged.zip");
        SequenceTaggerModelFile.Save(ml, WithPayload(ml, tagger, data, payload), data.Schema, path);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.Load(ml, path, out _));
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void TruncatedBase64_IsInvalidData()
    {
        var (ml, tagger, data) = Train();
        var good = TaggerPayload.Encode(tagger.Network, Guid.NewGuid().ToString("N"));
        var path = PathOf("cut.zip");
        SequenceTaggerModelFile.Save(ml, WithPayload(ml, tagger, data, good[..(good.Length - 5)]), data.Schema, path);
        Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.Load(ml, path, out _));
        Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(good.AsSpan(0, good.Length - 5)));
        Assert.AreEqual(3, TaggerPayload.Decode(good).TagNames.Count);
    }

    private sealed class FailingSave(ITransformer inner) : ITransformer
    {
        public bool IsRowToRowMapper => inner.IsRowToRowMapper;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inner.GetOutputSchema(inputSchema);
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => inner.GetRowToRowMapper(inputSchema);
        public IDataView Transform(IDataView input) => inner.Transform(input);

        public void Save(ModelSaveContext ctx)
        {
            inner.Save(ctx); // the temporary file has been written to ...
            throw new IOException("simulated failure during save");
        }
    }

    [TestMethod]
    public void InterruptedSave_KeepsTheOldFile_AndLeavesNoTemporaryFile()
    {
        var (ml, tagger, data) = Train();
        var path = PathOf("model.zip");
        SequenceTaggerModelFile.Save(ml, tagger, data.Schema, path);
        var before = File.ReadAllBytes(path);

        var e = Assert.Throws<Exception>(() => SequenceTaggerModelFile.Save(ml, new FailingSave(tagger), data.Schema, path));
        Assert.IsTrue(Unwrap(e) is IOException { Message: "simulated failure during save" }, e.ToString());
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(_dir.FullName));
        Assert.IsNotNull(SequenceTaggerModelFile.Load(ml, path, out _));
    }

    [TestMethod]
    public void Save_OverwritesAtomically_AndLoadedTagNamesMatch()
    {
        var (ml, tagger, data) = Train();
        var path = PathOf("model.zip");
        File.WriteAllText(path, "old");
        SequenceTaggerModelFile.Save(ml, tagger, data.Schema, path);
        var loaded = SequenceTaggerModelFile.Load(ml, path, out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("Tokens"));
        CollectionAssert.AreEqual(tagger.TagNames.ToArray(), SequenceTaggerTransformer.GetTagNames(loaded).ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => SequenceTaggerTransformer.GetTagNames(ml.Transforms.CopyColumns("a", "Tokens").Fit(data)));
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is (System.Reflection.TargetInvocationException or AggregateException) && e.InnerException is not null) e = e.InnerException;
        while (e.InnerException is not null && e is not (InvalidDataException or IOException)) e = e.InnerException;
        return e;
    }
}
