using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;

namespace MlNetRnn.Tests.Data;

[TestClass]
public sealed class SequenceDataCatalogExtensionsTests
{
    private static void AssertTextVectorOfVariableSize(DataViewSchema schema, string column)
    {
        var type = schema[column].Type as VectorDataViewType;
        Assert.IsNotNull(type, $"{column} should be a vector column");
        Assert.AreEqual(TextDataViewType.Instance, type.ItemType);
        Assert.IsFalse(type.IsKnownSize);
        Assert.AreEqual(0, type.Size);
    }

    [TestMethod]
    public void LoadFromConll_HasTokensAndTagsAsVariableTextVectors_AndRoundTrips()
    {
        var mlContext = new MLContext(seed: 1);

        var view = mlContext.Data.LoadFromConll(DataPaths.RepoDataset("svo.conll"));

        AssertTextVectorOfVariableSize(view.Schema, nameof(TaggedSentence.Tokens));
        AssertTextVectorOfVariableSize(view.Schema, nameof(TaggedSentence.Tags));
        var rows = mlContext.Data.CreateEnumerable<TaggedSentence>(view, reuseRowObject: false).ToList();
        Assert.HasCount(2, rows);
        CollectionAssert.AreEqual(new[] { "John", "loves", "Jane" }, rows[0].Tokens);
        CollectionAssert.AreEqual(new[] { "S", "V", "O" }, rows[0].Tags);
        CollectionAssert.AreEqual(new[] { "Jane", "loves", "John" }, rows[1].Tokens);
    }

    [TestMethod]
    [DataRow(CoNllUTagColumn.Upos, "PROPN")]
    [DataRow(CoNllUTagColumn.Xpos, "NNP")]
    public void LoadFromConllU_RoundTripsThroughCreateEnumerable(CoNllUTagColumn column, string firstTag)
    {
        var mlContext = new MLContext(seed: 1);
        var path = DataPaths.RepoDataset("sample.conllu");

        var view = mlContext.Data.LoadFromConllU(path, column);

        AssertTextVectorOfVariableSize(view.Schema, "Tokens");
        AssertTextVectorOfVariableSize(view.Schema, "Tags");
        var rows = mlContext.Data.CreateEnumerable<TaggedSentence>(view, reuseRowObject: false).ToList();
        var direct = new CoNllUReader(column).Read(path).ToList();
        Assert.HasCount(direct.Count, rows);
        Assert.AreEqual(firstTag, rows[0].Tags[0]);
        for (var i = 0; i < rows.Count; i++)
        {
            CollectionAssert.AreEqual(direct[i].Tokens, rows[i].Tokens);
            CollectionAssert.AreEqual(direct[i].Tags, rows[i].Tags);
        }
    }

    [TestMethod]
    public void MissingFile_ThrowsAtLoadTime()
    {
        var mlContext = new MLContext(seed: 1);
        var path = DataPaths.TempFile(".conllu");

        var conllU = Assert.ThrowsExactly<FileNotFoundException>(() => mlContext.Data.LoadFromConllU(path));
        var conll = Assert.ThrowsExactly<FileNotFoundException>(() => mlContext.Data.LoadFromConll(path));

        StringAssert.Contains(conllU.Message, path);
        StringAssert.Contains(conll.Message, path);
    }

    [TestMethod]
    public void View_StreamsTheFile_SoEachCursorSeesTheCurrentContent_AndErrorsAppearWhenRead()
    {
        var mlContext = new MLContext(seed: 1);
        var path = DataPaths.TempFile(".conll");
        try
        {
            File.WriteAllText(path, "a X\n");
            var view = mlContext.Data.LoadFromConll(path);
            Assert.AreEqual("a", mlContext.Data.CreateEnumerable<TaggedSentence>(view, false).Single().Tokens[0]);

            File.WriteAllText(path, "b Y\n\nc Z\n\nbroken\n");

            var seen = new List<string>();
            var error = Assert.ThrowsExactly<SequenceDataFormatException>(() =>
            {
                foreach (var row in mlContext.Data.CreateEnumerable<TaggedSentence>(view, false))
                {
                    seen.Add(row.Tokens[0]);
                }
            });
            CollectionAssert.AreEqual(new[] { "b", "c" }, seen);
            Assert.AreEqual(5, error.LineNumber);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
