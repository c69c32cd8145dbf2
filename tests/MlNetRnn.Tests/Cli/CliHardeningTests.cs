using System.Text.Json;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.Evaluation;
using MlNetRnn.MlNet;
using MlNetRnn.Tests.Data;
using MlNetRnn.Tests.MlNet;

namespace MlNetRnn.Tests.Cli;

/// <summary>Every user error ends the process with exit code 2 and one line on stderr; pipes and closed
/// descriptors end promptly. One small model is trained once.</summary>
[TestClass]
public sealed class CliHardeningTests
{
    private static string _dir = "";
    private static string _model = "";
    private static string _sample = "";

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _dir = Directory.CreateTempSubdirectory("mlnetrnn-cli-hardening-").FullName;
        _model = Path.Combine(_dir, "model.zip");
        _sample = DataPaths.RepoDataset("sample.conllu");
        var result = CliProcess.Run(null, "train", "--train", _sample, "--model", _model,
            "--epochs", "3", "--units", "8", "--embedding", "8", "--seed", "1");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static string PathOf(string name) => Path.Combine(_dir, name);

    [TestMethod]
    public void UnknownOptionsAndCommands_ExitTwo_NamingTheClosestValidOne()
    {
        var output = PathOf("never.zip");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "--epoch", "1"),
            "train: unknown option '--epoch' (did you mean '--epochs'?)");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "--dve", _sample),
            "train: unknown option '--dve' (did you mean '--dev'?)");
        CliAssert.UserError(CliProcess.Run(null, "predict", "--model", _model, "--inptu", _sample),
            "predict: unknown option '--inptu' (did you mean '--input'?)");
        CliAssert.UserError(CliProcess.Run(null, "evaluate", "--model", _model, "--data", _sample, "--jsn"),
            "evaluate: unknown option '--jsn' (did you mean '--json'?)");
        CliAssert.UserError(CliProcess.Run(null, "evaluate", "--model", _model, "--data", _sample, "--formt", "conllu"),
            "evaluate: unknown option '--formt' (did you mean '--format'?)");
        CliAssert.UserError(CliProcess.Run(null, "trian"),
            "unknown command 'trian' (did you mean 'train'?); commands: demo, train, evaluate, predict, export, bench");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "stray"),
            "train: unexpected argument 'stray' (options take the form --name value)");
        Assert.IsFalse(File.Exists(output));
    }

    [TestMethod]
    public void DivergedTraining_ExitsTwo_SayingWhatToChange_AndWritesNoModel()
    {
        // S/V/O data, seed 1: the first update makes the weights NaN, so epoch 2's loss is NaN and training stops there.
        var output = PathOf("diverged.zip");
        var result = CliProcess.Run(null, "train", "--train", DataPaths.RepoDataset("svo.conll"), "--model", output,
            "--epochs", "4", "--learning-rate", "1e20", "--units", "8", "--embedding", "8", "--seed", "1");
        CliAssert.UserError(result,
            "training diverged: the loss became NaN at epoch 2 (learning rate 1E+20). Lower the learning rate or set a gradient clip norm.");
        StringAssert.Contains(result.StdOut, "epoch 2/4 loss NaN", result.ToString());
        Assert.DoesNotContain("epoch 3/4", result.StdOut, result.ToString());
        Assert.IsFalse(File.Exists(output));
    }

    [TestMethod]
    public void BadValues_NameTheOption()
    {
        var output = PathOf("never.zip");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "--epochs", "abc"),
            "--epochs: 'abc' is not a whole number");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "--learning-rate", "fast"),
            "--learning-rate: 'fast' is not a number");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "--units", "1000000"),
            "--units must be at most 8192; received 1000000.");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "--embedding", "2000000000"),
            "--embedding must be at most 8192; received 2000000000.");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", output, "--epochs", "99999999999"),
            "--epochs: '99999999999' is too large");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model"), "--model: a value is missing");
        Assert.IsFalse(File.Exists(output));
    }

    [TestMethod]
    public void Version_PrintsTheVersion()
    {
        var result = CliProcess.Run(null, "--version");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual(typeof(SequenceTaggerModelFile).Assembly.GetName().Version!.ToString(3), result.StdOut.Trim());
    }

    [TestMethod]
    public void CoNllUNamedTxt_IsReadAsCoNllU_AndFormatConllOnItIsRefused()
    {
        var txt = PathOf("sample.txt");
        File.Copy(_sample, txt, overwrite: true);
        var model = PathOf("from-txt.zip");
        var result = CliProcess.Run(null, "train", "--train", txt, "--model", model, "--epochs", "1", "--units", "4", "--embedding", "4");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var tags = new CoNllUReader().Read(_sample).SelectMany(s => s.Tags).Distinct().Count();
        StringAssert.Contains(result.StdOut, $", {tags} tags)");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", txt, "--model", model, "--format", "conll"),
            $"--train {txt}: --format conll, but the content is CoNLL-U (10 tab-separated columns starting with a word ID); drop --format or use --format conllu");
    }

    [TestMethod]
    public void EmptyOrCommentsOnlyData_IsRefusedByTrainAndEvaluateAlike()
    {
        var empty = PathOf("empty.conllu");
        File.WriteAllText(empty, "# sent_id = 1\n# text = nothing\n\n");
        CliAssert.UserError(CliProcess.Run(null, "evaluate", "--model", _model, "--data", empty),
            $"--data {empty}: no sentences (the file is empty or holds only comments)");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", empty, "--model", PathOf("never.zip")),
            $"--train {empty}: no sentences (the file is empty or holds only comments)");
    }

    [TestMethod]
    public void ClosedStdin_EndsWithOneLine()
    {
        var result = CliProcess.RunShell($"\"$MLNETRNN\" predict --model '{_model}' <&-");
        CliAssert.UserError(result, "standard input is closed; give sentences on standard input or with --input");
    }

    [TestMethod]
    public void BrokenPipe_StopsQuietly()
    {
        var result = CliProcess.RunShell(
            $"(yes 'John reads a book .' 2>/dev/null) | \"$MLNETRNN\" predict --model '{_model}' | head -n 1; echo \"status ${{PIPESTATUS[1]}}\"");
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(2, lines, result.ToString());
        StringAssert.StartsWith(lines[0], "John/");
        Assert.AreEqual("status 0", lines[1], result.ToString());
        Assert.AreEqual("", result.StdErr, result.ToString());
    }

    [TestMethod]
    public void UnwritableOutput_IsOneLine()
    {
        var result = CliProcess.RunShell($"echo 'John reads' | \"$MLNETRNN\" predict --model '{_model}' > /dev/full");
        CliAssert.UserError(result, "cannot write to standard output: No space left on device");
    }

    [TestMethod]
    public void BlankLines_KeepTheirPlace()
    {
        var result = CliProcess.Run("John reads\n\n   \nMary writes\n", "predict", "--model", _model);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var lines = result.StdOut.Split('\n');
        Assert.HasCount(5, lines, result.ToString()); // four lines and the final newline
        StringAssert.StartsWith(lines[0], "John/");
        Assert.AreEqual("", lines[1]);
        Assert.AreEqual("", lines[2]);
        StringAssert.StartsWith(lines[3], "Mary/");
        Assert.AreEqual("", lines[4]);
    }

    [TestMethod]
    public void VeryLongLines_AreRefusedWithinBounds()
    {
        CliAssert.UserError(CliProcess.Run(string.Join(' ', Enumerable.Repeat("a", 2001)) + "\n", "predict", "--model", _model),
            "stdin:1: 2001 tokens, more than --max-tokens 1000; split the sentence or raise --max-tokens");
        var result = CliProcess.Run("John reads\n" + string.Join(' ', Enumerable.Repeat("a", 2001)) + "\n",
            "predict", "--model", _model, "--max-tokens", "3000");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        CliAssert.UserError(CliProcess.Run(new string('x', 5_000_000) + "\n", "predict", "--model", _model),
            "stdin:1: a line is longer than 1048576 characters");
    }

    [TestMethod]
    public void ClearAndRightMessages_ForPathsAndForeignModels()
    {
        CliAssert.UserError(CliProcess.Run(null, "predict", "--model", _dir), $"{_dir}: is a directory, not a model file");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", "/"), "--model /: is a directory; expected a file name");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", _dir), $"--model {_dir}: is a directory; expected a file name");
        var missingDir = PathOf("no/such/model.zip");
        CliAssert.UserError(CliProcess.Run(null, "train", "--train", _sample, "--model", missingDir),
            $"--model {missingDir}: directory '{PathOf("no/such")}' does not exist");
        CliAssert.UserError(CliProcess.Run(null, "evaluate", "--model", _model, "--data", _dir), $"{_dir}: is a directory, not a data file");
        CliAssert.UserError(CliProcess.Run(null, "predict", "--model", _model, "--input", _dir), $"--input {_dir}: is a directory, not an input file");

        var ml = new MLContext();
        var data = ml.Data.LoadFromConllU(_sample);
        var foreign = PathOf("foreign.zip");
        ml.Model.Save(ml.Transforms.CopyColumns("X", "Tokens").Fit(data), data.Schema, foreign);
        CliAssert.UserError(CliProcess.Run("John\n", "predict", "--model", foreign),
            $"{foreign}: not an MlNetRnn tagger: an ML.NET model without an MlNetRnn sequence tagger");

        var longToken = PathOf("long-token.conll");
        File.WriteAllText(longToken, new string('x', 5_000_000) + "\n");
        var result = CliProcess.Run(null, "evaluate", "--model", _model, "--data", longToken);
        CliAssert.UserError(result, $"{longToken}:1: expected a token and a tag separated by whitespace, found only '{new string('x', 77)}… (5000000 characters)'");
    }

    [TestMethod]
    public void CraftedModelFile_IsRefusedWithOneLine()
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        var tagger = ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options()).Fit(data);
        var crafted = PathOf("crafted.zip");
        var payload = ModelFileSafetyTests.Payload(
            ModelFileSafetyTests.CraftNetwork(embedding: 1 << 28, shapes: [[5, 4], [4, 4], [4, 4], [4], [4, 3], [3]]), "crafted");
        SequenceTaggerModelFile.Save(ml, new SequenceTaggerTransformer(ml, SvoData.Options(), tagger.Network, "crafted", payload, data), data.Schema, crafted);
        CliAssert.UserError(CliProcess.Run("John\n", "predict", "--model", crafted),
            $"{crafted}: MlNetRnn tagger payload of model crafted holds an unreadable network: The sequence tagger network declares embedding size 268435456; at most 8192 is read.");
    }

    [TestMethod]
    public void Train_PrintsEachEpochOnce_SaysWhichEpochEarlyStoppingKept_AndLogsCsv()
    {
        var model = PathOf("early.zip");
        var log = PathOf("epochs.csv");
        var result = CliProcess.Run(null, "train", "--train", _sample, "--dev", _sample, "--model", model,
            "--epochs", "30", "--units", "8", "--embedding", "8", "--seed", "1", "--learning-rate", "0.5", "--patience", "2", "--log-file", log);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var epochLines = result.StdOut.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).ToArray();
        var csv = File.ReadAllLines(log);
        Assert.AreEqual("epoch,loss,dev_accuracy,elapsed_seconds", csv[0]);
        Assert.HasCount(epochLines.Length, csv.Skip(1).ToArray(), "one CSV row per epoch line");
        var rows = csv.Skip(1).Select(l => l.Split(',')).Select(f => (Epoch: int.Parse(f[0]), Dev: double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        CollectionAssert.AreEqual(Enumerable.Range(1, rows.Length).ToArray(), rows.Select(r => r.Epoch).ToArray(), "each epoch printed once");
        var best = rows.Aggregate((a, b) => b.Dev > a.Dev ? b : a);
        if (best.Epoch != rows[^1].Epoch)
            StringAssert.Contains(result.StdOut, System.FormattableString.Invariant(
                $"early stopping: kept epoch {best.Epoch} (dev accuracy {best.Dev:F4}), the best of the {rows.Length} epochs run"));
        else
            Assert.DoesNotContain("early stopping", result.StdOut);
        Assert.IsLessThan(30, rows.Length, "patience 2 stopped training early: " + result.StdOut);
    }

    [TestMethod]
    public void EvaluateJson_HasConfusionMatrix_PerTagCounts_AndKnownUnknownAccuracy()
    {
        var data = PathOf("eval.conllu");
        // Two sentences of the sample plus one of unseen words.
        File.WriteAllText(data, string.Join("\n", File.ReadAllLines(_sample).Take(18)) + "\n\n1\tZorblax\t_\tPROPN\tNNP\t_\t_\t_\t_\t_\n2\tfrobs\t_\tVERB\tVBZ\t_\t_\t_\t_\t_\n\n");
        var result = CliProcess.Run(null, "evaluate", "--model", _model, "--data", data, "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;

        var ml = new MLContext();
        var model = SequenceTaggerModelFile.Load(ml, _model, out _);
        var engine = ml.Model.CreatePredictionEngine<Sentence, MlNet.TaggedSentence>(model);
        var sentences = new CoNllUReader().Read(data).ToArray();
        var rows = sentences.Select(s => ((IReadOnlyList<string>)s.Tokens, (IReadOnlyList<string>)s.Tags,
            (IReadOnlyList<string>)engine.Predict(new Sentence { Tokens = s.Tokens }).PredictedTags!)).ToArray();
        var known = KnownWordMetrics.Compute(rows, SequenceTaggerModelFile.GetKnownWordTest(model));
        Assert.AreEqual(2, known.UnknownTokenCount);
        Assert.AreEqual(known.KnownAccuracy, root.GetProperty("known_accuracy").GetDouble(), 1e-12);
        Assert.AreEqual(known.UnknownAccuracy, root.GetProperty("unknown_accuracy").GetDouble(), 1e-12);
        Assert.AreEqual(2, root.GetProperty("unknown_tokens").GetInt64());
        Assert.AreEqual(2.0 / (known.KnownTokenCount + 2), root.GetProperty("oov_rate").GetDouble(), 1e-12);

        var metrics = SequenceTaggingMetrics.Compute(rows.Select(r => (r.Item2, r.Item3)));
        var matrix = root.GetProperty("confusion_matrix");
        CollectionAssert.AreEqual(metrics.ConfusionMatrix.Labels.ToArray(),
            matrix.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToArray());
        var counts = matrix.GetProperty("counts").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        var expected = metrics.ConfusionMatrix.ToArray();
        for (int g = 0; g < counts.Length; g++)
            for (int p = 0; p < counts[g].Length; p++)
                Assert.AreEqual(expected[g, p], counts[g][p], $"[{g}, {p}]");
        Assert.AreEqual(metrics.PerTag["NOUN"].PredictedCount, root.GetProperty("per_tag").GetProperty("NOUN").GetProperty("predicted").GetInt64());
    }

    [TestMethod]
    public void Predict_ModelWithAnUpstreamTransformOfTheLabel_Works()
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        var pipeline = SvoData.Pipeline(ml).Fit(data); // keeps MapValueToKey("TagKeys", "Tags") in the saved chain
        var path = PathOf("with-label-transform.zip");
        SequenceTaggerModelFile.Save(ml, pipeline, data.Schema, path);
        var result = CliProcess.Run("John loves Jane\n", "predict", "--model", path);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual("John/S loves/V Jane/O\n", result.StdOut);
    }
}
