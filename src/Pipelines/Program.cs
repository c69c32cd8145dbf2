using MlNetRnn.Pipelines.Commands;
using Spectre.Console.Cli;

// Touch the library first: its module initializer configures libtorch's OpenMP runtime before it loads.
MlNetRnn.Utils.EnsureNativeSettings();

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("mlnetrnn");
    config.AddCommand<DemoCommand>("demo")
        .WithDescription("Reproduce the seed Keras notebook: the RNN cell, states over a sequence, the S/V/O tagger.");
    config.AddCommand<BenchCommand>("bench")
        .WithDescription("Time the workloads of the PyTorch reference (shared/bench/torch_bench.py): W1 seed, W2 tagger.");
});
return CliErrors.Run(app, args);
