using MlNetRnn.Data;

namespace MlNetRnn.Tests.Data;

[TestClass]
public sealed class CoNllUWriterTests
{
    private static readonly (string[] tokens, string[] tags)[] Sentences =
    [
        (["John", "loves", "Jane", "."], ["PROPN", "VERB", "PROPN", "PUNCT"]),
        (["It", "works"], ["PRON", "VERB"]),
    ];

    private static string Write(IEnumerable<(string[] tokens, string[] tags)> sentences, CoNllUTagColumn column)
    {
        var writer = new StringWriter();
        CoNllUWriter.Write(writer, sentences, column);
        return writer.ToString();
    }

    [TestMethod]
    public void Upos_WritesTenColumnsWithTheTagInColumn4()
    {
        var text = Write(Sentences.Take(1), CoNllUTagColumn.Upos);

        Assert.AreEqual(
            "# sent_id = 1\n" +
            "# text = John loves Jane .\n" +
            "1\tJohn\t_\tPROPN\t_\t_\t_\t_\t_\t_\n" +
            "2\tloves\t_\tVERB\t_\t_\t_\t_\t_\t_\n" +
            "3\tJane\t_\tPROPN\t_\t_\t_\t_\t_\t_\n" +
            "4\t.\t_\tPUNCT\t_\t_\t_\t_\t_\t_\n" +
            "\n",
            text);
    }

    [TestMethod]
    public void Xpos_PutsTheTagInColumn5()
    {
        var text = Write([(["Hi"], ["UH"])], CoNllUTagColumn.Xpos);

        StringAssert.Contains(text, "1\tHi\t_\t_\tUH\t_\t_\t_\t_\t_\n");
    }

    [TestMethod]
    [DataRow(CoNllUTagColumn.Upos)]
    [DataRow(CoNllUTagColumn.Xpos)]
    public void ReaderReadsBackWhatTheWriterWrites(CoNllUTagColumn column)
    {
        var text = Write(Sentences, column);

        var back = new CoNllUReader(column).Read(new StringReader(text), "written").ToList();

        Assert.HasCount(Sentences.Length, back);
        for (var i = 0; i < Sentences.Length; i++)
        {
            CollectionAssert.AreEqual(Sentences[i].tokens, back[i].Tokens);
            CollectionAssert.AreEqual(Sentences[i].tags, back[i].Tags);
        }
    }

    [TestMethod]
    public void SampleDataset_SurvivesARoundTrip()
    {
        var original = new CoNllUReader(CoNllUTagColumn.Xpos).Read(DataPaths.RepoDataset("sample.conllu")).ToList();

        var text = Write(original.Select(s => (s.Tokens, s.Tags)), CoNllUTagColumn.Xpos);
        var back = new CoNllUReader(CoNllUTagColumn.Xpos).Read(new StringReader(text), "written").ToList();

        CollectionAssert.AreEqual(original.SelectMany(s => s.Tokens).ToArray(), back.SelectMany(s => s.Tokens).ToArray());
        CollectionAssert.AreEqual(original.SelectMany(s => s.Tags).ToArray(), back.SelectMany(s => s.Tags).ToArray());
        Assert.HasCount(original.Count, back);
    }

    [TestMethod]
    public void UnwritableInput_ThrowsNamingTheSentence()
    {
        Assert.Contains("Sentence 1: 2 tokens but 1 tags",
            Assert.ThrowsExactly<ArgumentException>(() => Write([(["a"], ["X"]), (["a", "b"], ["X"])], CoNllUTagColumn.Upos)).Message);
        Assert.Contains("Sentence 0 is empty",
            Assert.ThrowsExactly<ArgumentException>(() => Write([([], [])], CoNllUTagColumn.Upos)).Message);
        Assert.Contains("token 1",
            Assert.ThrowsExactly<ArgumentException>(() => Write([(["a", "b\tc"], ["X", "Y"])], CoNllUTagColumn.Upos)).Message);
        Assert.Contains("tag '_'",
            Assert.ThrowsExactly<ArgumentException>(() => Write([(["a"], ["_"])], CoNllUTagColumn.Upos)).Message);
    }
}
