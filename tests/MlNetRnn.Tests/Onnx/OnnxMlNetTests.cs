using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Onnx;
using static MlNetRnn.Tests.Onnx.OnnxTestSupport;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

/// <summary>The exported tagger through ML.NET's own ONNX component (<c>ApplyOnnxModel</c>), strings in and out.</summary>
[TestClass]
public sealed class OnnxMlNetTests
{
    private static readonly string[] KnownWords = ["the", "cat", "sat", "on", "mat"];
    private static readonly string[] Tags = ["DET", "NOUN", "VERB"];

    private sealed class Sentence
    {
        [VectorType]
        public string[] Tokens { get; set; } = [];
    }

    private sealed class Tagged
    {
        [VectorType]
        public string[] Tags { get; set; } = [];

        [VectorType]
        public float[] Probabilities { get; set; } = [];
    }

    [TestMethod]
    public void ApplyOnnxModel_TagsStringsLikeTheNativeNetwork()
    {
        using var scope = NewDisposeScope();
        var network = new Sequential(seed: 61);
        network.Add(new Embedding(KnownWords.Length + 2, 4, maskZero: true, inputShape: [-1]));
        network.Add(new LSTM(5, returnSequences: true));
        network.Add(new TimeDistributed(new Dense(Tags.Length, activation: "softmax")));
        using (network)
        {
            Randomize(network, 62);
            using var onnx = new MemoryStream();
            OnnxExporter.ExportTagger(onnx, network, KnownWords, lowercase: true, Tags);

            // ML.NET gives each row as a batch of one: tokens (1, time) with the row's own length.
            string[][] sentences = [["The", "cat", "sat"], ["on", "the", "MAT", "today", "."]];
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new Sentence { Tokens = s }));
            onnx.Position = 0;
            var pipeline = ml.Transforms.ApplyOnnxModel(
                outputColumnNames: ["tags", "probabilities"], inputColumnNames: ["tokens"], modelBytes: onnx)
                .Append(ml.Transforms.CopyColumns("Tags", "tags"))
                .Append(ml.Transforms.CopyColumns("Probabilities", "probabilities"));
            var renamed = ml.Transforms.CopyColumns("tokens", nameof(Sentence.Tokens)).Fit(data).Transform(data);
            var results = ml.Data.CreateEnumerable<Tagged>(pipeline.Fit(renamed).Transform(renamed), reuseRowObject: false).ToArray();

            var vocabulary = Vocabulary.FromTokens(KnownWords);
            for (int s = 0; s < sentences.Length; s++)
            {
                var ids = tensor(sentences[s].Select(t => (long)vocabulary.IdOf(t.ToLowerInvariant())).ToArray()).unsqueeze(0);
                var native = network.Predict(ids);
                var expectedTags = native.argmax(-1)[0].data<long>().ToArray().Select(i => Tags[i]).ToArray();
                CollectionAssert.AreEqual(expectedTags, results[s].Tags);
                AssertMatches(native, new OnnxOutput(native.shape, results[s].Probabilities, null), null, $"ML.NET sentence {s}");
            }
        }
    }
}
