using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;
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

        [CommandOption("--plot <PNG>")]
        [Description("Also write the confusion matrix as a PNG heat map (replaced atomically).")]
        public string? Plot { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Plot is { } plot)
            PlotFiles.CheckWritable(plot);
        var mlContext = new MLContext();
        var model = SequenceTaggerModelFile.Load(mlContext, settings.Model, out _);
        var data = settings.Load(mlContext, settings.Data, "--data");
        var isKnown = SequenceTaggerModelFile.GetKnownWordTest(model);
        var rows = ReadScored(model.Transform(data));
        var metrics = SequenceTaggingMetrics.Compute(rows.Select(r => (r.Gold, r.Predicted)));
        var known = KnownWordMetrics.Compute(rows, isKnown);
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(ToJson(metrics, known)));
        else
            PrintTables(metrics, known);
        if (settings.Plot is { } plotPath)
            PlotFiles.WriteConfusionMatrix(plotPath, metrics.ConfusionMatrix);
        return 0;
    }

    /// <summary>(tokens, gold, predicted) of every row, read with one cursor (data errors surface as themselves).</summary>
    private static List<(IReadOnlyList<string> Tokens, IReadOnlyList<string> Gold, IReadOnlyList<string> Predicted)> ReadScored(IDataView scored)
    {
        var columns = new[] { "Tokens", "Tags", "PredictedTags" }.Select(name => scored.Schema[name]).ToArray();
        var rows = new List<(IReadOnlyList<string>, IReadOnlyList<string>, IReadOnlyList<string>)>();
        using var cursor = scored.GetRowCursor(columns);
        var getters = columns.Select(c => cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(c)).ToArray();
        VBuffer<ReadOnlyMemory<char>> buffer = default;
        string[] Read(int column)
        {
            getters[column](ref buffer);
            return buffer.DenseValues().Select(v => v.ToString()).ToArray();
        }
        while (DataErrors.MoveNext(cursor))
            rows.Add((Read(0), Read(1), Read(2)));
        return rows;
    }

    /// <summary>The JSON shape: snake_case keys, per-tag and per-entity-type objects keyed by name, the
    /// confusion matrix as labels and rows of counts (rows gold, columns predicted).</summary>
    private static Dictionary<string, object> ToJson(SequenceTaggingMetrics m, KnownWordMetrics known)
    {
        var json = new Dictionary<string, object>
        {
            ["token_accuracy"] = m.TokenAccuracy,
            ["sentence_accuracy"] = m.SentenceAccuracy,
            ["micro_f1"] = m.MicroF1,
            ["macro_f1"] = m.MacroF1,
            ["tokens"] = m.TokenCount,
            ["sentences"] = m.SentenceCount,
            ["known_accuracy"] = known.KnownAccuracy,
            ["unknown_accuracy"] = known.UnknownAccuracy,
            ["known_tokens"] = known.KnownTokenCount,
            ["unknown_tokens"] = known.UnknownTokenCount,
            ["oov_rate"] = known.OutOfVocabularyRate,
            ["per_tag"] = m.PerTag.ToDictionary(p => p.Key, p => new Dictionary<string, object>
            {
                ["precision"] = p.Value.Precision,
                ["recall"] = p.Value.Recall,
                ["f1"] = p.Value.F1,
                ["support"] = p.Value.Support,
                ["predicted"] = p.Value.PredictedCount,
            }),
            ["confusion_matrix"] = ConfusionJson(m.ConfusionMatrix),
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

    private static Dictionary<string, object> ConfusionJson(TagConfusionMatrix matrix)
    {
        var counts = matrix.ToArray();
        return new Dictionary<string, object>
        {
            ["labels"] = matrix.Labels,
            ["counts"] = Enumerable.Range(0, matrix.Labels.Count)
                .Select(g => Enumerable.Range(0, matrix.Labels.Count).Select(p => counts[g, p]).ToArray()).ToArray(),
        };
    }

    private static void PrintTables(SequenceTaggingMetrics m, KnownWordMetrics known)
    {
        var summary = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        summary.AddRow("tokens", m.TokenCount.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("sentences", m.SentenceCount.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("token accuracy", F(m.TokenAccuracy));
        summary.AddRow("sentence accuracy", F(m.SentenceAccuracy));
        summary.AddRow("micro F1", F(m.MicroF1));
        summary.AddRow("macro F1", F(m.MacroF1));
        summary.AddRow("known-word accuracy", F(known.KnownAccuracy));
        summary.AddRow("unknown-word accuracy", F(known.UnknownAccuracy));
        summary.AddRow("OOV rate", F(known.OutOfVocabularyRate));
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

        var confusion = new Table().AddColumn("gold \\ predicted");
        foreach (var label in m.ConfusionMatrix.Labels) confusion.AddColumn(new TableColumn(Markup.Escape(label)).RightAligned());
        foreach (var gold in m.ConfusionMatrix.Labels)
            confusion.AddRow([Markup.Escape(gold), .. m.ConfusionMatrix.Labels.Select(p => m.ConfusionMatrix.Count(gold, p).ToString(CultureInfo.InvariantCulture))]);
        AnsiConsole.Write(confusion);
    }

    private static Table ScoreTable(string first) => new Table()
        .AddColumn(first)
        .AddColumn(new TableColumn("precision").RightAligned())
        .AddColumn(new TableColumn("recall").RightAligned())
        .AddColumn(new TableColumn("F1").RightAligned())
        .AddColumn(new TableColumn("support").RightAligned());

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
