using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MlNetRnn.MlNet;
using MlNetRnn.Tests.Data;
using MlNetRnn.Tests.MlNet;
using MlNetRnn.Tests.Onnx;

namespace MlNetRnn.Tests.Cli;

/// <summary><c>mlnetrnn export</c> end to end: a trained model zip becomes an ONNX file that tags like it; bad
/// inputs and outputs give one line and exit code 2. One small model (char CNN) is trained once.</summary>
[TestClass]
public sealed class CliExportTests
{
    private static string _dir = "";
    private static string _model = "";

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _dir = Directory.CreateTempSubdirectory("mlnetrnn-cli-export-").FullName;
        _model = Path.Combine(_dir, "tagger.zip");
        var result = CliProcess.Run(null, "train", "--train", DataPaths.RepoDataset("sample.conllu"), "--model", _model,
            "--epochs", "2", "--units", "6", "--embedding", "6", "--char-features", "cnn", "--seed", "1");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static string PathOf(string name) => Path.Combine(_dir, name);

    [TestMethod]
    public void Export_WritesAnOnnxFileThatTagsLikeTheModel()
    {
        var onnx = PathOf("tagger.onnx");
        var result = CliProcess.Run(null, "export", "--model", _model, "--onnx", onnx);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual("", result.StdErr, result.ToString());
        Assert.AreEqual(string.Create(CultureInfo.InvariantCulture,
                $"{onnx}: {new FileInfo(onnx).Length:N0} bytes (model zip {_model}: {new FileInfo(_model).Length:N0} bytes)\n"),
            result.StdOut);

        string[][] sentences = [["John", "reads", "a", "book", "."], ["Zorblax"]];
        using var session = new InferenceSession(onnx);
        var (tags, _, _) = TaggerExportTests.RunOnnx(session, sentences);
        var ml = new MLContext();
        var model = SequenceTaggerModelFile.Load(ml, _model, out _);
        using var engine = ml.Model.CreatePredictionEngine<Sentence, SequenceTaggerPrediction>(model);
        CollectionAssert.AreEqual(engine.Predict(new Sentence { Tokens = sentences[0] }).PredictedTags, tags[..5]);
        CollectionAssert.AreEqual(engine.Predict(new Sentence { Tokens = sentences[1] }).PredictedTags.Append("").Append("").Append("").Append("").ToArray(), tags[5..]);
    }

    /// <summary>Exit code 2, one line on stderr, no output file.</summary>
    private static void AssertUserError(string expected, string onnx, params string[] args)
    {
        var result = CliProcess.Run(null, args);
        CliAssert.UserError(result, expected);
        Assert.IsFalse(File.Exists(onnx), result.ToString());
    }

    [TestMethod]
    public void BadModelsAndOutputs_GiveOneLine_AndExitCode2()
    {
        var onnx = PathOf("never.onnx");
        var truncated = PathOf("truncated.zip");
        var bytes = File.ReadAllBytes(_model);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        AssertUserError($"{truncated}: not an MlNetRnn model file: not a zip archive (End of Central Directory record could not be found.)",
            onnx, "export", "--model", truncated, "--onnx", onnx);

        // A valid ML.NET model without a tagger.
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Sentence { Tokens = ["a"] } });
        var other = PathOf("other.zip");
        ml.Model.Save(ml.Transforms.CopyColumns("Words", "Tokens").Fit(data), data.Schema, other);
        AssertUserError($"{other}: not an MlNetRnn tagger: an ML.NET model without an MlNetRnn sequence tagger",
            onnx, "export", "--model", other, "--onnx", onnx);

        var missing = PathOf("missing.zip");
        var result = CliProcess.Run(null, "export", "--model", missing, "--onnx", onnx);
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        Assert.HasCount(1, result.ErrorLines, result.ToString());
        StringAssert.Contains(result.ErrorLines[0], "missing.zip", result.ToString());

        var noDirectory = Path.Combine(_dir, "no-such-dir", "tagger.onnx");
        result = CliProcess.Run(null, "export", "--model", _model, "--onnx", noDirectory);
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        Assert.HasCount(1, result.ErrorLines, result.ToString());
        Assert.StartsWith($"mlnetrnn: --onnx ", result.ErrorLines[0], result.ToString());
        StringAssert.Contains(result.ErrorLines[0], "no-such-dir", result.ToString());
        AssertUserError("--onnx: a value is missing", onnx, "export", "--model", _model, "--onnx");
    }
}
