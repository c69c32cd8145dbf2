using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// Builds and inspects the chain of stock ML.NET transformers that carries a tagger (see
/// docs: CustomMapping key → ValueMapping key→payload → CustomMapping (tokens, payload) → outputs → drop helpers).
/// </summary>
internal static class TaggerChain
{
    /// <summary>The chain's estimator. <paramref name="mapper"/> is the mapping used in this process; a
    /// loaded model gets a fresh one from <see cref="SequenceTaggerMappingFactory"/>.</summary>
    public static IEstimator<ITransformer> CreateEstimator(
        MLContext mlContext, SequenceTaggerOptions options, string payload, SequenceTaggerMappingFactory.Mapper mapper)
    {
        var t = mlContext.Transforms;
        return t.CopyColumns(TaggerContract.TokensColumn, options.TokensColumnName)
            .Append(t.CustomMapping<SequenceTaggerKeyInput, SequenceTaggerKeyOutput>(
                SequenceTaggerKeyMappingFactory.Map, TaggerContract.KeyContractName))
            .Append(t.Conversion.MapValue(
                TaggerContract.PayloadColumn,
                [KeyValuePair.Create(TaggerContract.ModelKey, payload)],
                TaggerContract.KeyColumn))
            .Append(t.CustomMapping<SequenceTaggerMappingInput, SequenceTaggerMappingOutput>(
                mapper.Map, TaggerContract.TagContractName))
            .Append(t.CopyColumns(options.PredictedLabelColumnName, TaggerContract.TagsColumn))
            .Append(t.CopyColumns(options.ScoreColumnName, TaggerContract.ScoreColumn))
            .Append(t.CopyColumns(options.ProbabilitiesColumnName, TaggerContract.ProbabilitiesColumn))
            .Append(t.DropColumns(
                TaggerContract.TokensColumn, TaggerContract.KeyColumn, TaggerContract.PayloadColumn,
                TaggerContract.TagsColumn, TaggerContract.ScoreColumn, TaggerContract.ProbabilitiesColumn));
    }

    /// <summary>A tagger found in a model: its live network and the model id its payload carries.</summary>
    public sealed record ResolvedTagger(SequenceTaggerNetwork Network, string ModelId);

    /// <summary>Taggers resolved for a (loaded) model object, kept alive as long as that object.</summary>
    private static readonly ConditionalWeakTable<ITransformer, IReadOnlyList<ResolvedTagger>> Resolved = new();

    /// <summary>Finds every tagger in a transformer (a <see cref="SequenceTaggerTransformer"/> or a chain as
    /// returned by <c>Model.Load</c>, nested chains included) and decodes its network (once per payload content).
    /// Throws <see cref="InvalidDataException"/> for a bad payload.</summary>
    public static IReadOnlyList<ResolvedTagger> ResolveTaggers(ITransformer model)
    {
        if (Resolved.TryGetValue(model, out var known)) return known;
        var taggers = new List<ResolvedTagger>();
        Collect(model, taggers);
        IReadOnlyList<ResolvedTagger> result = taggers.AsReadOnly();
        Resolved.AddOrUpdate(model, result);
        return result;
    }

    /// <summary>The networks of <see cref="ResolveTaggers"/>, in the same order.</summary>
    public static IReadOnlyList<SequenceTaggerNetwork> ResolveNetworks(ITransformer model) =>
        ResolveTaggers(model).Select(t => t.Network).ToArray();

    private static void Collect(ITransformer model, List<ResolvedTagger> taggers)
    {
        if (model is SequenceTaggerTransformer tagger)
        {
            taggers.Add(new ResolvedTagger(tagger.Network, tagger.ModelId));
            return;
        }
        if (model is not IEnumerable<ITransformer> chain) return;
        ITransformer? previous = null;
        foreach (var element in chain)
        {
            if (element is CustomMappingTransformer<SequenceTaggerMappingInput, SequenceTaggerMappingOutput>
                && previous is ValueMappingTransformer valueMapping)
            {
                taggers.Add(Resolve(valueMapping));
            }
            else
            {
                Collect(element, taggers);
            }
            previous = element;
        }
    }

    /// <summary>Taggers resolved per ValueMapping (the payload is read through ML.NET once per transformer object).</summary>
    private static readonly ConditionalWeakTable<ValueMappingTransformer, ResolvedTagger> ByValueMapping = new();

    /// <summary>The tagger whose payload <paramref name="valueMapping"/> carries, decoded once per payload content.
    /// Throws <see cref="InvalidDataException"/> for a bad payload.</summary>
    public static ResolvedTagger Resolve(ValueMappingTransformer valueMapping)
    {
        if (ByValueMapping.TryGetValue(valueMapping, out var known)) return known;
        var payload = ReadPayload(valueMapping);
        var tagger = new ResolvedTagger(TaggerNetworkCache.GetOrDecode(payload), TaggerPayload.ReadHeader(payload).ModelId);
        ByValueMapping.AddOrUpdate(valueMapping, tagger);
        return tagger;
    }

    private sealed class KeyRow
    {
        [ColumnName(TaggerContract.KeyColumn)]
        public string Key { get; set; } = TaggerContract.ModelKey;
    }

    /// <summary>Asks the chain's own ValueMapping for the payload (public API only).</summary>
    private static string ReadPayload(ValueMappingTransformer valueMapping)
    {
        var keys = new MLContext().Data.LoadFromEnumerable([new KeyRow()]);
        var mapped = valueMapping.Transform(keys);
        var column = mapped.Schema.GetColumnOrNull(TaggerContract.PayloadColumn)
            ?? throw new InvalidDataException("MlNetRnn tagger chain is damaged: its ValueMapping has no payload column");
        using var cursor = mapped.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        if (!cursor.MoveNext())
            throw new InvalidDataException("MlNetRnn tagger chain is damaged: its ValueMapping returned no payload");
        ReadOnlyMemory<char> value = default;
        getter(ref value);
        return value.ToString();
    }
}
