using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn export</c>: writes a saved tagger as one ONNX file (strings in, tags out; see docs/onnx.md).</summary>
public sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <FILE>", isRequired: true)]
        [Description("Model zip written by train.")]
        public string Model { get; init; } = "";

        [CommandOption("--onnx <FILE>", isRequired: true)]
        [Description("The .onnx file to write (replaced atomically if it exists).")]
        public string Onnx { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // A bad output path is named before the model is read.
        CliErrors.ForOption("--onnx", () => SafeFile.CheckWritable(settings.Onnx));
        var mlContext = new MLContext();
        var model = SequenceTaggerModelFile.Load(mlContext, settings.Model, out _);
        CliErrors.ForOption("--onnx", () => SequenceTaggerModelFile.ExportOnnx(mlContext, model, settings.Onnx));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{settings.Onnx}: {new FileInfo(settings.Onnx).Length:N0} bytes (model zip {settings.Model}: {new FileInfo(settings.Model).Length:N0} bytes)"));
        return 0;
    }
}
