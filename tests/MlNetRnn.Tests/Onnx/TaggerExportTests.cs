using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using MlNetRnn.Models;
using MlNetRnn.Onnx;
using MlNetRnn.Tests.Data;
using MlNetRnn.Tests.MlNet;

namespace MlNetRnn.Tests.Onnx;

/// <summary>
/// Trained taggers of every architecture option exported with <see cref="SequenceTaggerModelFile.ExportOnnx(MLContext, ITransformer, Stream)"/>
/// and run in ONNX Runtime on one batch of sentences of 1, 7 and 40 tokens, against the native PredictionEngine
/// (one sentence at a time): the same tags, probabilities within 1e-5, and padding empty.
/// </summary>
[TestClass]
public sealed class TaggerExportTests
{
    private const double Tolerance = 1e-5;

    // Unknown words ("Zorblax", "internationalization"), an unknown character ('€', and '😀', a surrogate pair), a
    // capitalised known word ("JOHN" is known only after lower-casing), tokens longer than MaxChars (cut to their
    // first and last characters).
    private static readonly string[][] Sentences =
    [
        ["Zorblax"],
        ["JOHN", "reads", "internationalization", "books", "yesterday", "€5😀", "."],
        RepeatedSampleWords(40),
    ];

    private static string[] RepeatedSampleWords(int count)
    {
        var words = new CoNllUReader(CoNllUTagColumn.Upos).Read(DataPaths.RepoDataset("sample.conllu")).SelectMany(s => s.Tokens).ToArray();
        return Enumerable.Range(0, count).Select(i => words[i % words.Length]).ToArray();
    }

    private static (MLContext Ml, SequenceTaggerTransformer Tagger) Train(
        TaggerCell cell, bool bidirectional, CharFeatureKind chars, bool lowercase = false, int layers = 1, bool boundaryMarkers = true)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromConllU(DataPaths.RepoDataset("sample.conllu"), CoNllUTagColumn.Upos);
        var options = new SequenceTaggerOptions
        {
            Cell = cell, Bidirectional = bidirectional, CharFeatures = chars, Lowercase = lowercase, Layers = layers,
            CharBoundaryMarkers = boundaryMarkers, EmbeddingSize = 6, Units = 5, CharEmbeddingSize = 4, CharFilters = 5, CharUnits = 3, MaxCharsPerToken = 6,
            Epochs = 2, BatchSize = 8, LearningRate = 0.05, Dropout = 0.1, Seed = 7,
        };
        return (ml, ml.SequenceTagging().Trainers.Recurrent(options).Fit(data));
    }

    private static byte[] Export(MLContext ml, ITransformer model)
    {
        using var stream = new MemoryStream();
        SequenceTaggerModelFile.ExportOnnx(ml, model, stream);
        return stream.ToArray();
    }

    /// <summary>The <c>chars</c> input as docs/onnx.md tells a caller to build it: each token's code points, a token
    /// longer than <paramref name="maxChars"/> cut to its first ⌈m/2⌉ and last ⌊m/2⌋, then 0-padded.</summary>
    internal static long[] CodePoints(IReadOnlyList<string[]> sentences, int time, int maxChars, bool cutAsDocumented = true)
    {
        var result = new long[sentences.Count * time * maxChars];
        for (int s = 0; s < sentences.Count; s++)
        {
            for (int t = 0; t < sentences[s].Length; t++)
            {
                var all = sentences[s][t].EnumerateRunes().Select(r => (long)r.Value).ToArray();
                var kept = all.Length <= maxChars ? all
                    : cutAsDocumented ? [.. all[..(maxChars - maxChars / 2)], .. all[^(maxChars / 2)..]]
                    : all[..maxChars];
                kept.CopyTo(result, (s * time + t) * maxChars);
            }
        }
        return result;
    }

    /// <summary>Runs the exported tagger on right-padded sentences: tags (batch, time) and probabilities (batch, time, tags).</summary>
    internal static (string[] Tags, float[] Probabilities, long[] Shape) RunOnnx(
        InferenceSession session, IReadOnlyList<string[]> sentences, bool cutAsDocumented = true)
    {
        int time = sentences.Max(s => s.Length);
        long[] shape = [sentences.Count, time];
        using var tokens = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        for (int s = 0; s < sentences.Count; s++)
        {
            for (int t = 0; t < time; t++)
            {
                tokens.StringTensorSetElementAt((t < sentences[s].Length ? sentences[s][t] : "").AsSpan(), s * time + t);
            }
        }
        var inputs = new Dictionary<string, OrtValue> { ["tokens"] = tokens };
        OrtValue? chars = null;
        if (session.InputNames.Contains("chars"))
        {
            int maxChars = int.Parse(session.ModelMetadata.CustomMetadataMap["mlnetrnn.max_chars"]);
            chars = OrtValue.CreateTensorValueFromMemory(CodePoints(sentences, time, maxChars, cutAsDocumented), [sentences.Count, time, maxChars]);
            inputs["chars"] = chars;
        }
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs, ["tags", "probabilities"]);
            return (results[0].GetStringTensorAsArray(), results[1].GetTensorDataAsSpan<float>().ToArray(),
                results[1].GetTensorTypeAndShape().Shape);
        }
        finally
        {
            chars?.Dispose();
        }
    }

    private static InferenceSession Session(byte[] onnx) =>
        new(onnx, new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 }); // the suite shares two cores

    /// <summary>Asserts the ONNX batch equals the native PredictionEngine sentence by sentence; returns the largest
    /// probability difference.</summary>
    private static double AssertMatchesNative(MLContext ml, ITransformer model, InferenceSession session, IReadOnlyList<string[]> sentences)
    {
        var (tags, probabilities, shape) = RunOnnx(session, sentences);
        int tagCount = ml.SequenceTagging().GetModelParameters(model).TagNames.Count;
        int time = sentences.Max(s => s.Length);
        CollectionAssert.AreEqual(new long[] { sentences.Count, time, tagCount }, shape);
        using var engine = ml.Model.CreatePredictionEngine<Sentence, SequenceTaggerPrediction>(model);
        double largest = 0;
        for (int s = 0; s < sentences.Count; s++)
        {
            var native = engine.Predict(new Sentence { Tokens = sentences[s] });
            int length = sentences[s].Length;
            CollectionAssert.AreEqual(native.PredictedTags, tags[(s * time)..(s * time + length)], $"sentence {s}");
            for (int t = 0; t < time; t++)
            {
                for (int k = 0; k < tagCount; k++)
                {
                    float onnx = probabilities[(s * time + t) * tagCount + k];
                    if (t >= length)
                    {
                        Assert.AreEqual(0f, onnx, $"padding probability, sentence {s} step {t}");
                        continue;
                    }
                    largest = Math.Max(largest, Math.Abs(onnx - native.Probabilities[t * tagCount + k]));
                }
                if (t >= length) Assert.AreEqual("", tags[s * time + t], $"padding tag, sentence {s} step {t}");
            }
        }
        Assert.IsTrue(largest <= Tolerance, $"largest probability difference {largest:E2} exceeds {Tolerance:E0}");
        Console.WriteLine($"onnx-vs-native tagger: max |diff| {largest:E2}, tags equal at {sentences.Sum(s => s.Length)} tokens");
        return largest;
    }

    [TestMethod]
    [DataRow(TaggerCell.Simple, false, CharFeatureKind.None, false, 1, true)]
    [DataRow(TaggerCell.Simple, true, CharFeatureKind.Cnn, true, 2, true)]
    [DataRow(TaggerCell.Lstm, true, CharFeatureKind.None, true, 1, true)]
    [DataRow(TaggerCell.Lstm, false, CharFeatureKind.BiLstm, false, 1, false)]
    [DataRow(TaggerCell.Lstm, true, CharFeatureKind.Cnn, false, 1, true)]
    [DataRow(TaggerCell.Lstm, true, CharFeatureKind.Cnn, false, 1, false)]
    [DataRow(TaggerCell.Gru, true, CharFeatureKind.BiLstm, true, 1, true)]
    [DataRow(TaggerCell.Gru, false, CharFeatureKind.Cnn, false, 2, false)]
    public void EveryArchitecture_TagsLikeTheNativeModel(TaggerCell cell, bool bidirectional, CharFeatureKind chars, bool lowercase, int layers,
        bool boundaryMarkers)
    {
        var (ml, tagger) = Train(cell, bidirectional, chars, lowercase, layers, boundaryMarkers);
        // The cases that matter are really there.
        var network = tagger.Network;
        var known = SequenceTaggerModelFile.GetKnownWordTest(tagger);
        Assert.IsFalse(known("Zorblax"));
        Assert.IsFalse(known("internationalization"));
        Assert.AreEqual(lowercase, known("JOHN"), "JOHN is known exactly when the tagger lower-cases");
        Assert.AreEqual(boundaryMarkers, network.HyperParameters.CharBoundaryMarkers);
        if (network.CharVocabulary is { } charVocabulary)
        {
            Assert.AreEqual(Vocabulary.OutOfVocabularyId, charVocabulary.IdOf("€"));
            Assert.AreEqual(Vocabulary.OutOfVocabularyId, charVocabulary.IdOf("😀"));
            Assert.AreNotEqual(Vocabulary.OutOfVocabularyId, charVocabulary.IdOf("y"));
        }
        using var session = Session(Export(ml, tagger));
        AssertMatchesNative(ml, tagger, session, Sentences);
    }

    [TestMethod]
    public void LongTokens_AreCutAsTheNativeEncoderCutsThem()
    {
        var (ml, tagger) = Train(TaggerCell.Lstm, true, CharFeatureKind.Cnn);
        using var session = Session(Export(ml, tagger));
        string[][] sentence = [["yesterday", "internationalization"]]; // 9 and 20 characters; MaxChars is 6
        AssertMatchesNative(ml, tagger, session, sentence);
        // The test can tell: keeping only the first 6 characters (the old contract) gives other probabilities.
        var documented = RunOnnx(session, sentence).Probabilities;
        var firstOnly = RunOnnx(session, sentence, cutAsDocumented: false).Probabilities;
        double difference = documented.Zip(firstOnly, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsGreaterThan(1e-3, difference, $"first-6 vs first-3-last-3: {difference:E2}");
    }

    [TestMethod]
    public void LoadedModelFile_ExportsTheSameTagger_WithItsMetadata()
    {
        var (ml, tagger) = Train(TaggerCell.Gru, true, CharFeatureKind.Cnn, lowercase: true);
        var data = ml.Data.LoadFromConllU(DataPaths.RepoDataset("sample.conllu"), CoNllUTagColumn.Upos);
        var zip = DataPaths.TempFile(".zip");
        var onnxPath = DataPaths.TempFile(".onnx");
        try
        {
            SequenceTaggerModelFile.Save(ml, tagger, data.Schema, zip);
            var loaded = SequenceTaggerModelFile.Load(new MLContext(), zip, out _);
            SequenceTaggerModelFile.ExportOnnx(ml, loaded, onnxPath);
            CollectionAssert.AreEqual(Export(ml, tagger), File.ReadAllBytes(onnxPath), "the fitted and the loaded tagger export the same bytes");

            using var session = new InferenceSession(onnxPath);
            var metadata = session.ModelMetadata.CustomMetadataMap;
            CollectionAssert.AreEqual(tagger.TagNames.ToArray(), JsonSerializer.Deserialize<string[]>(metadata["mlnetrnn.tags"]));
            Assert.AreEqual("true (StringNormalizer LOWER, locale C.UTF-8)", metadata["mlnetrnn.lowercase"]);
            Assert.AreEqual("6", metadata["mlnetrnn.max_chars"]);
            Assert.AreEqual(OnnxExporter.LibraryVersion, metadata["mlnetrnn.version"]);
            Assert.AreEqual(tagger.ModelId, metadata[OnnxExporter.ModelIdKey]);
            StringAssert.Contains(session.ModelMetadata.Description, "a token of more than 6 keeps its first 3 and its last 3");
            CollectionAssert.AreEqual(new[] { "tokens", "chars" }, session.InputNames.ToArray());
            AssertMatchesNative(ml, loaded, session, Sentences);
        }
        finally
        {
            File.Delete(zip);
            File.Delete(onnxPath);
        }
    }

    [TestMethod]
    public void FirstFormatModelFile_Exports()
    {
        var ml = new MLContext();
        var loaded = SequenceTaggerModelFile.Load(ml, ModelFileV1FixtureTests.FixturePath, out _);
        using var session = Session(Export(ml, loaded));
        CollectionAssert.AreEqual(new[] { "tokens" }, session.InputNames.ToArray(), "the first tagger reads words only");
        AssertMatchesNative(ml, loaded, session, Sentences);
    }

    [TestMethod]
    public void NotATagger_IsRefused_AndNothingIsWritten()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Sentence { Tokens = ["a"] } });
        var notATagger = ml.Transforms.CopyColumns("Words", "Tokens").Fit(data);
        var path = DataPaths.TempFile(".onnx");
        var e = Assert.ThrowsExactly<ArgumentException>(() => SequenceTaggerModelFile.ExportOnnx(ml, notATagger, path));
        Assert.AreEqual("Only an MlNetRnn sequence tagger can be exported to ONNX; the model (ColumnCopyingTransformer) holds none. (Parameter 'model')", e.Message);
        Assert.IsFalse(File.Exists(path));
        using var stream = new MemoryStream();
        Assert.ThrowsExactly<ArgumentException>(() => SequenceTaggerModelFile.ExportOnnx(ml, notATagger, stream));
        Assert.AreEqual(0L, stream.Length);
    }

    [TestMethod]
    public void DamagedTagger_IsRefused_NamingTheCheck()
    {
        var (ml, tagger) = Train(TaggerCell.Simple, false, CharFeatureKind.None);
        var data = ml.Data.LoadFromConllU(DataPaths.RepoDataset("sample.conllu"), CoNllUTagColumn.Upos);
        // A payload whose network bytes do not match its checksum, read back through plain ML.NET.
        var payload = TaggerPayload.Encode(TaggerPayload.FormatVersion, "damaged", new string('0', 64), Convert.ToBase64String([1, 2, 3]));
        var damaged = new SequenceTaggerTransformer(ml, new SequenceTaggerOptions(), tagger.Network, "damaged", payload, data);
        using var file = new MemoryStream();
        ml.Model.Save(damaged, data.Schema, file);
        file.Position = 0;
        var loaded = ml.Model.Load(file, out _);
        var path = DataPaths.TempFile(".onnx");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerModelFile.ExportOnnx(ml, loaded, path));
        StringAssert.StartsWith(e.Message, "MlNetRnn tagger payload of model damaged fails its checksum");
        Assert.IsFalse(File.Exists(path));
    }

    /// <summary>The token encoder as an ML.NET column, for ApplyOnnxModel: code points (time × max chars).</summary>
    private sealed class CharsRow
    {
        [VectorType]
        public long[] chars { get; set; } = [];
    }

    private sealed class TokensRow
    {
        [VectorType]
        public string[] tokens { get; set; } = [];
    }

    private sealed class OnnxTagged
    {
        [VectorType]
        public string[] tags { get; set; } = [];
    }

    [TestMethod]
    public void ApplyOnnxModel_GivesTheNativeTags()
    {
        var (ml, tagger) = Train(TaggerCell.Lstm, true, CharFeatureKind.Cnn);
        const int maxChars = 6;
        var onnx = Export(ml, tagger);
        var rows = Sentences.Select(s => new TokensRow { tokens = s }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.CustomMapping<TokensRow, CharsRow>(
                (row, chars) => chars.chars = CodePoints([row.tokens], row.tokens.Length, maxChars), contractName: null)
            .Append(ml.Transforms.ApplyOnnxModel(["tags"], ["tokens", "chars"], new MemoryStream(onnx)));
        var scored = ml.Data.CreateEnumerable<OnnxTagged>(pipeline.Fit(data).Transform(data), reuseRowObject: false).ToArray();

        using var engine = ml.Model.CreatePredictionEngine<Sentence, SequenceTaggerPrediction>(tagger);
        Assert.HasCount(Sentences.Length, scored);
        for (int s = 0; s < Sentences.Length; s++)
        {
            CollectionAssert.AreEqual(engine.Predict(new Sentence { Tokens = Sentences[s] }).PredictedTags, scored[s].tags, $"sentence {s}");
        }
    }
}
