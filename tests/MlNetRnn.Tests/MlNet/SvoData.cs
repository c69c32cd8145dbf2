using Microsoft.ML;
using MlNetRnn.MlNet;

namespace MlNetRnn.Tests.MlNet;

/// <summary>A sentence to tag (no label column).</summary>
public sealed class Sentence
{
    public string[] Tokens { get; set; } = [];
}

/// <summary>A training sentence with one tag per token.</summary>
public sealed class LabeledSentence
{
    public string[] Tokens { get; set; } = [];
    public string[] Tags { get; set; } = [];
}

/// <summary>The outputs of the tagger (PredictionEngine gives null for zero-length vectors).</summary>
public sealed class TaggedSentence
{
    public string[]? PredictedTags { get; set; }
    public float[]? Score { get; set; }
    public float[]? Probabilities { get; set; }
}

internal static class SvoData
{
    public static LabeledSentence[] Training =>
    [
        new() { Tokens = ["John", "loves", "Jane"], Tags = ["S", "V", "O"] },
        new() { Tokens = ["Jane", "loves", "John"], Tags = ["S", "V", "O"] },
    ];

    public static readonly string[] Expected = ["S", "V", "O"];

    /// <summary>What a batched <c>Transform</c> gives for these rows (one block): the network's <c>Predict</c> over all
    /// of them at once.</summary>
    public static string Direct(ITransformer model, params string[][] sentences) =>
        Fingerprint(TaggerChain.ResolveNetworks(model).Single().Predict(sentences));

    /// <summary>What the row-wise chain (plain <c>mlContext.Model.Load</c>, <c>PredictionEngine</c>) gives: each
    /// sentence tagged alone. libtorch may round a batch differently in the last bits, so this is its own fingerprint.</summary>
    public static string DirectOneByOne(ITransformer model, params string[][] sentences)
    {
        var network = TaggerChain.ResolveNetworks(model).Single();
        return Fingerprint(sentences.Select(s => network.Predict([s])[0]));
    }

    private static string Fingerprint(IEnumerable<MlNetRnn.Models.SentenceTagging> tagged) =>
        Fingerprint(tagged.Select(t => new TaggedSentence
        {
            PredictedTags = t.Tags.Length == 0 ? null : t.Tags,
            Score = t.Scores.Length == 0 ? null : t.Scores,
            Probabilities = t.Distribution.Length == 0 ? null : t.Distribution,
        }));

    public static readonly string[][] QuerySentences =
    [
        ["John", "loves", "Jane"],
        ["Jane", "loves", "John"],
        [],
        ["Jane", "loves", "Jane", "loves", "John"],
        ["Mary", "loves", "John"],
    ];

    public static SequenceTaggerOptions Options(string tokens = "Tokens", string label = "Tags") =>
        new() { TokensColumnName = tokens, LabelColumnName = label, Epochs = 80, LearningRate = 0.05, EmbeddingSize = 8, Units = 16, BatchSize = 2, Seed = 1 };

    /// <summary>CopyColumns → MapValueToKey(label, training only) → tagger → CopyColumns, like a user's pipeline.</summary>
    public static IEstimator<ITransformer> Pipeline(MLContext ml) =>
        ml.Transforms.CopyColumns("Words", "Tokens")
            .Append(ml.Transforms.Conversion.MapValueToKey("TagKeys", "Tags"), Microsoft.ML.Data.TransformerScope.TrainTest)
            .Append(ml.SequenceTagging().Trainers.SimpleRnn(Options("Words", "TagKeys")))
            .Append(ml.Transforms.CopyColumns("Answer", "PredictedTags"));

    /// <summary>Fits <see cref="Pipeline"/> and keeps the scoring part (drops the training-only label mapping),
    /// which is what gets saved and served: it needs only the tokens column.</summary>
    public static ITransformer FitScoringModel(MLContext ml) =>
        ml.Transforms.CopyColumns("Words", "Tokens")
            .Append(ml.Transforms.Conversion.MapValueToKey("TagKeys", "Tags"), Microsoft.ML.Data.TransformerScope.TrainTest)
            .Append(ml.SequenceTagging().Trainers.SimpleRnn(Options("Words", "TagKeys")))
            .Append(ml.Transforms.CopyColumns("Answer", "PredictedTags"))
            .Fit(TrainingView(ml))
            .GetModelFor(Microsoft.ML.Data.TransformerScope.Scoring);

    public static IDataView TrainingView(MLContext ml) => ml.Data.LoadFromEnumerable(Training);

    public static IDataView Queries(MLContext ml) =>
        ml.Data.LoadFromEnumerable(QuerySentences.Select(t => new Sentence { Tokens = t }).ToArray());

    public static List<TaggedSentence> Read(MLContext ml, IDataView view) =>
        ml.Data.CreateEnumerable<TaggedSentence>(view, reuseRowObject: false).ToList();

    /// <summary>ML.NET keeps <c>SchemaShape.Create</c> internal; a test may reach it (library code does not).</summary>
    public static SchemaShape Shape(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!
            .Invoke(null, [schema])!;

    /// <summary>A comparable text form of all outputs (bit-exact floats).</summary>
    public static string Fingerprint(IEnumerable<TaggedSentence> rows) =>
        string.Join("\n", rows.Select(r =>
            string.Join(" ", r.PredictedTags ?? []) + " | "
            + string.Join(" ", (r.Score ?? []).Select(BitConverter.SingleToInt32Bits)) + " | "
            + string.Join(" ", (r.Probabilities ?? []).Select(BitConverter.SingleToInt32Bits))));
}
