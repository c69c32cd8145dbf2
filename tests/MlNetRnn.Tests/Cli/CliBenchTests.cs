using System.Text.Json;
using MlNetRnn.Data;
using MlNetRnn.Tests.Data;

namespace MlNetRnn.Tests.Cli;

/// <summary><c>mlnetrnn bench</c> and <c>bench serve</c> end to end: the JSON lines and their fields, never the times
/// (no test asserts a speed). One small model is trained once for <c>bench serve</c>.</summary>
[TestClass]
public sealed class CliBenchTests
{
    private static string _dir = "";
    private static string _model = "";
    private static string _sample = "";

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _dir = Directory.CreateTempSubdirectory("mlnetrnn-cli-bench-").FullName;
        _model = Path.Combine(_dir, "model.zip");
        _sample = DataPaths.RepoDataset("sample.conllu");
        var result = CliProcess.Run(null, "train", "--train", _sample, "--model", _model,
            "--epochs", "2", "--units", "8", "--embedding", "8", "--seed", "1");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>Each stdout line parsed as one JSON object.</summary>
    private static JsonElement[] JsonLines(CliResult result) =>
        result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToArray();

    private static void AssertPositive(JsonElement line, params string[] fields)
    {
        foreach (var field in fields)
        {
            Assert.IsTrue(line.TryGetProperty(field, out var value), $"{field} missing in {line}");
            double number = value.GetDouble();
            Assert.IsTrue(double.IsFinite(number) && number > 0, $"{field} = {number} in {line}");
        }
    }

    [TestMethod]
    public void QuickJson_PrintsExactlyTheFourWorkloadLines_WithTheirFields()
    {
        var result = CliProcess.Run(null, "bench", "--quick", "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var lines = JsonLines(result);
        CollectionAssert.AreEqual(new[] { "seed", "tagger", "latency", "memory" },
            lines.Select(l => l.GetProperty("workload").GetString()).ToArray(), result.ToString());

        AssertPositive(lines[0], "median_s");
        Assert.AreEqual(200, lines[0].GetProperty("epochs").GetInt32());
        AssertPositive(lines[1], "train_tokens_per_s", "train_same_batches_tokens_per_s", "infer_tokens_per_s", "mlnet_infer_tokens_per_s");
        // torch_bench.py --quick draws 800 sentences of 18,414 tokens from libtorch's generator seeded 1234: the same ones.
        Assert.AreEqual(800, lines[1].GetProperty("sentences").GetInt32());
        Assert.AreEqual(18414, lines[1].GetProperty("real_tokens").GetInt32());
        AssertPositive(lines[2], "median_us", "p99_us");
        Assert.IsGreaterThanOrEqualTo(lines[2].GetProperty("median_us").GetDouble(), lines[2].GetProperty("p99_us").GetDouble());
        AssertPositive(lines[3], "peak_rss_mb");
        // Growth may be zero or negative; it must be a number, measured from the end of epoch 2 to the end of the last (3 in --quick).
        Assert.IsTrue(double.IsFinite(lines[3].GetProperty("rss_growth_pct").GetDouble()), lines[3].ToString());
        Assert.AreEqual(3, lines[3].GetProperty("epochs").GetInt32());
        Assert.AreEqual(3, lines[3].GetProperty("rss_at_epoch_end_mb").GetArrayLength());
    }

    [TestMethod]
    public void Serve_Json_PrintsTheServeLine_ForEverySentenceOfTheFile()
    {
        var result = CliProcess.Run(null, "bench", "serve", "--model", _model, "--data", _sample, "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var lines = JsonLines(result);
        Assert.HasCount(1, lines, result.ToString());
        var serve = lines[0];
        Assert.AreEqual("serve", serve.GetProperty("workload").GetString());
        AssertPositive(serve, "transform_sentences_per_s", "engine_sentences_per_s", "engine_median_us");
        var sentences = new CoNllUReader().Read(_sample).ToArray();
        Assert.AreEqual(sentences.Length, serve.GetProperty("sentences").GetInt32());
        Assert.AreEqual(sentences.Sum(s => s.Tokens.Length), serve.GetProperty("tokens").GetInt64());
    }

    [TestMethod]
    public void Serve_Table_ShowsEachFigureOnce()
    {
        var result = CliProcess.Run(null, "bench", "serve", "--model", _model, "--data", _sample);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        foreach (var measure in new[] { "Transform, whole file", "PredictionEngine, per sentence", "PredictionEngine call" })
            Assert.AreEqual(1, CountOf(result.StdOut, measure), result.ToString());
        Assert.AreEqual("", result.StdErr, result.ToString());
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [TestMethod]
    public void Help_ListsServeUnderBench_AndEachCommandsOwnOptions()
    {
        var bench = CliProcess.Run(null, "bench", "--help");
        Assert.AreEqual(0, bench.ExitCode, bench.ToString());
        StringAssert.Contains(bench.StdOut, "mlnetrnn bench [OPTIONS] [COMMAND]", bench.ToString());
        StringAssert.Matches(bench.StdOut, new System.Text.RegularExpressions.Regex(@"COMMANDS:\s+serve\s+Time a saved tagger"), bench.ToString());
        foreach (var option in new[] { "--quick", "--threads <N>", "--json", "--profile" })
            StringAssert.Contains(bench.StdOut, option, bench.ToString());
        Assert.DoesNotContain("--model", bench.StdOut, bench.ToString());

        var serve = CliProcess.Run(null, "bench", "serve", "--help");
        Assert.AreEqual(0, serve.ExitCode, serve.ToString());
        StringAssert.Contains(serve.StdOut, "mlnetrnn bench serve [OPTIONS]", serve.ToString());
        foreach (var option in new[] { "--model <FILE>", "--data <FILE>", "--json", "--threads <N>" })
            StringAssert.Contains(serve.StdOut, option, serve.ToString());
        Assert.DoesNotContain("--quick", serve.StdOut, serve.ToString());
        Assert.AreEqual("", serve.StdErr, serve.ToString());
    }

    [TestMethod]
    public void BadOptionsAndFiles_ExitTwo_WithOneLine()
    {
        var missing = Path.Combine(_dir, "missing.zip");
        CliAssert.UserError(CliProcess.Run(null, "bench", "--threads", "0"), "--threads must be at least 1, not 0");
        CliAssert.UserError(CliProcess.Run(null, "bench", "--threads", "two"), "--threads: 'two' is not a whole number");
        CliAssert.UserError(CliProcess.Run(null, "bench", "--qiuck"), "bench: unknown option '--qiuck' (did you mean '--quick'?)");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--modle", _model), "bench serve: unknown option '--modle' (did you mean '--model'?)");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serv", "--model", _model), "bench: unknown sub-command 'serv' (did you mean 'serve'?); sub-commands: serve");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--model", _model, "--quick"), "bench serve: unknown option '--quick'");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--data", _sample), "Command 'bench serve' is missing required option 'model'.");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--model", missing, "--data", _sample), $"{missing}: model file not found");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--model", _sample, "--data", _sample),
            $"{_sample}: not an MlNetRnn model file: not a zip archive (End of Central Directory record could not be found.)");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--model", _model, "--data", _dir), $"{_dir}: is a directory, not a data file");
        var missingData = Path.Combine(_dir, "missing.conllu");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--model", _model, "--data", missingData), $"{missingData}: data file not found");
        var empty = Path.Combine(_dir, "empty.conllu");
        File.WriteAllText(empty, "# only a comment\n");
        CliAssert.UserError(CliProcess.Run(null, "bench", "serve", "--model", _model, "--data", empty),
            $"--data {empty}: no sentences (the file is empty or holds only comments)");
    }
}
