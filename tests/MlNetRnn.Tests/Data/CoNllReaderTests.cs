using MlNetRnn.Data;

namespace MlNetRnn.Tests.Data;

[TestClass]
public sealed class CoNllReaderTests
{
    private static List<TaggedSentence> ReadAll(string text) =>
        new CoNllReader().Read(new StringReader(text), "t.conll").ToList();

    [TestMethod]
    public void TwoColumns_SplitOnBlankLines()
    {
        var sentences = ReadAll("John S\nloves\tV\n\n\n  Jane   O  \n");

        Assert.HasCount(2, sentences);
        CollectionAssert.AreEqual(new[] { "John", "loves" }, sentences[0].Tokens);
        CollectionAssert.AreEqual(new[] { "S", "V" }, sentences[0].Tags);
        CollectionAssert.AreEqual(new[] { "Jane" }, sentences[1].Tokens);
        CollectionAssert.AreEqual(new[] { "O" }, sentences[1].Tags);
    }

    [TestMethod]
    public void Conll2003Style_TakesFirstAndLastColumnsAndSkipsDocStart()
    {
        var text =
            "-DOCSTART- -X- -X- O\n\n" +
            "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n" +
            "-DOCSTART- -X- -X- O\n" +
            "Peter NNP B-NP B-PER\n";

        var sentences = ReadAll(text);

        Assert.HasCount(2, sentences);
        CollectionAssert.AreEqual(new[] { "EU", "rejects" }, sentences[0].Tokens);
        CollectionAssert.AreEqual(new[] { "B-ORG", "O" }, sentences[0].Tags);
        CollectionAssert.AreEqual(new[] { "B-PER" }, sentences[1].Tags);
    }

    [TestMethod]
    public void DocStart_EndsAnOpenSentence()
    {
        var sentences = ReadAll("a X\n-DOCSTART- O\nb Y\n");

        Assert.HasCount(2, sentences);
        CollectionAssert.AreEqual(new[] { "b" }, sentences[1].Tokens);
    }

    [TestMethod]
    public void SingleField_ThrowsWithSourceAndLine()
    {
        var error = Assert.ThrowsExactly<SequenceDataFormatException>(() => ReadAll("John S\n\nloves\n"));

        Assert.AreEqual("t.conll:3: expected a token and a tag separated by whitespace, found only 'loves'", error.Message);
        Assert.AreEqual(3, error.LineNumber);
    }

    [TestMethod]
    public void SvoDataset_IsTheSeedToyData()
    {
        var sentences = new CoNllReader().Read(DataPaths.RepoDataset("svo.conll")).ToList();

        Assert.HasCount(2, sentences);
        CollectionAssert.AreEqual(new[] { "John", "loves", "Jane" }, sentences[0].Tokens);
        CollectionAssert.AreEqual(new[] { "Jane", "loves", "John" }, sentences[1].Tokens);
        CollectionAssert.AreEqual(new[] { "S", "V", "O" }, sentences[0].Tags);
        CollectionAssert.AreEqual(new[] { "S", "V", "O" }, sentences[1].Tags);
    }

    [TestMethod]
    public void ReadPath_IsLazyAndRepeatable()
    {
        var path = DataPaths.TempFile(".conll");
        try
        {
            File.WriteAllText(path, "a X\n\nb Y\n\nbroken\n");
            var sentences = new CoNllReader().Read(path);

            // Two good sentences come out before the bad line 5 is reached, on every enumeration.
            for (var pass = 0; pass < 2; pass++)
            {
                var seen = new List<string>();
                var error = Assert.ThrowsExactly<SequenceDataFormatException>(() =>
                {
                    foreach (var s in sentences)
                    {
                        seen.Add(s.Tokens[0]);
                    }
                });
                CollectionAssert.AreEqual(new[] { "a", "b" }, seen);
                Assert.AreEqual($"{path}:5: expected a token and a tag separated by whitespace, found only 'broken'", error.Message);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ReadPath_MissingFileThrowsEagerly()
    {
        var path = DataPaths.TempFile(".conll");

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => new CoNllReader().Read(path));

        StringAssert.Contains(error.Message, path);
    }
}
