using System.IO.Compression;
using System.Text;
using Microsoft.ML;
using MlNetRnn.MlNet;

namespace MlNetRnn.Tests.MlNet;

/// <summary>Crafted, damaged and colliding model files: each is refused with a message naming the failed
/// check, within bounded memory, or answers exactly as the intact file.</summary>
[TestClass]
public sealed class ModelFileSafetyTests
{
    private const string NetworkMagic = "MlNetRnn.SequenceTaggerNetwork";
    private static readonly string[] Vocabulary = ["John", "loves", "Jane"];
    private static readonly string[] Tags = ["O", "S", "V"];
    private DirectoryInfo _dir = null!;

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("mlnetrnn-safety-");

    [TestCleanup]
    public void Cleanup() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static (MLContext Ml, SequenceTaggerTransformer Tagger, IDataView Data) Train(int seed = 1)
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        var options = SvoData.Options();
        options.Seed = seed;
        options.Epochs = 5;
        return (ml, ml.SequenceTagging().Trainers.SimpleRnn(options).Fit(data), data);
    }

    /// <summary>Network bytes of format version 1 (what <c>SequenceTaggerNetwork.Save</c> wrote before format 2, still
    /// read; format 2 is crafted by <c>Tagging.PersistenceSafetyTests</c>), with every field chosen by the test.
    /// <paramref name="shapes"/> defaults to the shapes the sizes imply; values are 0.01 except <paramref name="poison"/>.</summary>
    internal static byte[] CraftNetwork(int embedding = 4, int units = 4, string[]? vocabulary = null, string[]? tags = null,
        long[][]? shapes = null, float? poison = null, int trailingBytes = 0, int? vocabularyCount = null, int? tagCount = null)
    {
        vocabulary ??= Vocabulary;
        tags ??= Tags;
        shapes ??=
        [
            [vocabulary.Length + 2, embedding], [embedding, units], [units, units], [units], [units, tags.Length], [tags.Length],
        ];
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(NetworkMagic);
            w.Write(1);
            w.Write(embedding);
            w.Write(units);
            w.Write(10); // epochs
            w.Write(32); // batch size
            w.Write(0.001); // learning rate
            w.Write(1); // seed
            w.Write(1); // min count
            w.Write(0.25); // rare token dropout
            w.Write(0); // patience
            w.Write(vocabularyCount ?? vocabulary.Length);
            foreach (var t in vocabulary) w.Write(t);
            w.Write(tagCount ?? tags.Length);
            foreach (var t in tags) w.Write(t);
            w.Write(shapes.Length);
            bool poisoned = false;
            foreach (var shape in shapes)
            {
                w.Write(shape.Length);
                foreach (var d in shape) w.Write(d);
                long n = shape.Aggregate(1L, (a, d) => a * d);
                for (long i = 0; i < n; i++)
                {
                    w.Write(poison is { } p && !poisoned && i == n / 2 ? p : 0.01f);
                    poisoned |= poison is not null && i == n / 2;
                }
            }
            w.Write(new byte[trailingBytes]);
        }
        return buffer.ToArray();
    }

    internal static string Payload(byte[] network, string? modelId = null) =>
        TaggerPayload.Encode(TaggerPayload.FormatVersion, modelId ?? Guid.NewGuid().ToString("N"), Convert.ToBase64String(network));

    /// <summary>Saves a model file whose tagger carries <paramref name="payload"/>.</summary>
    private string SaveWithPayload(string name, string payload)
    {
        var (ml, tagger, data) = Train();
        var path = PathOf(name);
        SequenceTaggerModelFile.Save(ml, new SequenceTaggerTransformer(ml, SvoData.Options(), tagger.Network, "crafted", payload, data), data.Schema, path);
        return path;
    }

    /// <summary>Runs <paramref name="load"/>, expects <see cref="InvalidDataException"/>, and checks that fewer than
    /// 64 MB were allocated on the managed heap meanwhile (the crafted sizes would need gigabytes).</summary>
    internal static InvalidDataException RefusedWithinMemory(Action load)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.ThrowsExactly<InvalidDataException>(load);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.IsLessThan(64L << 20, allocated, $"allocated {allocated} bytes while refusing: {e.Message}");
        return e;
    }

    [TestMethod]
    [DataRow(1 << 28, 4, "declares embedding size 268435456; at most 8192 is read")]
    [DataRow(1 << 22, 4, "declares embedding size 4194304; at most 8192 is read")]
    [DataRow(4, 1 << 30, "declares units 1073741824; at most 8192 is read")]
    [DataRow(8000, 4, "Weight 0 (embeddings) has shape (5, 4); the stored sizes imply (5, 8000)")]
    [DataRow(4, 8000, "Weight 1 (simple_rnn kernel) has shape (4, 4); the stored sizes imply (4, 8000)")]
    public void HugeDeclaredSizes_AreRefusedBeforeAnythingIsBuilt(int embedding, int units, string expected)
    {
        // The weights stored are those of a 4 × 4 network; only the header claims more.
        var bytes = CraftNetwork(embedding, units, shapes: [[5, 4], [4, 4], [4, 4], [4], [4, 3], [3]]);
        var path = SaveWithPayload("crafted.zip", Payload(bytes));
        var e = RefusedWithinMemory(() => SequenceTaggerModelFile.Load(new MLContext(), path, out _));
        Assert.StartsWith($"{path}: MlNetRnn tagger payload of model ", e.Message);
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    [DataRow("vocabulary", "declares 1000000000 vocabulary tokens but only")]
    [DataRow("tags", "declares 1000000000 tags but only")]
    public void HugeDeclaredCounts_AreRefused(string which, string expected)
    {
        var bytes = which == "tags" ? CraftNetwork(tagCount: 1_000_000_000) : CraftNetwork(vocabularyCount: 1_000_000_000);
        var e = RefusedWithinMemory(() => TaggerPayload.Decode(Payload(bytes)));
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    [DataRow(float.NaN, "Weight 0 (embeddings) holds a non-finite value (NaN) at index 10")]
    [DataRow(float.PositiveInfinity, "Weight 0 (embeddings) holds a non-finite value (Infinity) at index 10")]
    public void NonFiniteWeights_AreRefused(float poison, string expected)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(Payload(CraftNetwork(poison: poison))));
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void TrailingBytes_DuplicateTags_DuplicateTokens_AreRefused()
    {
        Assert.IsNotNull(TaggerPayload.Decode(Payload(CraftNetwork()))); // the crafted network itself is valid
        var trailing = Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(Payload(CraftNetwork(trailingBytes: 3))));
        StringAssert.Contains(trailing.Message, "has 3 trailing bytes after the weights");
        var tags = Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(Payload(CraftNetwork(tags: ["S", "V", "S"]))));
        StringAssert.Contains(tags.Message, "lists tag 'S' twice");
        var tokens = Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(Payload(CraftNetwork(vocabulary: ["John", "Jane", "John"]))));
        StringAssert.Contains(tokens.Message, "The vocabulary lists token 'John' twice");
        var huge = new string('x', 5_000_000);
        var hugeToken = Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(Payload(CraftNetwork(vocabulary: [huge, huge]))));
        Assert.IsLessThan(400, hugeToken.Message.Length, "a 5 MB token is not echoed whole");
    }

    [TestMethod]
    public void ChecksumMismatch_IsRefused_AndVersion1WithoutChecksumStillLoads()
    {
        var network = CraftNetwork();
        var good = Payload(network, "m");
        var header = TaggerPayload.ReadHeader(good);
        Assert.AreEqual(2, header.Version);
        var damagedNetwork = (byte[])network.Clone();
        damagedNetwork[^30] ^= 0x01; // a weight changes but stays finite
        var damaged = good[..header.BodyStart] + Convert.ToBase64String(damagedNetwork);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(damaged));
        StringAssert.Contains(e.Message, "MlNetRnn tagger payload of model m fails its checksum (SHA-256 of the network bytes is ");
        var malformed = Assert.ThrowsExactly<InvalidDataException>(() => TaggerPayload.Decode(
            TaggerPayload.Encode(2, "m", "not-a-checksum", Convert.ToBase64String(network))));
        StringAssert.Contains(malformed.Message, "has a malformed checksum field (expected 64 hex digits)");
        Assert.IsNotNull(TaggerPayload.Decode(TaggerPayload.Encode(1, "m", Convert.ToBase64String(damagedNetwork))));
    }

    /// <summary>A one-column ML.NET binary (.idv) file whose single block is <paramref name="block"/>, declared to
    /// expand to <paramref name="declared"/> bytes (written from the format's documentation, independently of the library).</summary>
    private static byte[] CraftIdv(byte[] block, int declared)
    {
        using var buffer = new MemoryStream();
        using var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true);
        w.Write(new byte[256]);
        long blockOffset = buffer.Position;
        w.Write(block);
        long lookup = buffer.Position;
        w.Write(blockOffset);
        w.Write(block.Length);
        w.Write(declared);
        long contents = buffer.Position;
        w.Write("Value");
        w.Write("TextSpan");
        w.Write7BitEncodedInt64(0); // codec parameters
        w.Write((byte)1); // DEFLATE
        w.Write7BitEncodedInt64(1); // rows per block
        w.Write(lookup);
        w.Write(0L); // no metadata
        long tail = buffer.Position;
        w.Write(0x434D4C0044564200UL);
        buffer.Position = 0;
        w.Write(0x00425644004C4D43UL);
        w.Write(0x0001000100010005UL);
        w.Write(0x0001000100010005UL);
        w.Write(contents);
        w.Write(tail);
        w.Write(1L); // rows
        w.Write(1); // columns
        w.Flush();
        return buffer.ToArray();
    }

    /// <summary><paramref name="megabytes"/> MB of 'A' compressed with DEFLATE (a few hundred KB), streamed.</summary>
    private static byte[] DeflateBomb(int megabytes)
    {
        using var compressed = new MemoryStream();
        using (var deflate = new DeflateStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var chunk = Enumerable.Repeat((byte)'A', 1 << 20).ToArray();
            for (int i = 0; i < megabytes; i++) deflate.Write(chunk);
        }
        return compressed.ToArray();
    }

    /// <summary>A copy of a real model file with its ValueMapping data (.idv) replaced.</summary>
    private string WithIdv(string name, byte[] idv)
    {
        var (ml, tagger, data) = Train();
        var source = PathOf("source.zip");
        SequenceTaggerModelFile.Save(ml, tagger, data.Schema, source);
        var path = PathOf(name);
        using (var from = ZipFile.OpenRead(source))
        using (var to = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var entry in from.Entries)
            {
                using var output = to.CreateEntry(entry.FullName).Open();
                if (entry.FullName.EndsWith(".idv", StringComparison.Ordinal)) output.Write(idv);
                else entry.Open().CopyTo(output);
            }
        }
        return path;
    }

    [TestMethod]
    public void PayloadCompressedTwice_IsRefusedBeforeMlNetExpandsIt()
    {
        var bomb = DeflateBomb(400); // 400 million characters of payload, as the issue's 6 KB zip held
        var honest = WithIdv("honest.zip", CraftIdv(bomb, 400 << 20));
        var e = RefusedWithinMemory(() => SequenceTaggerModelFile.Load(new MLContext(), honest, out _));
        Assert.AreEqual(
            $"{honest}: not an MlNetRnn model file: zip entry 'TransformerChain/Transform_002/DefaultMap.idv': ML.NET binary data has a block that expands to 419430400 bytes, beyond the {ModelFileCheck.MaxExpandedBytes} a model file may hold",
            e.Message);
        var lying = WithIdv("lying.zip", CraftIdv(DeflateBomb(20), 1000));
        var e2 = RefusedWithinMemory(() => SequenceTaggerModelFile.Load(new MLContext(), lying, out _));
        StringAssert.EndsWith(e2.Message, "ML.NET binary data has a block that expands beyond the 1000 bytes it declares");
    }

    [TestMethod]
    public void EveryNinetySeventhByteFlipped_IsRefusedOrAnswersAsTheIntactFile()
    {
        var (ml, tagger, data) = Train();
        var path = PathOf("model.zip");
        SequenceTaggerModelFile.Save(ml, tagger, data.Schema, path);
        var intact = File.ReadAllBytes(path);
        var expected = SvoData.Fingerprint(SvoData.Read(ml, SequenceTaggerModelFile.Load(ml, path, out _).Transform(SvoData.Queries(ml))));
        int refused = 0, same = 0;
        var flipped = PathOf("flipped.zip");
        for (int i = 0; i < intact.Length; i += 97)
        {
            var bytes = (byte[])intact.Clone();
            bytes[i] ^= 0xFF;
            File.WriteAllBytes(flipped, bytes);
            ITransformer model;
            try
            {
                model = SequenceTaggerModelFile.Load(ml, flipped, out _);
            }
            catch (InvalidDataException)
            {
                refused++;
                continue;
            }
            Assert.AreEqual(expected, SvoData.Fingerprint(SvoData.Read(ml, model.Transform(SvoData.Queries(ml)))), $"byte {i} flipped");
            same++;
        }
        Assert.AreEqual((intact.Length + 96) / 97, refused + same);
        Assert.IsGreaterThan(0, refused);
    }

    [TestMethod]
    public void TwoFilesWithTheSameModelId_KeepTheirOwnNetworks()
    {
        var (ml, first, data) = Train(seed: 1);
        var (_, second, _) = Train(seed: 2);
        var paths = new[] { PathOf("a.zip"), PathOf("b.zip") };
        var taggers = new[] { first, second };
        for (int i = 0; i < 2; i++)
        {
            var payload = TaggerPayload.Encode(taggers[i].Network, "same-id");
            SequenceTaggerModelFile.Save(ml, new SequenceTaggerTransformer(ml, SvoData.Options(), taggers[i].Network, "same-id", payload, data), data.Schema, paths[i]);
        }
        var loaded = paths.Select(p => SequenceTaggerModelFile.Load(new MLContext(), p, out _)).ToArray();
        var queries = SvoData.QuerySentences.Where(s => s.Length > 0).ToArray();
        var answers = loaded.Select(m => SvoData.Direct(m, queries)).ToArray();
        Assert.AreEqual(SvoData.Direct(first, queries), answers[0]);
        Assert.AreEqual(SvoData.Direct(second, queries), answers[1]);
        Assert.AreNotEqual(answers[0], answers[1]);
    }

    [TestMethod]
    public void Save_RemovesStaleTemporaries_ButNotLockedOrForeignOnes()
    {
        var (ml, tagger, data) = Train();
        var path = PathOf("model.zip");
        var stale = PathOf($".model.zip.{Guid.NewGuid():N}.tmp");
        var locked = PathOf($".model.zip.{Guid.NewGuid():N}.tmp");
        var foreign = PathOf(".model.zip.mine.tmp");
        var other = PathOf($".other.zip.{Guid.NewGuid():N}.tmp");
        foreach (var f in new[] { stale, locked, foreign, other }) File.WriteAllText(f, "partial");
        using (new FileStream(locked, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            SequenceTaggerModelFile.Save(ml, tagger, data.Schema, path);
        CollectionAssert.AreEquivalent(new[] { path, locked, foreign, other }, Directory.GetFiles(_dir.FullName));
    }

    [TestMethod]
    public void CheckCanSave_NamesTheProblem()
    {
        var e = Assert.ThrowsExactly<IOException>(() => SequenceTaggerModelFile.CheckCanSave(_dir.FullName));
        Assert.AreEqual($"{_dir.FullName}: is a directory; expected a file name", e.Message);
        var root = Assert.ThrowsExactly<IOException>(() => SequenceTaggerModelFile.CheckCanSave("/"));
        Assert.AreEqual("/: is a directory; expected a file name", root.Message);
        var missing = PathOf("no/such/dir/model.zip");
        var e2 = Assert.ThrowsExactly<DirectoryNotFoundException>(() => SequenceTaggerModelFile.CheckCanSave(missing));
        Assert.AreEqual($"{missing}: directory '{PathOf("no/such/dir")}' does not exist", e2.Message);
        SequenceTaggerModelFile.CheckCanSave(PathOf("fine.zip"));
        Assert.IsEmpty(Directory.GetFiles(_dir.FullName), "the probe file is removed");
    }
}
