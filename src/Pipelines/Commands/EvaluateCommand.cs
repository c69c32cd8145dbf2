using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MlNetRnn.Evaluation;
using MlNetRnn.MlNet;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn evaluate</c>: tags a gold-tagged file with a saved model and prints the scores.</summary>
public sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : TaggedDataSettings
    {
        [CommandOption("--model <FILE>", isRequired: true)]
        [Description("Model zip written by train.")]
        public string Model { get; init; } = "";

        [CommandOption("--data <FILE>", isRequired: true)]
        [Description("Gold-tagged data (CoNLL-U or column CoNLL).")]
        public string Data { get; init; } = "";

        [CommandOption("--json")]
        [Description("Print one JSON object instead of tables.")]
        public bool Json { get; init; }

    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var mlContext = new MLContext();
        var model = SequenceTaggerModelFile.Load(mlContext, settings.Model, out _);
        var data = settings.Load(mlContext, settings.Data);
        var metrics = mlContext.SequenceTagging().Evaluate(model.Transform(data));
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(ToJson(metrics)));
        else
            PrintTables(metrics);
        return 0;
    }

    /// <summary>The JSON shape: snake_case keys, per-tag and per-entity-type objects keyed by name.</summary>
    private static Dictionary<string, object> ToJson(SequenceTaggingMetrics m)
    {
        var json = new Dictionary<string, object>
        {
            ["token_accuracy"] = m.TokenAccuracy,
            ["sentence_accuracy"] = m.SentenceAccuracy,
            ["micro_f1"] = m.MicroF1,
            ["macro_f1"] = m.MacroF1,
            ["tokens"] = m.TokenCount,
            ["sentences"] = m.SentenceCount,
            ["per_tag"] = m.PerTag.ToDictionary(p => p.Key, p => new Dictionary<string, object>
            {
                ["precision"] = p.Value.Precision,
                ["recall"] = p.Value.Recall,
                ["f1"] = p.Value.F1,
                ["support"] = p.Value.Support,
            }),
        };
        if (m.Entities is { } e)
        {
            json["entities"] = new Dictionary<string, object>
            {
                ["precision"] = e.Precision,
                ["recall"] = e.Recall,
                ["f1"] = e.F1,
                ["gold"] = e.GoldCount,
                ["predicted"] = e.PredictedCount,
                ["correct"] = e.CorrectCount,
                ["per_type"] = e.PerType.ToDictionary(p => p.Key, p => new Dictionary<string, object>
                {
                    ["precision"] = p.Value.Precision,
                    ["recall"] = p.Value.Recall,
                    ["f1"] = p.Value.F1,
                    ["support"] = p.Value.GoldCount,
                }),
            };
        }
        return json;
    }

    private static void PrintTables(SequenceTaggingMetrics m)
    {
        var summary = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        summary.AddRow("tokens", m.TokenCount.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("sentences", m.SentenceCount.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("token accuracy", F(m.TokenAccuracy));
        summary.AddRow("sentence accuracy", F(m.SentenceAccuracy));
        summary.AddRow("micro F1", F(m.MicroF1));
        summary.AddRow("macro F1", F(m.MacroF1));
        AnsiConsole.Write(summary);

        var perTag = ScoreTable("tag");
        foreach (var (tag, t) in m.PerTag)
            perTag.AddRow(Markup.Escape(tag), F(t.Precision), F(t.Recall), F(t.F1), t.Support.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(perTag);

        if (m.Entities is { } e)
        {
            var entities = ScoreTable("entity");
            foreach (var (type, s) in e.PerType)
                entities.AddRow(Markup.Escape(type), F(s.Precision), F(s.Recall), F(s.F1), s.GoldCount.ToString(CultureInfo.InvariantCulture));
            entities.AddRow("[bold]all[/]", F(e.Precision), F(e.Recall), F(e.F1), e.GoldCount.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(entities);
        }
    }

    private static Table ScoreTable(string first) => new Table()
        .AddColumn(first)
        .AddColumn(new TableColumn("precision").RightAligned())
        .AddColumn(new TableColumn("recall").RightAligned())
        .AddColumn(new TableColumn("F1").RightAligned())
        .AddColumn(new TableColumn("support").RightAligned());

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
