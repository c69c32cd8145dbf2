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

    /// <summary>Networks resolved for a (loaded) model object, kept alive as long as that object.</summary>
    private static readonly ConditionalWeakTable<ITransformer, IReadOnlyList<SequenceTaggerNetwork>> Resolved = new();

    /// <summary>Finds every tagger in a transformer (a <see cref="SequenceTaggerTransformer"/> or a chain as
    /// returned by <c>Model.Load</c>, nested chains included) and decodes its network (once per payload content).
    /// Throws <see cref="InvalidDataException"/> for a bad payload.</summary>
    public static IReadOnlyList<SequenceTaggerNetwork> ResolveNetworks(ITransformer model)
    {
        if (Resolved.TryGetValue(model, out var known)) return known;
        var networks = new List<SequenceTaggerNetwork>();
        Collect(model, networks);
        IReadOnlyList<SequenceTaggerNetwork> result = networks.AsReadOnly();
        Resolved.AddOrUpdate(model, result);
        return result;
    }

    private static void Collect(ITransformer model, List<SequenceTaggerNetwork> networks)
    {
        if (model is SequenceTaggerTransformer tagger)
        {
            networks.Add(tagger.Network);
            return;
        }
        if (model is not IEnumerable<ITransformer> chain) return;
        ITransformer? previous = null;
        foreach (var element in chain)
        {
            if (element is CustomMappingTransformer<SequenceTaggerMappingInput, SequenceTaggerMappingOutput>
                && previous is ValueMappingTransformer valueMapping)
            {
                networks.Add(TaggerNetworkCache.GetOrDecode(ReadPayload(valueMapping)));
            }
            else
            {
                Collect(element, networks);
            }
            previous = element;
        }
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
