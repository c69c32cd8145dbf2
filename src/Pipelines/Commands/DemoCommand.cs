using System.ComponentModel;
using MlNetRnn.Pipelines.Demo;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn demo</c>: the seed notebook in C#.</summary>
public sealed class DemoCommand : Command<DemoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--epochs <N>")]
        [Description("Training epochs of the tagger (default 2000, as in the notebook).")]
        [DefaultValue(2000)]
        public int Epochs { get; init; } = 2000;

        [CommandOption("--seed <N>")]
        [Description("Seed for initial weights and shuffling (default 1).")]
        [DefaultValue(1)]
        public int Seed { get; init; } = 1;

        public override Spectre.Console.ValidationResult Validate() =>
            Epochs < 1 ? Spectre.Console.ValidationResult.Error("--epochs must be at least 1") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        SeedNotebook.Run(Console.Out, settings.Epochs, settings.Seed);
        Console.WriteLine($"demo finished in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
