using System.Diagnostics;
using MlNetRnn.Onnx;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

[TestClass]
public sealed class OnnxValidityTests
{
    // onnx.checker with full_check (strict shape inference) over each file given; prints one "ok <path>" per file.
    private const string CheckerScript =
        "import sys, onnx\n" +
        "for path in sys.argv[1:]:\n" +
        "    onnx.checker.check_model(onnx.load(path), full_check=True)\n" +
        "    print('ok', path)\n";

    [TestMethod]
    public void ExportedModels_PassTheOnnxCheckerWithFullCheck()
    {
        var python = PythonWithOnnx() ?? throw new AssertInconclusiveException(
            "No python3 that can import onnx (Debian: apt-get install python3-onnx); the ONNX checker was not run.");
        using var scope = NewDisposeScope();
        var directory = Directory.CreateTempSubdirectory("mlnetrnn-onnx-check-");
        try
        {
            var files = new List<string>();
            foreach (var encoder in new[] { "cnn", "bilstm" })
            {
                using var network = OnnxCharEncoderExportTests.WordsAndChars(encoder, seed: 51);
                var tagger = Path.Combine(directory.FullName, $"tagger-{encoder}.onnx");
                OnnxExporter.ExportTagger(tagger, network, ["the", "cat"], lowercase: true, ["A", "B", "C", "D"],
                    charIds: new Dictionary<int, int> { ['a'] = 2, ['b'] = 3 }, maxChars: 6);
                var plain = Path.Combine(directory.FullName, $"network-{encoder}.onnx");
                OnnxExporter.Export(network, plain);
                files.AddRange([tagger, plain]);
            }
            var (exitCode, output) = RunPython(python, ["-c", CheckerScript, .. files]);
            Assert.AreEqual(0, exitCode, output);
            CollectionAssert.AreEqual(files.Select(f => $"ok {f}").ToArray(), output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string? PythonWithOnnx() =>
        new[] { "python3", "/usr/bin/python3" }.FirstOrDefault(p =>
        {
            try
            {
                return RunPython(p, ["-c", "import onnx"]).ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;   // not installed
            }
        });

    private static (int ExitCode, string Output) RunPython(string python, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
