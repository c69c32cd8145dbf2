using System.IO.Compression;
using System.Text;
using MlNetRnn.Models;

namespace MlNetRnn.Tests.Tagging;

/// <summary>Pretrained word vectors: the .vec reader and the tagger's use of it.</summary>
[TestClass]
public sealed class WordVectorsTests
{
    // One directory per test, removed after it, for the vector files the test writes.
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mlnetrnn-vec-");

    [TestCleanup]
    public void Cleanup() => _dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [TestMethod]
    public void Read_WithAndWithoutHeader_KeepsTheFirstOfDuplicates()
    {
        var withHeader = WordVectors.Read(Write("a.vec", "3 2\nthe 0.5 -1\ncat 2 3e-1\nthe 9 9\n"));
        var glove = WordVectors.Read(Write("b.txt", "the 0.5 -1\ncat 2 0.3\n"));
        foreach (var vectors in new[] { withHeader, glove })
        {
            Assert.AreEqual(2, vectors.Dimension);
            CollectionAssert.AreEqual(new[] { "the", "cat" }, vectors.Words.ToArray());
            CollectionAssert.AreEqual(new[] { 0.5f, -1f }, vectors["the"].ToArray());
            CollectionAssert.AreEqual(new[] { 2f, 0.3f }, vectors["cat"].ToArray());
            Assert.IsTrue(vectors["dog"].IsEmpty);
        }
    }

    [TestMethod]
    public void Read_GzippedText_GivesTheSameVectors_AndDamagedDataNamesTheFileAndLine()
    {
        const string text = "2 2\nthe 0.5 -1\ncat 2 0.3\n";
        var plain = WordVectors.Read(Write("plain.vec", text));
        var zipped = Path.Combine(_dir.FullName, "zipped.vec.gz");
        using (var file = File.Create(zipped))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        var read = WordVectors.Read(zipped);
        CollectionAssert.AreEqual(plain.Words.ToArray(), read.Words.ToArray());
        CollectionAssert.AreEqual(plain["cat"].ToArray(), read["cat"].ToArray());
        CollectionAssert.AreEqual(plain["the"].ToArray(), read["the"].ToArray());

        // The gzip header, then bytes that are no deflate stream.
        var damaged = Path.Combine(_dir.FullName, "damaged.vec.gz");
        File.WriteAllBytes(damaged, [.. File.ReadAllBytes(zipped)[..10], .. Enumerable.Repeat((byte)0xff, 64)]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => WordVectors.Read(damaged));
        Assert.AreEqual($"{damaged}:1: damaged gzip data (The archive entry was compressed using an unsupported compression method).", e.Message);
    }

    [TestMethod]
    public void Read_FromAPipe_ReadsWithoutRewinding()
    {
        // A named pipe stands for `--embeddings <(…)`: it cannot seek, so its first bytes cannot be read twice.
        var fifo = Path.Combine(_dir.FullName, "vectors.pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        var writer = Task.Run(() => File.WriteAllText(fifo, "2 2\nthe 0.5 -1\ncat 2 0.3\n"));
        var vectors = WordVectors.Read(fifo);
        writer.Wait();
        CollectionAssert.AreEqual(new[] { "the", "cat" }, vectors.Words.ToArray());
        CollectionAssert.AreEqual(new[] { 2f, 0.3f }, vectors["cat"].ToArray());
    }

    [TestMethod]
    public void Read_LineLongerThanTheLimit_IsRefusedBeforeItIsHeld()
    {
        var path = Write("long.vec", "the " + new string('1', WordVectors.MaxLineChars) + "\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => WordVectors.Read(path));
        Assert.AreEqual($"{path}:1: a line is longer than {WordVectors.MaxLineChars} characters.", e.Message);
    }

    [TestMethod]
    public void Read_BadLines_NameTheFileAndLine()
    {
        var path = Write("bad.vec", "2 3\nthe 1 2 3\ncat 1 2\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => WordVectors.Read(path));
        Assert.AreEqual($"{path}:3: expected a word and 3 numbers (as on the first vector line); received 2 numbers.", e.Message);

        path = Write("nan.vec", "the 1 2\ncat 1 x\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => WordVectors.Read(path));
        Assert.AreEqual($"{path}:2: value 2 of 'cat' is 'x'; expected a finite number.", e.Message);

        path = Write("wide.vec", "the " + string.Join(" ", Enumerable.Repeat("1", 5)) + "\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => WordVectors.Read(path, maxDimension: 4));
        Assert.AreEqual($"{path}:1: the vectors have 5 values; at most 4 are accepted.", e.Message);

        path = Write("short.vec", "3 2\nthe 0.5 -1\ncat 2 0.3\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => WordVectors.Read(path));
        Assert.AreEqual($"{path}:3: the first line promises 3 vectors; the file holds 2. Is it cut short?", e.Message);

        path = Write("empty.vec", "\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => WordVectors.Read(path));
        Assert.AreEqual($"{path}:1: the file holds no word vectors.", e.Message);

        Assert.ThrowsExactly<FileNotFoundException>(() => WordVectors.Read(path + ".missing"));
    }

    [TestMethod]
    public void Tagger_ExtendsTheVocabularyAndStartsRowsFromTheFile()
    {
        var path = Write("tiny.vec", "3 4\nthe 1 2 3 4\nzebra 0.5 0.5 0.5 0.5\nCat -1 -2 -3 -4\n");
        var hp = new SequenceTaggerHyperParameters
        {
            EmbeddingsFile = path, EmbeddingSize = 4, Lowercase = true, Units = 3, CharFeatures = CharFeatureKind.None,
            Epochs = 1, LearningRate = 1e-9, Seed = 1,
        };
        using var network = SequenceTaggerNetwork.Train([["The", "cat", "runs"]], [["D", "N", "V"]], hp);
        // Training words first (most frequent first, then ordinal), then the file's other words in file order; lower-cased.
        CollectionAssert.AreEqual(new[] { "cat", "runs", "the", "zebra" }, network.Vocabulary.Tokens.ToArray());
        using var embeddings = network.Model.Layers[0].Weights[0].Read();
        AreClose(new[] { -1f, -2f, -3f, -4f }, Row(embeddings, 2));   // "cat" (file's "Cat")
        AreClose(new[] { 1f, 2f, 3f, 4f }, Row(embeddings, 4));       // "the"
        AreClose(new[] { 0.5f, 0.5f, 0.5f, 0.5f }, Row(embeddings, 5));
        Assert.IsTrue(Row(embeddings, 3).All(v => Math.Abs(v) <= 0.05f), "'runs' keeps its uniform(−0.05, 0.05) start");

        hp.EmbeddingSize = 5;
        var e = Assert.ThrowsExactly<ArgumentException>(() => SequenceTaggerNetwork.Train([["a"]], [["X"]], hp));
        StringAssert.StartsWith(e.Message, $"The word vectors in '{path}' have 4 dimensions; EmbeddingSize is 5.");
    }

    private static void AreClose(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], actual[i], 1e-6f, $"element {i}");
    }

    private static float[] Row(TorchSharp.torch.Tensor embeddings, int id) => embeddings[id].data<float>().ToArray();
}
