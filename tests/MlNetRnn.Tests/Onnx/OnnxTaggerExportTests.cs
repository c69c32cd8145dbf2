using System.Text.Json;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Onnx;
using Microsoft.ML.OnnxRuntime;
using static MlNetRnn.Tests.Onnx.OnnxTestSupport;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

[TestClass]
public sealed class OnnxTaggerExportTests
{
    private const int MaxChars = 6;

    // 28 known words (ids 2…29), already lower-case as a lower-casing tagger stores them; one is not ASCII.
    private static readonly string[] KnownWords =
    [
        "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "école", "big", "small", "red", "blue", "green",
        "house", "tree", "car", "road", "and", "or", "but", "if", "then", "else", "up", "down", "in", "out",
    ];

    private static readonly string[] Tags = ["DET", "NOUN", "VERB", "ADP"];

    // Code points of 'a' … 'j' → ids 2 … 11; anything else is unknown (1).
    private static readonly Dictionary<int, int> CharIds = Enumerable.Range(0, 10).ToDictionary(i => 'a' + i, i => i + 2);

    private static readonly string[][] Sentences =
    [
        ["The"],
        ["The", "cat", "SAT", "on", "the", "mat", "zebra"],
        ["ÉCOLE", "unknown", "Dog", "ran", "up", "the", "road", "and", "down", "the", "other", "road", "!"],
    ];

    // What the tagger does natively: lower-case (invariant), look up ids; characters from the token as written.
    private static (Tensor Words, Tensor Chars) Encode(IReadOnlyList<string[]> sentences, bool lowercase)
    {
        var vocabulary = Vocabulary.FromTokens(KnownWords);
        int time = sentences.Max(s => s.Length);
        var words = new long[sentences.Count * time];
        var chars = new long[sentences.Count * time * MaxChars];
        for (int s = 0; s < sentences.Count; s++)
        {
            for (int t = 0; t < sentences[s].Length; t++)
            {
                var token = sentences[s][t];
                words[s * time + t] = vocabulary.IdOf(lowercase ? token.ToLowerInvariant() : token);
                var codePoints = token.EnumerateRunes().Take(MaxChars).Select(r => r.Value).ToArray();
                for (int c = 0; c < codePoints.Length; c++)
                {
                    chars[(s * time + t) * MaxChars + c] = CharIds.GetValueOrDefault(codePoints[c], 1);
                }
            }
        }
        return (tensor(words).reshape(sentences.Count, time), tensor(chars).reshape(sentences.Count, time, MaxChars));
    }

    // The ONNX inputs a caller builds: tokens padded with "", code points padded with 0.
    private static ((string[], long[]) Tokens, Tensor CodePoints) OnnxInputs(IReadOnlyList<string[]> sentences)
    {
        int time = sentences.Max(s => s.Length);
        var tokens = new string[sentences.Count * time];
        var codePoints = new long[sentences.Count * time * MaxChars];
        Array.Fill(tokens, "");
        for (int s = 0; s < sentences.Count; s++)
        {
            for (int t = 0; t < sentences[s].Length; t++)
            {
                tokens[s * time + t] = sentences[s][t];
                var runes = sentences[s][t].EnumerateRunes().Take(MaxChars).Select(r => (long)r.Value).ToArray();
                runes.CopyTo(codePoints, (s * time + t) * MaxChars);
            }
        }
        return ((tokens, [sentences.Count, time]), tensor(codePoints).reshape(sentences.Count, time, MaxChars));
    }

    private static byte[] ExportTagger(Model network, bool lowercase, bool chars)
    {
        using var stream = new MemoryStream();
        OnnxExporter.ExportTagger(stream, network, KnownWords, lowercase, Tags,
            charIds: chars ? CharIds : null, maxChars: chars ? MaxChars : 0, metadata: new Dictionary<string, string> { ["source"] = "test" });
        return stream.ToArray();
    }

    private static void AssertTaggerMatches(Model network, bool lowercase, bool chars)
    {
        var (words, charIds) = Encode(Sentences, lowercase);
        var native = chars ? network.Predict([words, charIds]) : network.Predict(words);
        var (tokens, codePoints) = OnnxInputs(Sentences);
        var onnx = chars
            ? Run(ExportTagger(network, lowercase, chars), ("tokens", tokens), ("chars", codePoints))
            : Run(ExportTagger(network, lowercase, chars), ("tokens", tokens));
        var real = words.ne(0);
        AssertMatches(native, onnx["probabilities"], real, "tagger probabilities");
        var best = native.argmax(-1);
        var expectedTags = Enumerable.Range(0, (int)words.numel())
            .Select(i => real.flatten()[i].item<bool>() ? Tags[best.flatten()[i].item<long>()] : "").ToArray();
        CollectionAssert.AreEqual(expectedTags, onnx["tags"].Strings);
        CollectionAssert.AreEqual(words.shape, onnx["tags"].Shape);
        // Padding positions: no tag and zero probabilities.
        var probabilities = tensor(onnx["probabilities"].Floats!).reshape(onnx["probabilities"].Shape);
        Assert.AreEqual(0f, probabilities.masked_select(real.logical_not().unsqueeze(-1).expand_as(probabilities)).abs().sum().item<float>());
    }

    [TestMethod]
    public void WordsAndChars_LowerCased_TagLikeTheNativeNetwork()
    {
        using var scope = NewDisposeScope();
        using var network = OnnxCharEncoderExportTests.WordsAndChars("cnn", seed: 31);
        // The cases that matter are really there: unknown words, capitals that only match after lower-casing, unknown characters.
        var (words, chars) = Encode(Sentences, lowercase: true);
        Assert.AreEqual(4L, words.eq(Vocabulary.OutOfVocabularyId).sum().item<long>(), "zebra, unknown, other, !");
        Assert.AreEqual(10L, words[2, 0].item<long>(), "ÉCOLE → école (id 10)");
        Assert.IsTrue(chars.eq(1).sum().item<long>() > 0, "some characters are unknown");
        AssertTaggerMatches(network, lowercase: true, chars: true);
    }

    [TestMethod]
    public void WordsOnly_NotLowerCased_TagLikeTheNativeNetwork()
    {
        using var scope = NewDisposeScope();
        var network = new Sequential(seed: 41);
        network.Add(new Embedding(30, 5, maskZero: true, inputShape: [-1]));
        network.Add(new GRU(6, returnSequences: true));
        network.Add(new TimeDistributed(new Dense(Tags.Length, activation: "softmax")));
        using (network)
        {
            Randomize(network, 42);
            // Without lower-casing "The" (twice), "SAT", "ÉCOLE" and "Dog" are unknown words too.
            var (words, _) = Encode(Sentences, lowercase: false);
            Assert.AreEqual(9L, words.eq(Vocabulary.OutOfVocabularyId).sum().item<long>());
            AssertTaggerMatches(network, lowercase: false, chars: false);
        }
    }

    [TestMethod]
    public void Metadata_NamesTagsCasingCharactersAndVersion()
    {
        using var scope = NewDisposeScope();
        using var network = OnnxCharEncoderExportTests.WordsAndChars("cnn", seed: 31);
        using var session = new InferenceSession(ExportTagger(network, lowercase: true, chars: true));
        var metadata = session.ModelMetadata.CustomMetadataMap;
        CollectionAssert.AreEqual(Tags, JsonSerializer.Deserialize<string[]>(metadata["mlnetrnn.tags"]));
        Assert.AreEqual("true (StringNormalizer LOWER, locale C.UTF-8)", metadata["mlnetrnn.lowercase"]);
        Assert.AreEqual("6", metadata["mlnetrnn.max_chars"]);
        Assert.AreEqual(OnnxExporter.LibraryVersion, metadata["mlnetrnn.version"]);
        Assert.AreEqual("test", metadata["source"]);
        StringAssert.Contains(session.ModelMetadata.Description, "Tags in order: [\"DET\",\"NOUN\",\"VERB\",\"ADP\"]");
        Assert.AreEqual("MlNetRnn", session.ModelMetadata.ProducerName);
        CollectionAssert.AreEqual(new[] { "tokens", "chars" }, session.InputNames.ToArray());
        CollectionAssert.AreEqual(new[] { "tags", "probabilities" }, session.OutputNames.ToArray());
    }

    [TestMethod]
    public void TaggerArguments_AreChecked()
    {
        using var scope = NewDisposeScope();
        using var network = OnnxCharEncoderExportTests.WordsAndChars("cnn", seed: 31);
        using var stream = new MemoryStream();
        var e = Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.ExportTagger(stream, network, KnownWords, true, Tags));
        StringAssert.StartsWith(e.Message, "Network 'functional' reads characters ((None, None), (None, None, 6)); give its character vocabulary.");
        e = Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.ExportTagger(stream, network, KnownWords, true, Tags, CharIds, maxChars: 8));
        StringAssert.StartsWith(e.Message, "maxChars must be positive and equal the network's character axis (6); received 8.");
        e = Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.ExportTagger(stream, network, KnownWords, true, ["A", "B"], CharIds, maxChars: 6));
        StringAssert.StartsWith(e.Message, "A tagger network has one output (batch, time, 2) for 2 tags; network 'functional' gives (None, None, 4).");
        e = Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.ExportTagger(stream, network, ["the", ""], true, Tags, CharIds, maxChars: 6));
        StringAssert.StartsWith(e.Message, "knownWords must not contain \"\"");
        Assert.AreEqual(0L, stream.Length, "nothing is written when an argument is refused");
    }
}
