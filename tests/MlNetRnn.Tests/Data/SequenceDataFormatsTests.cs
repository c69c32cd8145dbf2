using MlNetRnn.Data;

namespace MlNetRnn.Tests.Data;

[TestClass]
public sealed class SequenceDataFormatsTests
{
    private string _path = "";

    [TestInitialize]
    public void Init() => _path = DataPaths.TempFile(".txt");

    [TestCleanup]
    public void Cleanup() => File.Delete(_path);

    [TestMethod]
    [DataRow("# sent_id = 1\n# text = John\n1\tJohn\tJohn\tPROPN\tNNP\t_\t_\t_\t_\t_\n", SequenceDataFormat.CoNllU)]
    [DataRow("1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n1\tdo\tdo\tAUX\tVBP\t_\t_\t_\t_\t_\n", SequenceDataFormat.CoNllU)]
    [DataRow("\n\nJohn S\nloves V\n", SequenceDataFormat.CoNll)]
    [DataRow("EU NNP B-NP B-ORG\n", SequenceDataFormat.CoNll)]
    [DataRow("x\t1\t2\t3\t4\t5\t6\t7\t8\t9\n", SequenceDataFormat.CoNll)] // ten columns, but no word ID
    public void Detect_RecognisesTheFormatByContent(string content, SequenceDataFormat expected)
    {
        File.WriteAllText(_path, content);
        Assert.AreEqual(expected, SequenceDataFormats.Detect(_path));
    }

    [TestMethod]
    public void Detect_EmptyOrCommentsOnly_IsNull()
    {
        File.WriteAllText(_path, "# only a comment\n\n   \n");
        Assert.IsNull(SequenceDataFormats.Detect(_path));
    }

    [TestMethod]
    public void CoNllReader_RefusesCoNllUContent_NamingTheLine()
    {
        File.WriteAllText(_path, "# sent_id = 1\n1\tJohn\tJohn\tPROPN\tNNP\t_\t_\t_\t_\t_\n");
        var e = Assert.ThrowsExactly<SequenceDataFormatException>(() => new CoNllReader().Read(_path).ToList());
        Assert.AreEqual($"{_path}:2: this is CoNLL-U (10 tab-separated columns starting with a word ID), not column CoNLL; read it as CoNLL-U", e.Message);
    }

    [TestMethod]
    public void Read_Directory_SaysSo()
    {
        var dir = Path.GetTempPath().TrimEnd('/');
        var e = Assert.ThrowsExactly<IOException>(() => new CoNllUReader().Read(dir));
        Assert.AreEqual($"{dir}: is a directory, not a data file", e.Message);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => new CoNllReader().Read(_path + ".missing"));
        Assert.AreEqual($"{_path}.missing: data file not found", missing.Message);
    }

    [TestMethod]
    public void LongQuotedInput_IsCut()
    {
        File.WriteAllText(_path, new string('x', 5000) + "\n");
        var e = Assert.ThrowsExactly<SequenceDataFormatException>(() => new CoNllReader().Read(_path).ToList());
        Assert.AreEqual($"{_path}:1: expected a token and a tag separated by whitespace, found only '{new string('x', 77)}… (5000 characters)'", e.Message);
    }

    [TestMethod]
    public void BinaryInput_IsQuotedWithoutControlCharacters()
    {
        File.WriteAllText(_path, "\u007fELF\u0002\u0001\u0000\u001b[2J\n");
        var e = Assert.ThrowsExactly<SequenceDataFormatException>(() => new CoNllReader().Read(_path).ToList());
        Assert.AreEqual($"{_path}:1: expected a token and a tag separated by whitespace, found only '?ELF????[2J'", e.Message);
    }

    [TestMethod]
    public void SafeFileReadLine_SplitsLikeReadLine_AndRefusesLongLines()
    {
        var reader = new StringReader("a b\r\n\nc\rd");
        var lines = new List<string>();
        while (SafeFile.ReadLine(reader, 10) is { } line) lines.Add(line);
        CollectionAssert.AreEqual(new[] { "a b", "", "c", "d" }, lines);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeFile.ReadLine(new StringReader(new string('y', 11)), 10));
        Assert.AreEqual("a line is longer than 10 characters", e.Message);
        Assert.AreEqual(new string('y', 10), SafeFile.ReadLine(new StringReader(new string('y', 10)), 10));
    }

    [TestMethod]
    public void SafeFileReadAllBytes_RefusesFilesAboveTheLimit()
    {
        File.WriteAllBytes(_path, new byte[100]);
        Assert.HasCount(100, SafeFile.ReadAllBytes(_path, 100, "model file"));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeFile.ReadAllBytes(_path, 99, "model file"));
        Assert.AreEqual($"{_path}: model file is 100 bytes, more than the 99 read", e.Message);
    }
}
