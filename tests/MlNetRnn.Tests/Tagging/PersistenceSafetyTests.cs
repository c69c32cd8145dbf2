using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using MlNetRnn.MlNet;
using MlNetRnn.Models;
using MlNetRnn.Tagging;
using MlNetRnn.Tests.MlNet;

namespace MlNetRnn.Tests.Tagging;

/// <summary>Crafted networks of format version 3 (and 2): every size is refused before it is allocated, and a Keras model that
/// does not fit the vocabularies, tags or hyper-parameters stored with it is refused, each with a message naming the
/// check.</summary>
[TestClass]
public sealed class PersistenceSafetyTests
{
    private const string NetworkMagic = "MlNetRnn.SequenceTaggerNetwork";
    private static readonly string[] Words = ["john", "loves", "jane"];
    private static readonly string[] Chars = ["J", "o", "h", "n"];
    private static readonly string[] Tags = ["O", "S", "V"];

    private static SequenceTaggerHyperParameters Hp(CharFeatureKind chars = CharFeatureKind.Cnn) =>
        PersistenceRoundTripTests.Tiny(chars, TaggerCell.Lstm, bidirectional: true);

    /// <summary>The Keras model file of the tagger <paramref name="hp"/> describes, for these counts.</summary>
    private static byte[] KerasModel(SequenceTaggerHyperParameters hp, int words, int chars, int tags)
    {
        var (model, _) = TaggerArchitecture.Build(hp, words, chars, tags);
        using (model)
        {
            using var buffer = new MemoryStream();
            model.Save(buffer);
            return buffer.ToArray();
        }
    }

    /// <summary>Network bytes as <c>SequenceTaggerNetwork.Save</c> lays out formats 2 and 3, with every part chosen by the
    /// test; by default a valid network (the Keras model made for the default parts).</summary>
    internal static byte[] CraftNetwork(SequenceTaggerHyperParameters? hp = null, string[]? words = null, string[]? chars = null,
        string[]? tags = null, byte[]? json = null, int? jsonLength = null, int? wordCount = null, int? charCount = null,
        byte[]? model = null, long? modelLength = null, int trailingBytes = 0, int version = SequenceTaggerNetwork.FormatVersion)
    {
        hp ??= Hp();
        words ??= Words;
        chars ??= hp.CharFeatures == CharFeatureKind.None ? null : Chars;
        tags ??= Tags;
        json ??= SequenceTaggerNetwork.WriteHyperParameters(hp);
        model ??= KerasModel(hp, Words.Length + 2, Chars.Length + 2, Tags.Length);
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(NetworkMagic);
            w.Write(version);
            w.Write(jsonLength ?? json.Length);
            w.Write(json);
            w.Write(wordCount ?? words.Length);
            foreach (var t in words) w.Write(t);
            if (chars is not null)
            {
                w.Write(charCount ?? chars.Length);
                foreach (var c in chars) w.Write(c);
            }
            w.Write(tags.Length);
            foreach (var t in tags) w.Write(t);
            w.Write(modelLength ?? model.Length);
            w.Write(model);
            w.Write(new byte[trailingBytes]);
        }
        return buffer.ToArray();
    }

    /// <summary>A Keras model file with its config edited and its length and SHA-256 made valid again (the layout of
    /// docs/model-file-format.md), so that only the checks behind the checksum can refuse it.</summary>
    private static byte[] WithConfig(byte[] file, string replace, string by)
    {
        int configLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20));
        long contentLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(12));
        var config = Encoding.UTF8.GetString(file, 24, configLength);
        Assert.AreEqual(1, config.Split(replace).Length - 1, $"'{replace}' occurs once in {config}");
        var edited = Encoding.UTF8.GetBytes(config.Replace(replace, by, StringComparison.Ordinal));
        var rest = file.AsSpan(24 + configLength, (int)contentLength - 24 - configLength);
        var content = new byte[24 + edited.Length + rest.Length];
        file.AsSpan(0, 12).CopyTo(content);
        BinaryPrimitives.WriteUInt64LittleEndian(content.AsSpan(12), (ulong)content.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(20), (uint)edited.Length);
        edited.CopyTo(content, 24);
        rest.CopyTo(content.AsSpan(24 + edited.Length));
        return [.. content, .. SHA256.HashData(content)];
    }

    private static byte[] Json(Func<string, string> edit) =>
        Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(SequenceTaggerNetwork.WriteHyperParameters(Hp()))));

    private static string Refused(byte[] network)
    {
        var e = ModelFileSafetyTests.RefusedWithinMemory(() => TaggerPayload.Decode(ModelFileSafetyTests.Payload(network, "m")));
        StringAssert.StartsWith(e.Message, "MlNetRnn tagger payload of model m holds an unreadable network: ");
        return e.Message["MlNetRnn tagger payload of model m holds an unreadable network: ".Length..];
    }

    [TestMethod]
    public void TheCraftedNetwork_IsValid()
    {
        using var network = TaggerPayload.Decode(ModelFileSafetyTests.Payload(CraftNetwork()));
        CollectionAssert.AreEqual(Words, network.Vocabulary.Tokens.ToArray());
        CollectionAssert.AreEqual(Chars, network.CharVocabulary!.Tokens.ToArray());
        Assert.AreEqual(TaggerCell.Lstm, network.HyperParameters.Cell);
        using var words = TaggerPayload.Decode(ModelFileSafetyTests.Payload(CraftNetwork(Hp(CharFeatureKind.None),
            model: KerasModel(Hp(CharFeatureKind.None), Words.Length + 2, 0, Tags.Length))));
        Assert.IsNull(words.CharVocabulary);
    }

    [TestMethod]
    public void AVersion2Network_ReadsTheHyperParametersAddedIn3AsVersion2Behaved_AndMayNotNameThem()
    {
        var added = SequenceTaggerNetwork.AddedInVersion3.Keys.ToArray();
        CollectionAssert.AreEquivalent(new[] { "CharBoundaryMarkers", "AdamBeta2", "WordDropout", "EmaMomentum" }, added);
        var hp = Hp();
        hp.CharBoundaryMarkers = true;
        hp.AdamBeta2 = 0.9;
        hp.WordDropout = 0.5;
        hp.EmaMomentum = 0.9;
        // Version 2's JSON: the version-3 keys removed (each written as "Name":value, followed by a comma).
        var json = Encoding.UTF8.GetString(SequenceTaggerNetwork.WriteHyperParameters(hp));
        foreach (var name in added) json = System.Text.RegularExpressions.Regex.Replace(json, $"\"{name}\":[^,]+,", "");
        var model = KerasModel(Hp(), Words.Length + 2, Chars.Length + 2, Tags.Length);
        using var network = TaggerPayload.Decode(ModelFileSafetyTests.Payload(CraftNetwork(json: Encoding.UTF8.GetBytes(json), model: model, version: 2)));
        var read = network.HyperParameters;
        Assert.AreEqual((false, 0.999, 0.0, 0.0), (read.CharBoundaryMarkers, read.AdamBeta2, read.WordDropout, read.EmaMomentum));
        Assert.AreEqual(0.01, read.LearningRate, "the stored values are read");
        Assert.AreEqual("The sequence tagger network's hyper-parameters name an unknown hyper-parameter 'CharBoundaryMarkers'.",
            Refused(CraftNetwork(version: 2)), "version 2 did not have it");
    }

    [TestMethod]
    public void HugeDeclaredSizes_AreRefusedBeforeAnythingIsAllocated()
    {
        Assert.AreEqual("The sequence tagger network declares 2147483647 bytes of hyper-parameters; 1 to 65536 are read.",
            Refused(CraftNetwork(jsonLength: int.MaxValue)));
        StringAssert.StartsWith(Refused(CraftNetwork(jsonLength: 60_000)),
            "The sequence tagger network data is truncated: it declares 60000 bytes of hyper-parameters but only ");
        StringAssert.StartsWith(Refused(CraftNetwork(wordCount: 1_000_000_000)),
            "The sequence tagger network declares 1000000000 vocabulary tokens but only ");
        StringAssert.StartsWith(Refused(CraftNetwork(charCount: 1_000_000_000)),
            "The sequence tagger network declares 1000000000 characters but only ");
        StringAssert.StartsWith(Refused(CraftNetwork(modelLength: 1L << 40)),
            "The sequence tagger network data is truncated: it declares a Keras model of 1099511627776 bytes but only ");
        Assert.AreEqual("The sequence tagger network data is inconsistent: Units must be at most 8192; received 1073741824. (Parameter 'Units')",
            Refused(CraftNetwork(json: Json(j => j.Replace("\"Units\":3", "\"Units\":1073741824", StringComparison.Ordinal)))));
        // A Keras config asking for a 2^28-row embedding, with a valid checksum: refused by the sizes its bytes hold.
        var model = KerasModel(Hp(), Words.Length + 2, Chars.Length + 2, Tags.Length);
        Assert.AreEqual(
            "The sequence tagger network's Keras model is unreadable: Layer 'embedding' (Embedding) needs 1073741824 weight values by its config; the file holds 20 for it.",
            Refused(CraftNetwork(model: WithConfig(model, "\"input_dim\":5,", "\"input_dim\":268435456,"))));
    }

    [TestMethod]
    public void TrailingBytes_FutureVersions_AndBadHyperParameters_AreRefused()
    {
        Assert.AreEqual("The sequence tagger network data has 3 trailing bytes after the Keras model.", Refused(CraftNetwork(trailingBytes: 3)));
        Assert.AreEqual("The sequence tagger network has format version 4; this MlNetRnn reads versions 1 to 3. Upgrade MlNetRnn to load it.",
            Refused(CraftNetwork(version: 4)));
        Assert.AreEqual("The sequence tagger network's hyper-parameters name an unknown hyper-parameter 'Attention'.",
            Refused(CraftNetwork(json: Json(j => j.Replace("{", "{\"Attention\":true,", StringComparison.Ordinal)))));
        Assert.AreEqual("The sequence tagger network's hyper-parameters lack 'Cell'.",
            Refused(CraftNetwork(json: Json(j => j.Replace("\"Cell\":\"Lstm\",", "", StringComparison.Ordinal)))));
        Assert.AreEqual("The sequence tagger network's hyper-parameters give 'Layers' twice.",
            Refused(CraftNetwork(json: Json(j => j.Replace("{", "{\"Layers\":2,", StringComparison.Ordinal)))));
        StringAssert.StartsWith(Refused(CraftNetwork(json: Json(j => j.Replace("\"Cell\":\"Lstm\"", "\"Cell\":1", StringComparison.Ordinal)))),
            "The sequence tagger network's hyper-parameters are not readable JSON: ");
        Assert.AreEqual("The sequence tagger network's hyper-parameters are a JSON Array; expected an object.",
            Refused(CraftNetwork(json: "[]"u8.ToArray())));
        StringAssert.StartsWith(Refused(CraftNetwork(json: [0x7B, 0xFF, 0x7D])),
            "The sequence tagger network's hyper-parameters are not readable JSON: '0xFF' is an invalid start of a property name.");
    }

    [TestMethod]
    public void AModelThatDoesNotFitTheRest_IsRefused_NamingTheMismatch()
    {
        StringAssert.EndsWith(Refused(CraftNetwork(words: [.. Words, "mary"])),
            "word Embedding 'embedding' has input_dim 5; the word vocabulary has 6 ids (its tokens, padding and out-of-vocabulary).");
        StringAssert.EndsWith(Refused(CraftNetwork(chars: [.. Chars, "x"])),
            "character Embedding 'char_embedding' has input_dim 6; the character vocabulary has 7 ids (its tokens, padding and out-of-vocabulary).");
        Assert.AreEqual("The sequence tagger network's Keras model has outputs (None, None, 3); the 4 tags need (None, None, 4).",
            Refused(CraftNetwork(tags: [.. Tags, "X"])));
        Assert.AreEqual(
            "The sequence tagger network's Keras model has inputs words (None, None) and chars (None, None, None); CharFeatures None needs words (None, None).",
            Refused(CraftNetwork(Hp(CharFeatureKind.None), model: KerasModel(Hp(), Words.Length + 2, Chars.Length + 2, Tags.Length))));
        var wordsOnly = KerasModel(Hp(CharFeatureKind.None), Words.Length + 2, 0, Tags.Length);
        Assert.AreEqual(
            "The sequence tagger network's Keras model has inputs words (None, None); CharFeatures Cnn needs words (None, None) and chars (None, None, None).",
            Refused(CraftNetwork(model: wordsOnly)));
        var wider = Hp();
        wider.EmbeddingSize = 5;
        Assert.AreEqual("The sequence tagger network's Keras model's word Embedding 'embedding' has output_dim 4; EmbeddingSize is 5.",
            Refused(CraftNetwork(wider, model: KerasModel(Hp(), Words.Length + 2, Chars.Length + 2, Tags.Length))));
    }

    [TestMethod]
    public void ACraftedModelFile_IsRefusedOnLoad_NamingTheFile()
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        var tagger = ml.SequenceTagging().Trainers.Recurrent(SvoData.Options()).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-crafted-{Guid.NewGuid():N}.zip");
        try
        {
            var payload = ModelFileSafetyTests.Payload(CraftNetwork(jsonLength: int.MaxValue), "crafted");
            SequenceTaggerModelFile.Save(ml, new SequenceTaggerTransformer(ml, SvoData.Options(), tagger.Network, "crafted", payload, data), data.Schema, path);
            var e = ModelFileSafetyTests.RefusedWithinMemory(() => SequenceTaggerModelFile.Load(new MLContext(), path, out _));
            Assert.AreEqual(
                $"{path}: MlNetRnn tagger payload of model crafted holds an unreadable network: The sequence tagger network declares 2147483647 bytes of hyper-parameters; 1 to 65536 are read.",
                e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
