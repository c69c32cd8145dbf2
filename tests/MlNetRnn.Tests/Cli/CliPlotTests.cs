using System.Buffers.Binary;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using MlNetRnn.Models;
using MlNetRnn.Pipelines.Commands;
using MlNetRnn.Tests.Data;

namespace MlNetRnn.Tests.Cli;

/// <summary>What train and evaluate show besides their figures: <c>--plot</c> PNG files, the per-batch progress
/// line (stderr on a terminal only) and the library's per-batch hook behind it.</summary>
[TestClass]
public sealed class CliPlotTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static string _dir = "";
    private static string _sample = "";

    [ClassInitialize]
    public static void Setup(TestContext context)
    {
        _dir = Directory.CreateTempSubdirectory("mlnetrnn-cli-plot-").FullName;
        _sample = DataPaths.RepoDataset("sample.conllu");
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static string PathOf(string name) => Path.Combine(_dir, name);

    private static string[] Train(string model, params string[] more) =>
        ["train", "--train", _sample, "--model", model, "--units", "4", "--embedding", "4", "--char-features", "none", "--epochs", "2", "--seed", "1", .. more];

    /// <summary>Width and height from the IHDR chunk, after checking the signature and that IHDR comes first.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.IsGreaterThan(24, bytes.Length, path);
        CollectionAssert.AreEqual(PngSignature, bytes[..8], $"{path}: not a PNG signature");
        Assert.AreEqual(13, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)), "IHDR length");
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [TestMethod]
    public void TrainAndEvaluate_WithPlot_WritePngs_AndStdoutKeepsOneLinePerEpoch()
    {
        var model = PathOf("model.zip");
        var curves = PathOf("curves.png");
        var train = CliProcess.Run(null, Train(model, "--dev", _sample, "--plot", curves));
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        Assert.AreEqual((900, 540), PngSize(curves));
        // Redirected stderr: no progress line, and each epoch's figures once on stdout.
        Assert.AreEqual("", train.StdErr);
        var epochLines = train.StdOut.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).ToArray();
        Assert.HasCount(2, epochLines, train.ToString());
        Assert.StartsWith("epoch 1/2 loss ", epochLines[0]);
        Assert.StartsWith("epoch 2/2 loss ", epochLines[1]);

        var confusion = PathOf("confusion.png");
        var evaluate = CliProcess.Run(null, "evaluate", "--model", model, "--data", _sample, "--json", "--plot", confusion);
        Assert.AreEqual(0, evaluate.ExitCode, evaluate.ToString());
        // sample.conllu has 12 UPOS tags: a side of 220 + 32 per tag, and 120 more across for the colour bar.
        Assert.AreEqual((724, 604), PngSize(confusion));
        Assert.AreEqual("", evaluate.StdErr);
        Assert.IsEmpty(Directory.GetFiles(_dir, ".*.tmp"), "temporary files left behind");
    }

    [TestMethod]
    public void UnwritablePlotPath_IsOneLine_ExitTwo_BeforeTrainingOrEvaluating()
    {
        var model = PathOf("never.zip");
        var missing = PathOf("no/such/curves.png");
        var result = CliProcess.Run(null, Train(model, "--plot", missing));
        CliAssert.UserError(result, $"--plot {missing}: directory '{PathOf("no/such")}' does not exist");
        Assert.AreEqual("", result.StdOut, "nothing was trained");
        Assert.IsFalse(File.Exists(model));

        CliAssert.UserError(CliProcess.Run(null, Train(model, "--plot", _dir)), $"--plot {_dir}: is a directory; expected a file name");
        // evaluate checks the path before it even opens the model (which does not exist here).
        CliAssert.UserError(CliProcess.Run(null, "evaluate", "--model", model, "--data", _sample, "--plot", missing),
            $"--plot {missing}: directory '{PathOf("no/such")}' does not exist");
    }

    [TestMethod]
    public void ProgressLine_ShowsBarLossAndEta_AndClearErasesIt()
    {
        Assert.AreEqual("epoch 2/10 [#########---------------------] 12/40 loss 1.2346 ETA 0:14",
            BatchProgressLine.Format(new BatchReport(2, 10, 12, 40, 1.23456), TimeSpan.FromSeconds(6)));
        Assert.AreEqual("epoch 1/1 [##############################] 3/3 loss 0.5000 ETA 0:00",
            BatchProgressLine.Format(new BatchReport(1, 1, 3, 3, 0.5), TimeSpan.FromMinutes(3)));

        var output = new StringWriter();
        var line = new BatchProgressLine(output);
        line.Update(new BatchReport(1, 1, 1, 1, 0.25));
        var drawn = output.ToString();
        Assert.StartsWith("\repoch 1/1 [##############################] 1/1 loss 0.2500 ETA ", drawn);
        line.Clear();
        int length = drawn.Length - 1;
        Assert.AreEqual(drawn + "\r" + new string(' ', length) + "\r", output.ToString());
        line.Clear();
        Assert.AreEqual(drawn + "\r" + new string(' ', length) + "\r", output.ToString(), "nothing left to erase");
    }
}
