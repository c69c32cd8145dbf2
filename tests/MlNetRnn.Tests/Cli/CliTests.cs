using System.Text.Json;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using MlNetRnn.Tests.Data;
using MlNetRnn.Tests.MlNet;

namespace MlNetRnn.Tests.Cli;

/// <summary>The command line end to end, each command in its own process; one small model is trained once.</summary>
[TestClass]
public sealed class CliTests
{
    private static string _dir = "";
    private static string _model = "";
    private static string _sample = "";

    private static readonly string[] Sentences =
    [
        "John reads a book .",
        "Mary writes the old letter quickly .",
        "Zorblax frobnicates every widget", // unseen words take the out-of-vocabulary path
    ];

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _dir = Directory.CreateTempSubdirectory("mlnetrnn-cli-").FullName;
        _model = Path.Combine(_dir, "model.zip");
        _sample = DataPaths.RepoDataset("sample.conllu");
        var result = CliProcess.Run(null, "train", "--train", _sample, "--dev", _sample, "--model", _model,
            "--epochs", "15", "--units", "32", "--embedding", "16", "--seed", "1");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsTrue(File.Exists(_model), result.ToString());
        StringAssert.Contains(result.StdOut, "dev accuracy");
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void Predict_InAnotherProcess_MatchesInProcessPredictionEngine()
    {
        var result = CliProcess.Run(string.Join("\n", Sentences[0], "", "   ", Sentences[1], Sentences[2]) + "\n",
            "predict", "--model", _model);
        Assert.AreEqual(0, result.ExitCode, result.ToString());

        var ml = new MLContext();
        var loaded = ml.Model.Load(_model, out _);
        using var engine = ml.Model.CreatePredictionEngine<Sentence, MlNet.TaggedSentence>(loaded);
        var expected = Sentences.Select(s =>
        {
            var tokens = s.Split(' ');
            var tags = engine.Predict(new Sentence { Tokens = tokens }).PredictedTags!;
            return string.Join(' ', tokens.Zip(tags, (t, g) => $"{t}/{g}"));
        }).ToArray();
        CollectionAssert.AreEqual(expected, result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), result.ToString());
    }

    [TestMethod]
    public void Predict_ConllU_IsReadableAndAgreesWithText()
    {
        var input = Path.Combine(_dir, "sentences.txt");
        File.WriteAllLines(input, Sentences);
        var text = CliProcess.Run(null, "predict", "--model", _model, "--input", input);
        var conllu = CliProcess.Run(null, "predict", "--model", _model, "--input", input, "--format", "conllu", "--column", "xpos");
        Assert.AreEqual(0, conllu.ExitCode, conllu.ToString());

        var read = new CoNllUReader(CoNllUTagColumn.Xpos).Read(new StringReader(conllu.StdOut), "stdout")
            .Select(s => string.Join(' ', s.Tokens.Zip(s.Tags, (t, g) => $"{t}/{g}")));
        CollectionAssert.AreEqual(text.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), read.ToArray());
    }

    [TestMethod]
    public void EvaluateJson_ParsesAndMatchesInProcessEvaluate()
    {
        var result = CliProcess.Run(null, "evaluate", "--model", _model, "--data", _sample, "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut); // the whole of stdout is one JSON object
        var root = json.RootElement;
        var accuracy = root.GetProperty("token_accuracy").GetDouble();
        Assert.IsTrue(accuracy is >= 0 and <= 1, $"token_accuracy {accuracy}");
        foreach (var key in new[] { "macro_f1", "micro_f1", "sentence_accuracy", "tokens", "sentences" })
            Assert.IsTrue(root.TryGetProperty(key, out _), key);
        Assert.IsTrue(root.GetProperty("per_tag").GetProperty("NOUN").TryGetProperty("support", out _));

        var ml = new MLContext();
        var model = SequenceTaggerModelFile.Load(ml, _model, out _);
        var metrics = ml.SequenceTagging().Evaluate(model.Transform(ml.Data.LoadFromConllU(_sample)));
        Assert.AreEqual(metrics.TokenAccuracy, accuracy, 1e-12);
        Assert.AreEqual(metrics.MacroF1, root.GetProperty("macro_f1").GetDouble(), 1e-12);
        Assert.AreEqual(metrics.TokenCount, root.GetProperty("tokens").GetInt64());
    }

    [TestMethod]
    public void UserErrors_GiveOneLineOnStderr_AndExitCode2()
    {
        var badData = Path.Combine(_dir, "bad.conllu");
        File.WriteAllText(badData, "1\tJohn\tJohn\tPROPN\tNNP\t_\t_\t_\t_\t_\n2\treads\tread\tVERB\n\n");
        var corrupt = Path.Combine(_dir, "corrupt.zip");
        var bytes = File.ReadAllBytes(_model);
        File.WriteAllBytes(corrupt, bytes[..(bytes.Length / 2)]);
        var missing = Path.Combine(_dir, "missing.conllu");
        var output = Path.Combine(_dir, "out.zip");

        (string[] Args, string Expected)[] cases =
        [
            (["train", "--train", missing, "--model", output], "missing.conllu"),
            (["train", "--train", badData, "--model", output, "--epochs", "1"], "bad.conllu:2"),
            (["evaluate", "--model", _model, "--data", badData], "bad.conllu:2"),
            (["evaluate", "--model", corrupt, "--data", _sample], "corrupt.zip"),
            (["predict", "--model", corrupt], "corrupt.zip"),
            (["train", "--train", _sample, "--model", output, "--epochs", "-1"], "--epochs"),
            (["train", "--train", _sample, "--model", output, "--format", "xml"], "--format"),
            (["predict", "--model", _model, "--input", missing], "missing.conllu"),
        ];
        foreach (var (args, expected) in cases)
        {
            var result = CliProcess.Run("John reads\n", args);
            var what = $"mlnetrnn {string.Join(' ', args)}\n{result}";
            Assert.AreNotEqual(0, result.ExitCode, what);
            Assert.HasCount(1, result.ErrorLines, what);
            Assert.StartsWith("mlnetrnn: ", result.ErrorLines[0], what);
            StringAssert.Contains(result.ErrorLines[0], expected, what);
        }
        Assert.IsFalse(File.Exists(output), "no model is written when training fails");
    }
}
