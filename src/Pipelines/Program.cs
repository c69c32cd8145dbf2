using System.Reflection;
using MlNetRnn.Pipelines.Commands;
using Spectre.Console.Cli;

// Touch the library first: its module initializer configures libtorch's OpenMP runtime before it loads.
MlNetRnn.Utils.EnsureNativeSettings();

CommandLine.CommandSpec[] commands =
[
    new("demo", typeof(DemoCommand.Settings)),
    new("train", typeof(TrainCommand.Settings)),
    new("evaluate", typeof(EvaluateCommand.Settings)),
    new("predict", typeof(PredictCommand.Settings)),
    new("export", typeof(ExportCommand.Settings)),
    new("bench", typeof(BenchCommand.Settings)),
    new("bench serve", typeof(BenchServeCommand.Settings)),
];

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("mlnetrnn");
    config.SetApplicationVersion(Version());
    config.SetHelpProvider(new BranchHelpProvider(config.Settings));
    config.AddCommand<DemoCommand>("demo")
        .WithDescription("Reproduce the seed Keras notebook: the RNN cell, states over a sequence, the S/V/O tagger.");
    config.AddCommand<TrainCommand>("train")
        .WithDescription("Train a sequence tagger on a CoNLL-U or CoNLL file and save it as an ML.NET model zip.")
        .WithExample("train", "--train", "train.conllu", "--dev", "dev.conllu", "--model", "tagger.zip", "--epochs", "5");
    config.AddCommand<EvaluateCommand>("evaluate")
        .WithDescription("Score a saved model on gold-tagged data: accuracy, F1, known/unknown words, per-tag table, confusion matrix (--json for JSON).")
        .WithExample("evaluate", "--model", "tagger.zip", "--data", "dev.conllu", "--json");
    config.AddCommand<PredictCommand>("predict")
        .WithDescription("Tag sentences (one per line, whitespace-separated tokens) from stdin or --input.")
        .WithExample("predict", "--model", "tagger.zip", "--input", "sentences.txt", "--format", "conllu");
    config.AddCommand<ExportCommand>("export")
        .WithDescription("Write a saved tagger as one ONNX file: tokens (and characters) in, tags and probabilities out (docs/onnx.md).")
        .WithExample("export", "--model", "tagger.zip", "--onnx", "tagger.onnx");
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Time W1 (seed fit), W2 (tagger training and inference, library and ML.NET), W3 (PredictionEngine latency) and W2 memory; `bench serve` times a saved tagger.");
        bench.SetDefaultCommand<BenchCommand>();
        bench.AddExample("bench", "--json");
        bench.AddCommand<BenchServeCommand>("serve")
            .WithDescription("Time a saved tagger serving a file's sentences: Transform over all of them, then a PredictionEngine one at a time.")
            .WithExample("bench", "serve", "--model", "tagger.zip", "--data", "dev.conllu", "--json");
    });
});
return CliErrors.Run(app, commands, args);

static string Version() => typeof(MlNetRnn.MlNet.SequenceTaggerModelFile).Assembly
    .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";
