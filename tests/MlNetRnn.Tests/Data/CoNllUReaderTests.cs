using MlNetRnn.Data;

namespace MlNetRnn.Tests.Data;

[TestClass]
public sealed class CoNllUReaderTests
{
    // Two sentences: a comment, a multiword range (2-3), an empty node (4.1), then EOF without a blank line.
    private const string Good =
        "# sent_id = 1\n" +
        "# text = I don't know.\n" +
        "1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_\n" +
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n" +
        "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_\n" +
        "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_\n" +
        "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No\n" +
        "4.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t_\t_\n" +
        "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_\n" +
        "\n" +
        "\n" +
        "# sent_id = 2\n" +
        "1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_";

    private static List<TaggedSentence> ReadAll(string text, CoNllUTagColumn column = CoNllUTagColumn.Upos) =>
        new CoNllUReader(column).Read(new StringReader(text), "t.conllu").ToList();

    private static string Line(string id, string form, string upos, string xpos) =>
        $"{id}\t{form}\t_\t{upos}\t{xpos}\t_\t_\t_\t_\t_";

    [TestMethod]
    public void Upos_TakesFormsAndColumn4_SkippingCommentsRangesAndEmptyNodes()
    {
        var sentences = ReadAll(Good);

        Assert.HasCount(2, sentences);
        CollectionAssert.AreEqual(new[] { "I", "do", "n't", "know", "." }, sentences[0].Tokens);
        CollectionAssert.AreEqual(new[] { "PRON", "AUX", "PART", "VERB", "PUNCT" }, sentences[0].Tags);
        CollectionAssert.AreEqual(new[] { "Yes" }, sentences[1].Tokens);
        CollectionAssert.AreEqual(new[] { "INTJ" }, sentences[1].Tags);
    }

    [TestMethod]
    public void Xpos_TakesColumn5()
    {
        var sentences = ReadAll(Good, CoNllUTagColumn.Xpos);

        CollectionAssert.AreEqual(new[] { "PRP", "VBP", "RB", "VB", "." }, sentences[0].Tags);
        CollectionAssert.AreEqual(new[] { "UH" }, sentences[1].Tags);
    }

    [TestMethod]
    public void UnderscoreInTheOtherTagColumn_IsAccepted()
    {
        var text = Line("1", "Hi", "INTJ", "_") + "\n";

        var sentence = ReadAll(text, CoNllUTagColumn.Upos).Single();

        CollectionAssert.AreEqual(new[] { "INTJ" }, sentence.Tags);
    }

    [TestMethod]
    public void CrLfLineEndsAndCommentOnlyBlocks_GiveNoEmptySentences()
    {
        var text = "# only a comment\r\n\r\n" + Line("1", "Hi", "INTJ", "UH") + "\r\n\r\n\r\n";

        var sentences = ReadAll(text);

        Assert.HasCount(1, sentences);
        CollectionAssert.AreEqual(new[] { "Hi" }, sentences[0].Tokens);
    }

    [TestMethod]
    [DataRow("1\tHi\tINTJ", 2, "expected 10 tab-separated columns, found 3")]
    [DataRow("1\tHi\t_\tINTJ\tUH\t_\t_\t_\t_\t_\t_", 2, "expected 10 tab-separated columns, found 11")]
    [DataRow("x\tHi\t_\tINTJ\tUH\t_\t_\t_\t_\t_", 2, "ID 'x' is not a word index")]
    [DataRow("1-\tHi\t_\tINTJ\tUH\t_\t_\t_\t_\t_", 2, "ID '1-' is not a word index")]
    [DataRow("1\t\t_\tINTJ\tUH\t_\t_\t_\t_\t_", 2, "FORM (column 2) is empty")]
    [DataRow("1\tHi\t_\t_\tUH\t_\t_\t_\t_\t_", 2, "UPOS (column 4) is '_' (not annotated)")]
    [DataRow("1\tHi\t_\t\tUH\t_\t_\t_\t_\t_", 2, "UPOS (column 4) is empty")]
    [DataRow("3\tHi\t_\tINTJ\tUH\t_\t_\t_\t_\t_", 2, "expected word ID 1, found 3")]
    public void MalformedLine_ThrowsWithSourceLineAndProblem(string badLine, int lineNumber, string problem)
    {
        var text = "# comment\n" + badLine + "\n";

        var error = Assert.ThrowsExactly<SequenceDataFormatException>(() => ReadAll(text));

        StringAssert.StartsWith(error.Message, $"t.conllu:{lineNumber}: {problem}");
        Assert.AreEqual("t.conllu", error.SourceName);
        Assert.AreEqual(lineNumber, error.LineNumber);
    }

    [TestMethod]
    public void UnderscoreXpos_IsAnErrorWhenXposIsRead()
    {
        var text = Line("1", "Hi", "INTJ", "UH") + "\n" + Line("2", "there", "ADV", "_") + "\n";

        var error = Assert.ThrowsExactly<SequenceDataFormatException>(() => ReadAll(text, CoNllUTagColumn.Xpos));

        Assert.AreEqual("t.conllu:2: XPOS (column 5) is '_' (not annotated)", error.Message);
    }

    [TestMethod]
    public void MissingBlankLineBetweenSentences_IsReportedAsOutOfSequenceId()
    {
        var text = Line("1", "Hi", "INTJ", "UH") + "\n" + Line("1", "Bye", "INTJ", "UH") + "\n";

        var error = Assert.ThrowsExactly<SequenceDataFormatException>(() => ReadAll(text));

        Assert.AreEqual("t.conllu:2: expected word ID 2, found 1", error.Message);
    }

    [TestMethod]
    public void Errors_SurfaceOnlyWhenTheBadLineIsReached()
    {
        var text = Line("1", "Hi", "INTJ", "UH") + "\n\n" + "broken\n";
        using var enumerator = new CoNllUReader().Read(new StringReader(text), "t.conllu").GetEnumerator();

        Assert.IsTrue(enumerator.MoveNext());
        CollectionAssert.AreEqual(new[] { "Hi" }, enumerator.Current.Tokens);
        var error = Assert.ThrowsExactly<SequenceDataFormatException>(() => enumerator.MoveNext());
        Assert.AreEqual(3, error.LineNumber);
    }

    [TestMethod]
    public void ReadPath_ReReadsTheFileOnEachEnumeration()
    {
        var path = DataPaths.TempFile(".conllu");
        try
        {
            File.WriteAllText(path, Line("1", "Hi", "INTJ", "UH") + "\n");
            var sentences = new CoNllUReader().Read(path);
            Assert.AreEqual("Hi", sentences.Single().Tokens[0]);

            File.WriteAllText(path, Line("1", "Bye", "INTJ", "UH") + "\n\n" + Line("1", "Now", "ADV", "RB") + "\n");

            CollectionAssert.AreEqual(new[] { "Bye", "Now" }, sentences.Select(s => s.Tokens[0]).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ReadPath_ErrorNamesTheFile()
    {
        var path = DataPaths.TempFile(".conllu");
        try
        {
            File.WriteAllText(path, "# c\n\n1\tHi\n");

            var error = Assert.ThrowsExactly<SequenceDataFormatException>(() => new CoNllUReader().Read(path).ToList());

            Assert.AreEqual($"{path}:3: expected 10 tab-separated columns, found 2", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ReadPath_MissingFileThrowsBeforeEnumeration()
    {
        var path = DataPaths.TempFile(".conllu");

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => new CoNllUReader().Read(path));

        StringAssert.Contains(error.Message, path);
        Assert.AreEqual(path, error.FileName);
    }

    [TestMethod]
    public void SampleDataset_ReadsAllSentencesWithMultiwordTokensSplitAndEmptyNodesSkipped()
    {
        var path = DataPaths.RepoDataset("sample.conllu");

        var upos = new CoNllUReader(CoNllUTagColumn.Upos).Read(path).ToList();
        var xpos = new CoNllUReader(CoNllUTagColumn.Xpos).Read(path).ToList();

        // Counted in the shell: 41 blank-line-terminated blocks, 267 lines whose ID is a plain integer.
        Assert.HasCount(41, upos);
        Assert.AreEqual(267, upos.Sum(s => s.Tokens.Length));
        CollectionAssert.AreEqual(upos.SelectMany(s => s.Tokens).ToArray(), xpos.SelectMany(s => s.Tokens).ToArray());
        var dont = upos.Single(s => s.Tokens.SequenceEqual(["I", "do", "n't", "like", "cats", "."]));
        CollectionAssert.AreEqual(new[] { "PRON", "AUX", "PART", "VERB", "NOUN", "PUNCT" }, dont.Tags);
        var gapped = xpos.Single(s => s.Tokens.Contains("letters") && s.Tokens.Contains("and"));
        CollectionAssert.AreEqual(new[] { "Mary", "reads", "books", "and", "Tom", "letters", "." }, gapped.Tokens);
        CollectionAssert.AreEqual(new[] { "NNP", "VBZ", "NNS", "CC", "NNP", "NNS", "." }, gapped.Tags);
    }

    [TestMethod]
    public void UdEnglishEwtDev_HasTheExpectedSentenceAndWordCounts()
    {
        var path = DataPaths.SharedDataset(Path.Combine("UD_English-EWT", "en_ewt-ud-dev.conllu"));
        if (path is null)
        {
            Assert.Inconclusive("shared/datasets/UD_English-EWT/en_ewt-ud-dev.conllu not found above the test directory.");
        }

        long sentences = 0, tokens = 0;
        foreach (var sentence in new CoNllUReader(CoNllUTagColumn.Xpos).Read(path))
        {
            sentences++;
            tokens += sentence.Tokens.Length;
        }

        // awk: lines whose first field is a plain integer = 25147 (25510 token lines - 359 ranges - 4 empty nodes);
        // 2001 blank-line-terminated sentences.
        Assert.AreEqual(2001, sentences);
        Assert.AreEqual(25147, tokens);
    }
}
